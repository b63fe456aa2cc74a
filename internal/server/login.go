package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/totp"
	"github.com/steleaudit/stele/verify"
)

// Signing in: a password, then, for an account with MFA, a TOTP or
// recovery code, in the same request or in a second one that carries the
// pending session's cookie. Every try counts against the account and
// the address it came from (auth.Throttle); a wrong one is logged as
// auth.failed in each organization of the account, a right one as
// auth.login.

// Sign-in throttling: an account may fail this many times in
// loginWindow, an address several accounts' worth.
const (
	accountFailures = 5
	addressFailures = 20
	loginWindow     = 15 * time.Minute
)

var errBadLogin = &apiError{status: http.StatusUnauthorized, code: "invalid_credentials",
	message: "wrong email or password"}

var errBadCode = &apiError{status: http.StatusUnauthorized, code: "invalid_code",
	message: "wrong or already used authentication code"}

func (s *Server) login(w http.ResponseWriter, r *http.Request, c *call) error {
	var in client.Login
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	ip := s.clientIP(r)
	if in.Email == "" && in.Password == "" {
		return s.finishLogin(w, r, ip, in.TOTP)
	}
	email := normalEmail(in.Email)
	if err := s.throttled(ip, email); err != nil {
		return err
	}
	u, err := s.userByEmail(r.Context(), email)
	if errors.Is(err, store.ErrNotFound) {
		s.verifyPassword(r.Context(), "", in.Password)
		s.failLogin(ip, email)
		return errBadLogin
	}
	if err != nil {
		return err
	}
	if err := s.proveAccount(r, ip, u, in.Password, errBadLogin); err != nil {
		return err
	}
	if u.MFASecret == nil {
		return s.signIn(w, r, u, nil, nil)
	}
	if in.TOTP == "" {
		token, sess := auth.NewSession(u.ID, true, s.cfg.Now())
		if err := s.st.ReadWrite(r.Context(), func(ctx context.Context, tx store.Tx) error {
			return tx.CreateSession(ctx, sess)
		}); err != nil {
			return err
		}
		s.setSession(w, r, token, sess)
		return s.answerSignIn(w, r, http.StatusOK, u, token, true)
	}
	return s.checkSecondFactor(w, r, ip, u, in.TOTP, nil)
}

// finishLogin takes the second factor for the pending session r carries.
func (s *Server) finishLogin(w http.ResponseWriter, r *http.Request, ip, code string) error {
	if code == "" {
		return invalid("email", "send an email and password, or the code for a sign-in awaiting it")
	}
	_, si, err := s.sessionOf(r, true)
	if err != nil {
		return err
	}
	if !si.MFAPending {
		return badRequest("already_signed_in", "", "this session is signed in already")
	}
	u, err := s.user(r.Context(), si.UserID)
	if err != nil {
		return err
	}
	if err := s.throttled(ip, u.Email); err != nil {
		return err
	}
	return s.checkSecondFactor(w, r, ip, u, code, si)
}

// checkSecondFactor accepts a TOTP code once, or a recovery code once,
// and signs u in, turning the pending session pending into a whole one.
func (s *Server) checkSecondFactor(w http.ResponseWriter, r *http.Request, ip string, u store.User, code string, pending *signIn) error {
	ok, recovery := false, false
	err := s.st.ReadWrite(r.Context(), func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.LockUser(ctx, u.ID)
		if err != nil {
			return err
		}
		if step, good := totp.Verify(cur.MFASecret, code, s.cfg.Now(), cur.MFAStep); good {
			ok, cur.MFAStep = true, step
		} else if i := slices.IndexFunc(cur.RecoveryCodes, hashEqual(totp.HashRecoveryCode(code))); i >= 0 {
			ok, recovery = true, true
			cur.RecoveryCodes = slices.Delete(cur.RecoveryCodes, i, i+1)
		}
		if !ok {
			return nil
		}
		u = cur
		return tx.UpdateUser(ctx, cur)
	})
	if err != nil {
		return err
	}
	if !ok {
		s.failLogin(ip, u.Email)
		return s.loginFailed(r, u, "wrong_code", errBadCode)
	}
	details := map[string]any{"mfa": "totp"}
	if recovery {
		details["mfa"] = "recovery_code"
		details["recovery_codes_left"] = len(u.RecoveryCodes)
	}
	return s.signIn(w, r, u, pending, details)
}

// proveAccount checks that pw is u's password; a wrong one counts
// against the account and the address ip, is logged as auth.failed, and
// answered wrong. The caller checks the throttle first.
func (s *Server) proveAccount(r *http.Request, ip string, u store.User, pw string, wrong *apiError) error {
	ok, err := s.verifyPassword(r.Context(), u.PasswordHash, pw)
	if err != nil {
		return err
	}
	if !ok {
		s.failLogin(ip, u.Email)
		return s.loginFailed(r, u, "wrong_password", wrong)
	}
	return nil
}

// signIn gives u a whole session, a new one or pending made whole, and
// logs auth.login with details.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, u store.User, pending *signIn, details map[string]any) error {
	s.accounts.Reset(u.Email)
	token, sess := auth.NewSession(u.ID, false, s.cfg.Now())
	err := s.st.ReadWrite(r.Context(), func(ctx context.Context, tx store.Tx) error {
		if pending != nil {
			// A new token, so that one seen before the second factor is
			// worth nothing after it.
			if err := tx.DeleteSession(ctx, pending.Hash); err != nil {
				return err
			}
		}
		return tx.CreateSession(ctx, sess)
	})
	if err != nil {
		return err
	}
	if err := s.recordForUser(r, u, "auth.login", details); err != nil {
		return err
	}
	s.setSession(w, r, token, sess)
	return s.answerSignIn(w, r, http.StatusOK, u, token, false)
}

// loginFailed logs auth.failed for u and returns answer.
func (s *Server) loginFailed(r *http.Request, u store.User, reason string, answer error) error {
	if err := s.recordForUser(r, u, "auth.failed", map[string]any{"reason": reason}); err != nil {
		return err
	}
	return answer
}

// recordForUser logs an event of u's about their account in each of
// their organizations.
func (s *Server) recordForUser(r *http.Request, u store.User, typ string, details map[string]any) error {
	ms, err := s.memberships(r.Context(), u.ID)
	if err != nil {
		return err
	}
	orgs := make([]string, len(ms))
	for i, m := range ms {
		orgs[i] = m.Org
	}
	target := &client.Target{Type: "user", ID: u.ID, Name: u.Name}
	return s.recordAll(r, orgs, userActor(u), typ, target, details)
}

// userActor is u as the actor of the events their actions produce.
func userActor(u store.User) verify.Actor {
	return (&auth.Principal{User: &auth.User{ID: u.ID, Email: u.Email, Name: u.Name}}).Actor()
}

// throttled returns a 429 if the address ip or the account email failed
// to sign in too often lately.
func (s *Server) throttled(ip, email string) error {
	for _, t := range []struct {
		th  *auth.Throttle
		key string
	}{{s.addresses, ip}, {s.accounts, email}} {
		if ok, wait := t.th.Allow(t.key); !ok {
			return &apiError{status: http.StatusTooManyRequests, code: "too_many_attempts", retry: retryAfter(wait),
				message: "too many failed sign-ins; retry after " + strconv.Itoa(retryAfter(wait)) + " seconds"}
		}
	}
	return nil
}

func (s *Server) failLogin(ip, email string) {
	s.addresses.Fail(ip)
	s.accounts.Fail(email)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	err := s.st.ReadWrite(r.Context(), func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteSession(ctx, c.session.Hash)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.clearSession(w, r)
	if !c.session.MFAPending {
		u, err := s.user(r.Context(), c.session.UserID)
		if err != nil {
			return err
		}
		if err := s.recordForUser(r, u, "auth.logout", nil); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.user(r.Context(), c.session.UserID)
	if err != nil {
		return err
	}
	return s.answerSignIn(w, r, http.StatusOK, u, c.session.token, false)
}

// answerSignIn answers with u, their organizations and the session's
// CSRF token.
func (s *Server) answerSignIn(w http.ResponseWriter, r *http.Request, status int, u store.User, token string, pending bool) error {
	out := client.SignIn{User: userJSON(u), Orgs: []client.Membership{}, MFARequired: pending, CSRFToken: auth.CSRFToken(token)}
	if !pending {
		err := s.st.Read(r.Context(), func(ctx context.Context, rd store.Reader) error {
			ms, err := rd.Memberships(ctx, u.ID)
			if err != nil {
				return err
			}
			for _, m := range ms {
				o, err := rd.Org(ctx, m.Org)
				if err != nil {
					return err
				}
				out.Orgs = append(out.Orgs, client.Membership{ID: o.ID, Name: o.Name, Role: m.Role})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	writeJSON(w, status, out)
	return nil
}

func userJSON(u store.User) client.User {
	return client.User{ID: u.ID, Email: u.Email, Name: u.Name, MFAEnabled: u.MFASecret != nil, CreatedAt: u.CreatedAt}
}

// normalEmail is the form emails are stored and compared in.
func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// hashEqual returns a test for a hash equal to want, in constant time.
func hashEqual(want []byte) func([]byte) bool {
	return func(h []byte) bool { return subtle.ConstantTimeCompare(h, want) == 1 }
}

func (s *Server) user(ctx context.Context, id string) (store.User, error) {
	return read(ctx, s.st, func(ctx context.Context, r store.Reader) (store.User, error) { return r.User(ctx, id) })
}

func (s *Server) userByEmail(ctx context.Context, email string) (store.User, error) {
	return read(ctx, s.st, func(ctx context.Context, r store.Reader) (store.User, error) { return r.UserByEmail(ctx, email) })
}

func (s *Server) memberships(ctx context.Context, userID string) ([]store.Member, error) {
	return read(ctx, s.st, func(ctx context.Context, r store.Reader) ([]store.Member, error) { return r.Memberships(ctx, userID) })
}

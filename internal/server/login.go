package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/signin"
	"github.com/steleaudit/stele/internal/store"
)

// Signing in (package signin): a password, then, for an account with
// MFA, a TOTP or recovery code, in the same request or in a second one
// that carries the pending session's cookie.

var errBadLogin = &apiError{status: http.StatusUnauthorized, code: "invalid_credentials",
	message: "wrong email or password"}

var errBadCode = &apiError{status: http.StatusUnauthorized, code: "invalid_code",
	message: "wrong or already used authentication code"}

func (s *Server) login(w http.ResponseWriter, r *http.Request, c *call) error {
	var in client.Login
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	src := s.proxies.Source(r)
	var res *signin.Result
	var err error
	if in.Email == "" && in.Password == "" {
		if in.TOTP == "" {
			return invalid("email", "send an email and password, or the code for a sign-in awaiting it")
		}
		_, si, err := s.sessionOf(r, true)
		if err != nil {
			return err
		}
		res, err = s.desk.SecondFactor(r.Context(), src, si.Session, in.TOTP)
		if err != nil {
			return signInError(err, errBadLogin)
		}
	} else if res, err = s.desk.Password(r.Context(), src, in.Email, in.Password, in.TOTP); err != nil {
		return signInError(err, errBadLogin)
	}
	signin.SetCookie(w, s.secureCookies(r), res.Token, res.Session)
	return s.answerSignIn(w, r, http.StatusOK, res.User, res.Token, res.Session.MFAPending)
}

// signInError answers an error of package signin: wrong for a wrong
// password.
func signInError(err error, wrong *apiError) error {
	var th *signin.ThrottledError
	switch {
	case errors.As(err, &th):
		return &apiError{status: http.StatusTooManyRequests, code: "too_many_attempts", retry: retryAfter(th.Wait),
			message: "too many failed sign-ins; retry after " + strconv.Itoa(retryAfter(th.Wait)) + " seconds"}
	case errors.Is(err, signin.ErrWrongPassword):
		return wrong
	case errors.Is(err, signin.ErrWrongCode):
		return errBadCode
	case errors.Is(err, signin.ErrNotPending):
		return badRequest("already_signed_in", "", "this session is signed in already")
	}
	return err
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.desk.SignOut(r.Context(), s.proxies.Source(r), c.session.Session); err != nil {
		return err
	}
	signin.ClearCookie(w, s.secureCookies(r))
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
		ms, err := auth.Orgs(r.Context(), s.st, u.ID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			perms := make([]string, len(m.Perms))
			for i, p := range m.Perms {
				perms[i] = string(p)
			}
			out.Orgs = append(out.Orgs, client.Membership{ID: m.Org.ID, Name: m.Org.Name, Role: m.Role, Permissions: perms})
		}
	}
	writeJSON(w, status, out)
	return nil
}

func userJSON(u store.User) client.User {
	return client.User{ID: u.ID, Email: u.Email, Name: u.Name, MFAEnabled: u.MFASecret != nil, CreatedAt: u.CreatedAt}
}

func (s *Server) user(ctx context.Context, id string) (store.User, error) {
	return store.ReadValue(ctx, s.st, func(ctx context.Context, r store.Reader) (store.User, error) { return r.User(ctx, id) })
}

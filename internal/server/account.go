package server

import (
	"context"
	"encoding/base32"
	"net/http"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/password"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/totp"
)

// A person's own account: password and MFA.

// recoveryCodes is how many recovery codes MFA comes with.
const recoveryCodes = 10

// changePassword takes the current password and a new one, ends the
// account's other sessions, and logs auth.password_changed.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, c *call) error {
	var in client.PasswordChange
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if err := password.Check(in.New); err != nil {
		return invalid("new_password", err.Error())
	}
	src := s.proxies.Source(r)
	u, err := s.user(r.Context(), c.session.UserID)
	if err != nil {
		return err
	}
	if err := s.desk.Prove(r.Context(), src, u, in.Current); err != nil {
		return signInError(err, &apiError{status: http.StatusForbidden, code: "invalid_credentials",
			field: "current_password", message: "wrong current password"})
	}
	hash, err := s.desk.HashPassword(r.Context(), in.New)
	if err != nil {
		return invalid("new_password", err.Error())
	}
	var ended int
	err = s.st.ReadWrite(r.Context(), func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.LockUser(ctx, u.ID)
		if err != nil {
			return err
		}
		cur.PasswordHash = hash
		if err := tx.UpdateUser(ctx, cur); err != nil {
			return err
		}
		ended, err = tx.DeleteSessions(ctx, u.ID, c.session.Hash)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.desk.Record(r.Context(), src, u, "auth.password_changed", map[string]any{"sessions_ended": ended}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// enrollMFA gives the account a new TOTP secret to confirm. MFA stays as
// it was (off, or on with the old secret) until a code of the new one
// confirms it.
func (s *Server) enrollMFA(w http.ResponseWriter, r *http.Request, c *call) error {
	secret, err := totp.NewSecret()
	if err != nil {
		return err
	}
	var u store.User
	err = s.st.ReadWrite(r.Context(), func(ctx context.Context, tx store.Tx) error {
		if u, err = tx.LockUser(ctx, c.session.UserID); err != nil {
			return err
		}
		u.MFAPending = secret
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		return err
	}
	if err := s.desk.Record(r.Context(), s.proxies.Source(r), u, "auth.mfa_enrollment_started", map[string]any{"method": "totp", "mfa_enabled": u.MFASecret != nil}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, client.MFAEnrollment{
		Secret: base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret),
		URL:    totp.URL(secret, "Stele", u.Email),
	})
	return nil
}

// confirmMFA turns MFA on with the enrolled secret once a code of it is
// right, answers with fresh recovery codes, and logs auth.mfa_enabled.
func (s *Server) confirmMFA(w http.ResponseWriter, r *http.Request, c *call) error {
	var in client.MFAConfirm
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	codes, err := totp.NewRecoveryCodes(recoveryCodes)
	if err != nil {
		return err
	}
	var u store.User
	var enrolled, ok bool
	err = s.st.ReadWrite(r.Context(), func(ctx context.Context, tx store.Tx) error {
		if u, err = tx.LockUser(ctx, c.session.UserID); err != nil {
			return err
		}
		if enrolled = u.MFAPending != nil; !enrolled {
			return nil
		}
		step, good := totp.Verify(u.MFAPending, in.Code, s.cfg.Now(), 0)
		if ok = good; !ok {
			return nil
		}
		u.MFASecret, u.MFAPending, u.MFAStep = u.MFAPending, nil, step
		u.RecoveryCodes = make([][]byte, len(codes))
		for i, code := range codes {
			u.RecoveryCodes[i] = totp.HashRecoveryCode(code)
		}
		return tx.UpdateUser(ctx, u)
	})
	switch {
	case err != nil:
		return err
	case !enrolled:
		return badRequest("not_enrolled", "", "enroll first: POST /v1/auth/mfa/enroll")
	case !ok:
		return &apiError{status: http.StatusBadRequest, code: "invalid_code", field: "code",
			message: "wrong code: send the code your authenticator app shows for the enrolled secret"}
	}
	if err := s.desk.Record(r.Context(), s.proxies.Source(r), u, "auth.mfa_enabled", map[string]any{"method": "totp"}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, client.RecoveryCodes{Codes: codes})
	return nil
}

package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/password"
	"github.com/steleaudit/stele/internal/signin"
	"github.com/steleaudit/stele/internal/store"
)

// Invitations: a member who manages members invites an email address
// with a role; whoever holds the invitation's token (sent to that
// address by the platform) accepts it once, before it expires, creating
// their account or proving they own the existing one with its password.

// invitationTTL is how long an invitation may wait to be accepted.
const invitationTTL = 7 * 24 * time.Hour

func (s *Server) invite(w http.ResponseWriter, r *http.Request, c *call) error {
	var in client.InvitationCreate
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	email, err := checkEmail("email", in.Email)
	if err != nil {
		return err
	}
	if err := s.mayGrant(r.Context(), c, "role", in.Role); err != nil {
		return err
	}
	out, err := s.newInvitation(r, c, email, in.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// newInvitation logs member.invited, then stores an invitation into
// c.org for email with role, and returns it with its token.
func (s *Server) newInvitation(r *http.Request, c *call, email, role string) (client.Invitation, error) {
	token := auth.NewInvitationToken()
	now := s.cfg.Now().UTC()
	inv := store.Invitation{ID: auth.NewID("inv_"), Hash: auth.Hash(token), Org: c.org, Email: email, Role: role,
		InvitedBy: c.p.Actor().ID, CreatedAt: now, ExpiresAt: now.Add(invitationTTL)}
	target := &client.Target{Type: "invitation", ID: inv.ID}
	if err := s.audit(r, c, "member.invited", target, map[string]any{"email": email, "role": role}); err != nil {
		return client.Invitation{}, err
	}
	err := s.st.ReadWrite(context.WithoutCancel(r.Context()), func(ctx context.Context, tx store.Tx) error {
		return tx.CreateInvitation(ctx, inv)
	})
	if err != nil {
		return client.Invitation{}, err
	}
	return client.Invitation{ID: inv.ID, Email: email, Role: role, Token: token,
		URL: strings.TrimSuffix(s.cfg.BaseURL, "/") + "/invitations/" + token, ExpiresAt: inv.ExpiresAt}, nil
}

var errBadInvitation = &apiError{status: http.StatusNotFound, code: "invitation_invalid",
	message: "this invitation does not exist, was accepted already or has expired"}

// acceptInvitation makes the invitation's holder a member, creating
// their account if the email has none, and logs member.joined.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request, c *call) error {
	token := r.PathValue("token")
	var in client.InvitationAccept
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if !auth.ValidInvitationToken(token) {
		return errBadInvitation
	}
	now := s.cfg.Now().UTC()
	var inv store.Invitation
	var u store.User
	var exists bool
	err := s.st.Read(r.Context(), func(ctx context.Context, rd store.Reader) error {
		var err error
		if inv, err = rd.Invitation(ctx, auth.Hash(token)); err != nil {
			return err
		}
		u, err = rd.UserByEmail(ctx, inv.Email)
		exists = err == nil
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) || err == nil && (!inv.AcceptedAt.IsZero() || !now.Before(inv.ExpiresAt)) {
		return errBadInvitation
	}
	if err != nil {
		return err
	}
	errMember := &apiError{status: http.StatusConflict, code: "already_member", message: "this account is a member already"}
	if exists {
		if err := s.desk.Prove(r.Context(), s.proxies.Source(r), u, in.Password); err != nil {
			return signInError(err, &apiError{status: http.StatusUnauthorized, code: "invalid_credentials",
				field: "password", message: "an account has this email: send its password to join with it"})
		}
		// Checked before logging, so that the log tells of no join that
		// fails; only a race with another acceptance can still.
		if _, err := s.member(r.Context(), inv.Org, u.ID); err == nil {
			return errMember
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	} else if u, err = s.newUser(r.Context(), in, inv.Email, now); err != nil {
		return err
	}
	o, err := s.org(r.Context(), inv.Org)
	if err != nil {
		return err
	}
	err = s.record(r, inv.Org, signin.UserActor(u), "member.joined", &client.Target{Type: "user", ID: u.ID, Name: u.Name},
		map[string]any{"email": u.Email, "role": inv.Role, "invitation": inv.ID})
	if err != nil {
		return err
	}
	err = s.st.ReadWrite(context.WithoutCancel(r.Context()), func(ctx context.Context, tx store.Tx) error {
		if err := tx.AcceptInvitation(ctx, inv.Hash, now); err != nil {
			return err
		}
		if !exists {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return tx.AddMember(ctx, store.Member{Org: inv.Org, UserID: u.ID, Role: inv.Role, CreatedAt: now})
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errBadInvitation // accepted meanwhile
	case errors.Is(err, store.ErrConflict) && exists:
		return errMember
	case errors.Is(err, store.ErrConflict):
		return &apiError{status: http.StatusConflict, code: "conflict",
			message: "an account with this email was created meanwhile: accept again with its password"}
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, client.InvitationAccepted{User: userJSON(u), Org: client.Membership{ID: o.ID, Name: o.Name, Role: inv.Role}})
	return nil
}

// newUser returns the account in asks for, for email.
func (s *Server) newUser(ctx context.Context, in client.InvitationAccept, email string, now time.Time) (store.User, error) {
	name := strings.TrimSpace(in.Name)
	if err := checkName("name", name); err != nil {
		return store.User{}, err
	}
	if err := password.Check(in.Password); err != nil {
		return store.User{}, invalid("password", err.Error())
	}
	hash, err := s.desk.HashPassword(ctx, in.Password)
	if err != nil {
		return store.User{}, invalid("password", err.Error())
	}
	return store.User{ID: auth.NewID("usr_"), Email: email, Name: name, PasswordHash: hash, CreatedAt: now}, nil
}

func (s *Server) member(ctx context.Context, org, userID string) (store.Member, error) {
	return store.ReadValue(ctx, s.st, func(ctx context.Context, r store.Reader) (store.Member, error) { return r.Member(ctx, org, userID) })
}

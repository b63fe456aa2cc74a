package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// Sessions: a person signed in holds a random token in a cookie,
//
//	stele_session_<32 base32>
//
// and the store keeps its SHA-256. A session is whole once the password
// and, if the account has MFA, a TOTP or recovery code were right; until
// then it is pending, good only for finishing the sign-in.
const (
	sessionPrefix = "stele_session_"
	// SessionTTL is how long a sign-in lasts; PendingTTL how long the
	// second factor may take.
	SessionTTL = 12 * time.Hour
	PendingTTL = 5 * time.Minute
)

var (
	// ErrNotMember means a person is not a member of the organization,
	// which therefore does not exist for them.
	ErrNotMember = errors.New("auth: not a member")
	// ErrMFARequired means the organization requires MFA of its members,
	// and the person has none.
	ErrMFARequired = errors.New("auth: the organization requires MFA")
)

// NewSession returns a new session token and the session to store for
// it.
func NewSession(userID string, pending bool, now time.Time) (string, store.Session) {
	token := sessionPrefix + random(secretLen)
	ttl := SessionTTL
	if pending {
		ttl = PendingTTL
	}
	return token, store.Session{Hash: Hash(token), UserID: userID, MFAPending: pending,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
}

// CSRFToken is the token a browser must send in X-CSRF-Token with every
// request that changes state under session token. It is derived from the
// session's secret, which a page of another origin can't read, so it
// needs no storage and dies with the session.
func CSRFToken(token string) string {
	h := sha256.Sum256([]byte("stele csrf\x00" + token))
	return b32.EncodeToString(h[:20])
}

// validSession reports whether token has a session token's form.
func validSession(token string) bool {
	rest, ok := strings.CutPrefix(token, sessionPrefix)
	return ok && len(rest) == secretLen && isB32(rest)
}

// Session returns the person whose session token is, and the session,
// which may be pending. An unknown, expired or malformed token is
// ErrUnauthenticated.
func (a *Authenticator) Session(ctx context.Context, token string) (*Principal, store.Session, error) {
	if !validSession(token) {
		return nil, store.Session{}, ErrUnauthenticated
	}
	var s store.Session
	var u store.User
	err := a.st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		var err error
		if s, err = r.Session(ctx, Hash(token)); err != nil {
			return err
		}
		u, err = r.User(ctx, s.UserID)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, store.Session{}, ErrUnauthenticated
	case err != nil:
		return nil, store.Session{}, fmt.Errorf("couldn't read session: %w", err)
	case !a.now().Before(s.ExpiresAt):
		return nil, store.Session{}, ErrUnauthenticated
	}
	return &Principal{User: &User{ID: u.ID, Email: u.Email, Name: u.Name, MFA: u.MFASecret != nil}}, s, nil
}

// InOrg returns p acting in org: for a person, with their role there and
// its permissions, or ErrNotMember, or ErrMFARequired if the organization
// requires MFA and they have none; others as they are.
func (a *Authenticator) InOrg(ctx context.Context, p *Principal, org string) (*Principal, error) {
	if p.User == nil {
		return p, nil
	}
	var role string
	var perms []Permission
	var requireMFA bool
	err := a.st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		m, err := r.Member(ctx, org, p.User.ID)
		if err != nil {
			return err
		}
		o, err := r.Org(ctx, org)
		if err != nil {
			return err
		}
		role, requireMFA = m.Role, o.RequireMFA
		perms, err = RolePermissions(ctx, r, org, role)
		if errors.Is(err, store.ErrNotFound) {
			return nil // a custom role that no longer exists grants nothing
		}
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrNotMember
	case err != nil:
		return nil, fmt.Errorf("couldn't read membership: %w", err)
	case requireMFA && !p.User.MFA:
		return nil, ErrMFARequired
	}
	return &Principal{User: p.User, Org: org, Role: role, Perms: perms}, nil
}

// RolePermissions returns what role grants in org: a built-in role's
// permissions, or a custom role's; store.ErrNotFound if org has no such
// role.
func RolePermissions(ctx context.Context, r store.Reader, org, role string) ([]Permission, error) {
	if perms, ok := BuiltinPermissions(role); ok {
		return perms, nil
	}
	ro, err := r.Role(ctx, org, role)
	if err != nil {
		return nil, err
	}
	var perms []Permission
	for _, name := range ro.Permissions {
		perms = append(perms, Permission(name))
	}
	return perms, nil
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store"
)

// People (migration 004): accounts, memberships, roles, sessions and
// invitations.

const (
	userColumns = `id, email, name, password_hash, mfa_secret, mfa_pending, mfa_step,
		recovery_codes, created_at`
	memberColumns     = `org, user_id, role, created_at`
	roleColumns       = `org, name, permissions, created_at`
	sessionColumns    = `hash, user_id, mfa_pending, created_at, expires_at`
	invitationColumns = `hash, id, org, email, role, invited_by, created_at, expires_at, accepted_at`
	// registered is true when $1 names a registered organization.
	registered = `EXISTS (SELECT 1 FROM orgs WHERE id = $1 AND created_at IS NOT NULL)`
)

// one runs a query for one row and scans it with scan; no row is
// ErrNotFound.
func one[T any](ctx context.Context, r *reader, what string, scan func(pgx.Row) (T, error), query string, args ...any) (T, error) {
	v, err := scan(r.tx.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("couldn't read %s: %w", what, err)
	}
	return v, nil
}

// all runs a query and scans each row with scan.
func all[T any](ctx context.Context, r *reader, what string, scan func(pgx.Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := r.tx.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("couldn't list %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
	if err != nil {
		return nil, fmt.Errorf("couldn't list %s: %w", what, err)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// exec runs a statement that must change a row: none is ErrNotFound, a
// taken key ErrConflict.
func (t *tx) exec(ctx context.Context, what, query string, args ...any) error {
	tag, err := t.tx.Exec(ctx, query, args...)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("couldn't %s: %w", what, conflict(err))
	}
	return nil
}

func scanUser(row pgx.Row) (store.User, error) {
	var u store.User
	var created int64
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.MFASecret, &u.MFAPending, &u.MFAStep,
		&u.RecoveryCodes, &created)
	if err != nil {
		return store.User{}, err
	}
	if len(u.RecoveryCodes) == 0 {
		u.RecoveryCodes = nil
	}
	u.CreatedAt = unixNano(created)
	return u, nil
}

func scanMember(row pgx.Row) (store.Member, error) {
	var m store.Member
	var created int64
	if err := row.Scan(&m.Org, &m.UserID, &m.Role, &created); err != nil {
		return store.Member{}, err
	}
	m.CreatedAt = unixNano(created)
	return m, nil
}

func scanRole(row pgx.Row) (store.Role, error) {
	var ro store.Role
	var created int64
	if err := row.Scan(&ro.Org, &ro.Name, &ro.Permissions, &created); err != nil {
		return store.Role{}, err
	}
	if len(ro.Permissions) == 0 {
		ro.Permissions = nil
	}
	ro.CreatedAt = unixNano(created)
	return ro, nil
}

func scanSession(row pgx.Row) (store.Session, error) {
	var s store.Session
	var created, expires int64
	if err := row.Scan(&s.Hash, &s.UserID, &s.MFAPending, &created, &expires); err != nil {
		return store.Session{}, err
	}
	s.CreatedAt, s.ExpiresAt = unixNano(created), unixNano(expires)
	return s, nil
}

func scanInvitation(row pgx.Row) (store.Invitation, error) {
	var i store.Invitation
	var created, expires int64
	var accepted *int64
	err := row.Scan(&i.Hash, &i.ID, &i.Org, &i.Email, &i.Role, &i.InvitedBy, &created, &expires, &accepted)
	if err != nil {
		return store.Invitation{}, err
	}
	i.CreatedAt, i.ExpiresAt = unixNano(created), unixNano(expires)
	if accepted != nil {
		i.AcceptedAt = unixNano(*accepted)
	}
	return i, nil
}

func (r *reader) User(ctx context.Context, id string) (store.User, error) {
	return one(ctx, r, "user "+id, scanUser, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
}

func (r *reader) UserByEmail(ctx context.Context, email string) (store.User, error) {
	return one(ctx, r, "user", scanUser, `SELECT `+userColumns+` FROM users WHERE email = $1`, email)
}

func (r *reader) Member(ctx context.Context, org, userID string) (store.Member, error) {
	return one(ctx, r, "member", scanMember,
		`SELECT `+memberColumns+` FROM members WHERE org = $1 AND user_id = $2`, org, userID)
}

func (r *reader) Members(ctx context.Context, org string) ([]store.Member, error) {
	return all(ctx, r, "members", scanMember,
		`SELECT `+memberColumns+` FROM members WHERE org = $1 ORDER BY created_at, user_id`, org)
}

func (r *reader) Memberships(ctx context.Context, userID string) ([]store.Member, error) {
	return all(ctx, r, "memberships", scanMember,
		`SELECT `+memberColumns+` FROM members WHERE user_id = $1 ORDER BY created_at, org`, userID)
}

func (r *reader) Role(ctx context.Context, org, name string) (store.Role, error) {
	return one(ctx, r, "role "+name, scanRole,
		`SELECT `+roleColumns+` FROM roles WHERE org = $1 AND name = $2`, org, name)
}

func (r *reader) Roles(ctx context.Context, org string) ([]store.Role, error) {
	return all(ctx, r, "roles", scanRole,
		`SELECT `+roleColumns+` FROM roles WHERE org = $1 ORDER BY created_at, name`, org)
}

func (r *reader) Session(ctx context.Context, hash []byte) (store.Session, error) {
	return one(ctx, r, "session", scanSession, `SELECT `+sessionColumns+` FROM sessions WHERE hash = $1`, hash)
}

func (r *reader) Invitation(ctx context.Context, hash []byte) (store.Invitation, error) {
	return one(ctx, r, "invitation", scanInvitation,
		`SELECT `+invitationColumns+` FROM invitations WHERE hash = $1`, hash)
}

// times converts times to Unix nanoseconds, failing on one out of range.
func times(ts ...time.Time) ([]int64, error) {
	ns := make([]int64, len(ts))
	for i, t := range ts {
		var err error
		if ns[i], err = nanos(t); err != nil {
			return nil, err
		}
	}
	return ns, nil
}

func (t *tx) CreateUser(ctx context.Context, u store.User) error {
	ns, err := times(u.CreatedAt)
	if err != nil {
		return fmt.Errorf("couldn't create user %q: %w", u.ID, err)
	}
	return t.exec(ctx, "create user "+u.ID, `INSERT INTO users (`+userColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		u.ID, u.Email, u.Name, u.PasswordHash, u.MFASecret, u.MFAPending, u.MFAStep,
		nonNil(u.RecoveryCodes), ns[0])
}

func (t *tx) LockUser(ctx context.Context, id string) (store.User, error) {
	return one(ctx, &t.reader, "user "+id, scanUser, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id)
}

func (t *tx) UpdateUser(ctx context.Context, u store.User) error {
	return t.exec(ctx, "update user "+u.ID, `UPDATE users SET name = $2, password_hash = $3,
		mfa_secret = $4, mfa_pending = $5, mfa_step = $6, recovery_codes = $7 WHERE id = $1`,
		u.ID, u.Name, u.PasswordHash, u.MFASecret, u.MFAPending, u.MFAStep, nonNil(u.RecoveryCodes))
}

func (t *tx) AddMember(ctx context.Context, m store.Member) error {
	ns, err := times(m.CreatedAt)
	if err != nil {
		return fmt.Errorf("couldn't add member %q: %w", m.UserID, err)
	}
	return t.exec(ctx, "add member "+m.UserID+" to "+m.Org, `INSERT INTO members (`+memberColumns+`)
		SELECT $1, $2, $3, $4 WHERE `+registered+` AND EXISTS (SELECT 1 FROM users WHERE id = $2)`,
		m.Org, m.UserID, m.Role, ns[0])
}

func (t *tx) SetRole(ctx context.Context, org, userID, role string) error {
	return t.exec(ctx, "set the role of "+userID, `UPDATE members SET role = $3 WHERE org = $1 AND user_id = $2`,
		org, userID, role)
}

func (t *tx) RemoveMember(ctx context.Context, org, userID string) error {
	return t.exec(ctx, "remove member "+userID, `DELETE FROM members WHERE org = $1 AND user_id = $2`, org, userID)
}

func (t *tx) CreateRole(ctx context.Context, ro store.Role) error {
	ns, err := times(ro.CreatedAt)
	if err != nil {
		return fmt.Errorf("couldn't create role %q: %w", ro.Name, err)
	}
	return t.exec(ctx, "create role "+ro.Name, `INSERT INTO roles (`+roleColumns+`)
		SELECT $1, $2, $3, $4 WHERE `+registered, ro.Org, ro.Name, nonNil(ro.Permissions), ns[0])
}

// CreateSession also removes the user's expired sessions, so that they
// don't pile up.
func (t *tx) CreateSession(ctx context.Context, s store.Session) error {
	ns, err := times(s.CreatedAt, s.ExpiresAt)
	if err != nil {
		return fmt.Errorf("couldn't create session: %w", err)
	}
	if _, err := t.tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2`, s.UserID, ns[0]); err != nil {
		return fmt.Errorf("couldn't remove expired sessions: %w", err)
	}
	return t.exec(ctx, "create session", `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		s.Hash, s.UserID, s.MFAPending, ns[0], ns[1])
}

func (t *tx) UpdateSession(ctx context.Context, s store.Session) error {
	ns, err := times(s.ExpiresAt)
	if err != nil {
		return fmt.Errorf("couldn't update session: %w", err)
	}
	return t.exec(ctx, "update session", `UPDATE sessions SET mfa_pending = $2, expires_at = $3 WHERE hash = $1`,
		s.Hash, s.MFAPending, ns[0])
}

func (t *tx) DeleteSession(ctx context.Context, hash []byte) error {
	return t.exec(ctx, "delete session", `DELETE FROM sessions WHERE hash = $1`, hash)
}

func (t *tx) DeleteSessions(ctx context.Context, userID string, keep []byte) (int, error) {
	tag, err := t.tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND hash <> $2`, userID, nonNil(keep))
	if err != nil {
		return 0, fmt.Errorf("couldn't delete the sessions of %q: %w", userID, err)
	}
	return int(tag.RowsAffected()), nil
}

func (t *tx) CreateInvitation(ctx context.Context, i store.Invitation) error {
	ns, err := times(i.CreatedAt, i.ExpiresAt)
	if err != nil {
		return fmt.Errorf("couldn't create invitation %q: %w", i.ID, err)
	}
	return t.exec(ctx, "create invitation "+i.ID, `INSERT INTO invitations (`+invitationColumns+`)
		SELECT $3, $2, $1, $4, $5, $6, $7, $8, NULL WHERE `+registered,
		i.Org, i.ID, i.Hash, i.Email, i.Role, i.InvitedBy, ns[0], ns[1])
}

func (t *tx) AcceptInvitation(ctx context.Context, hash []byte, at time.Time) error {
	ns, err := times(at)
	if err != nil {
		return fmt.Errorf("couldn't accept invitation: %w", err)
	}
	return t.exec(ctx, "accept invitation", `UPDATE invitations SET accepted_at = $2
		WHERE hash = $1 AND accepted_at IS NULL`, hash, ns[0])
}

// nonNil returns s, or an empty slice for nil: the columns are NOT NULL.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

const viewerTokenColumns = `id, org, subject, permissions, hash, created_at, expires_at, revoked_at`

func scanViewerToken(row pgx.Row) (store.ViewerToken, error) {
	var v store.ViewerToken
	var created, expires int64
	var revoked *int64
	if err := row.Scan(&v.ID, &v.Org, &v.Subject, &v.Permissions, &v.Hash, &created, &expires, &revoked); err != nil {
		return store.ViewerToken{}, err
	}
	if len(v.Permissions) == 0 {
		v.Permissions = nil
	}
	v.CreatedAt, v.ExpiresAt = unixNano(created), unixNano(expires)
	if revoked != nil {
		v.RevokedAt = unixNano(*revoked)
	}
	return v, nil
}

func (r *reader) ViewerToken(ctx context.Context, id string) (store.ViewerToken, error) {
	return one(ctx, r, "viewer token "+id, scanViewerToken,
		`SELECT `+viewerTokenColumns+` FROM viewer_tokens WHERE id = $1`, id)
}

func (t *tx) CreateViewerToken(ctx context.Context, v store.ViewerToken) error {
	ns, err := times(v.CreatedAt, v.ExpiresAt)
	if err != nil {
		return fmt.Errorf("couldn't create viewer token %q: %w", v.ID, err)
	}
	revoked, err := optionalNanos(v.RevokedAt)
	if err != nil {
		return fmt.Errorf("couldn't create viewer token %q: %w", v.ID, err)
	}
	return t.exec(ctx, "create viewer token "+v.ID, `INSERT INTO viewer_tokens (`+viewerTokenColumns+`)
		SELECT $2, $1, $3, $4, $5, $6, $7, $8 WHERE `+registered,
		v.Org, v.ID, v.Subject, nonNil(v.Permissions), nonNil(v.Hash), ns[0], ns[1], revoked)
}

func (t *tx) RevokeViewerToken(ctx context.Context, org, id string, at time.Time) error {
	ns, err := times(at)
	if err != nil {
		return fmt.Errorf("couldn't revoke viewer token %q: %w", id, err)
	}
	return t.exec(ctx, "revoke viewer token "+id, `UPDATE viewer_tokens SET revoked_at = coalesce(revoked_at, $3)
		WHERE org = $1 AND id = $2`, org, id, ns[0])
}

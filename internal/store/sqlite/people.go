package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// People (migration 009) are read and written a few times a request at
// most, so their statements are run as they are, not prepared.

const (
	userColumns = `id, email, name, password_hash, mfa_secret, mfa_pending, mfa_step,
		recovery_codes, created_at`
	memberColumns     = `org, user_id, role, created_at`
	sessionColumns    = `hash, user_id, mfa_pending, created_at, expires_at`
	invitationColumns = `hash, id, org, email, role, invited_by, created_at, expires_at, accepted_at`
	// registered is true when ?1 names a registered organization.
	registered = `EXISTS (SELECT 1 FROM orgs WHERE id = ?1 AND created_at IS NOT NULL)`
)

type scanner interface{ Scan(...any) error }

// one runs a query for one row and scans it with scan; no row is
// ErrNotFound.
func one[T any](ctx context.Context, r *reader, what string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(r.tx.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("couldn't read %s: %w", what, err)
	}
	return v, nil
}

// all runs a query and scans each row with scan.
func all[T any](ctx context.Context, r *reader, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := r.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("couldn't list %s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("couldn't list %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't list %s: %w", what, err)
	}
	return out, nil
}

// exec runs a statement that must change a row: none is ErrNotFound, a
// taken key ErrConflict.
func (r *reader) exec(ctx context.Context, what, query string, args ...any) error {
	res, err := r.tx.ExecContext(ctx, query, args...)
	if err == nil {
		err = affected(res)
	}
	if err != nil {
		return fmt.Errorf("couldn't %s: %w", what, conflict(err))
	}
	return nil
}

func scanUser(row scanner) (store.User, error) {
	var u store.User
	var codes string
	var created int64
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.MFASecret, &u.MFAPending, &u.MFAStep, &codes, &created)
	if err != nil {
		return store.User{}, err
	}
	if u.RecoveryCodes, err = decodeHashes(codes); err != nil {
		return store.User{}, fmt.Errorf("user %q: recovery codes: %w", u.ID, err)
	}
	u.CreatedAt = time.Unix(0, created).UTC()
	return u, nil
}

// encodeHashes and decodeHashes keep a list of hashes as a JSON array of
// hex strings.
func encodeHashes(hs [][]byte) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = hex.EncodeToString(h)
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func decodeHashes(s string) ([][]byte, error) {
	var hexes []string
	if err := json.Unmarshal([]byte(s), &hexes); err != nil {
		return nil, err
	}
	var hs [][]byte
	for _, x := range hexes {
		h, err := hex.DecodeString(x)
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	return hs, nil
}

func scanMember(row scanner) (store.Member, error) {
	var m store.Member
	var created int64
	if err := row.Scan(&m.Org, &m.UserID, &m.Role, &created); err != nil {
		return store.Member{}, err
	}
	m.CreatedAt = time.Unix(0, created).UTC()
	return m, nil
}

func scanRole(row scanner) (store.Role, error) {
	var ro store.Role
	var perms string
	var created int64
	if err := row.Scan(&ro.Org, &ro.Name, &perms, &created); err != nil {
		return store.Role{}, err
	}
	if err := json.Unmarshal([]byte(perms), &ro.Permissions); err != nil {
		return store.Role{}, fmt.Errorf("role %q: permissions: %w", ro.Name, err)
	}
	if len(ro.Permissions) == 0 {
		ro.Permissions = nil
	}
	ro.CreatedAt = time.Unix(0, created).UTC()
	return ro, nil
}

func scanSession(row scanner) (store.Session, error) {
	var s store.Session
	var created, expires int64
	if err := row.Scan(&s.Hash, &s.UserID, &s.MFAPending, &created, &expires); err != nil {
		return store.Session{}, err
	}
	s.CreatedAt, s.ExpiresAt = time.Unix(0, created).UTC(), time.Unix(0, expires).UTC()
	return s, nil
}

func scanInvitation(row scanner) (store.Invitation, error) {
	var i store.Invitation
	var created, expires int64
	var accepted sql.NullInt64
	err := row.Scan(&i.Hash, &i.ID, &i.Org, &i.Email, &i.Role, &i.InvitedBy, &created, &expires, &accepted)
	if err != nil {
		return store.Invitation{}, err
	}
	i.CreatedAt, i.ExpiresAt = time.Unix(0, created).UTC(), time.Unix(0, expires).UTC()
	if accepted.Valid {
		i.AcceptedAt = time.Unix(0, accepted.Int64).UTC()
	}
	return i, nil
}

func (r *reader) User(ctx context.Context, id string) (store.User, error) {
	return one(ctx, r, "user "+id, scanUser, `SELECT `+userColumns+` FROM users WHERE id = ?`, id)
}

func (r *reader) UserByEmail(ctx context.Context, email string) (store.User, error) {
	return one(ctx, r, "user", scanUser, `SELECT `+userColumns+` FROM users WHERE email = ?`, email)
}

func (r *reader) Member(ctx context.Context, org, userID string) (store.Member, error) {
	return one(ctx, r, "member", scanMember,
		`SELECT `+memberColumns+` FROM members WHERE org = ? AND user_id = ?`, org, userID)
}

func (r *reader) Members(ctx context.Context, org string) ([]store.Member, error) {
	return all(ctx, r, "members", scanMember,
		`SELECT `+memberColumns+` FROM members WHERE org = ? ORDER BY created_at, user_id`, org)
}

func (r *reader) Memberships(ctx context.Context, userID string) ([]store.Member, error) {
	return all(ctx, r, "memberships", scanMember,
		`SELECT `+memberColumns+` FROM members WHERE user_id = ? ORDER BY created_at, org`, userID)
}

func (r *reader) Role(ctx context.Context, org, name string) (store.Role, error) {
	return one(ctx, r, "role "+name, scanRole,
		`SELECT org, name, permissions, created_at FROM roles WHERE org = ? AND name = ?`, org, name)
}

func (r *reader) Roles(ctx context.Context, org string) ([]store.Role, error) {
	return all(ctx, r, "roles", scanRole,
		`SELECT org, name, permissions, created_at FROM roles WHERE org = ? ORDER BY created_at, name`, org)
}

func (r *reader) Session(ctx context.Context, hash []byte) (store.Session, error) {
	return one(ctx, r, "session", scanSession, `SELECT `+sessionColumns+` FROM sessions WHERE hash = ?`, hash)
}

func (r *reader) Invitation(ctx context.Context, hash []byte) (store.Invitation, error) {
	return one(ctx, r, "invitation", scanInvitation,
		`SELECT `+invitationColumns+` FROM invitations WHERE hash = ?`, hash)
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
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, u.PasswordHash, u.MFASecret, u.MFAPending, u.MFAStep,
		encodeHashes(u.RecoveryCodes), ns[0])
}

// LockUser reads the user: the one writer connection serializes writers.
func (t *tx) LockUser(ctx context.Context, id string) (store.User, error) {
	return t.User(ctx, id)
}

func (t *tx) UpdateUser(ctx context.Context, u store.User) error {
	return t.exec(ctx, "update user "+u.ID, `UPDATE users SET name = ?2, password_hash = ?3,
		mfa_secret = ?4, mfa_pending = ?5, mfa_step = ?6, recovery_codes = ?7 WHERE id = ?1`,
		u.ID, u.Name, u.PasswordHash, u.MFASecret, u.MFAPending, u.MFAStep, encodeHashes(u.RecoveryCodes))
}

func (t *tx) AddMember(ctx context.Context, m store.Member) error {
	ns, err := times(m.CreatedAt)
	if err != nil {
		return fmt.Errorf("couldn't add member %q: %w", m.UserID, err)
	}
	return t.exec(ctx, "add member "+m.UserID+" to "+m.Org, `INSERT INTO members (`+memberColumns+`)
		SELECT ?1, ?2, ?3, ?4 WHERE `+registered+` AND EXISTS (SELECT 1 FROM users WHERE id = ?2)`,
		m.Org, m.UserID, m.Role, ns[0])
}

func (t *tx) SetRole(ctx context.Context, org, userID, role string) error {
	return t.exec(ctx, "set the role of "+userID, `UPDATE members SET role = ?3 WHERE org = ?1 AND user_id = ?2`,
		org, userID, role)
}

func (t *tx) RemoveMember(ctx context.Context, org, userID string) error {
	return t.exec(ctx, "remove member "+userID, `DELETE FROM members WHERE org = ? AND user_id = ?`, org, userID)
}

func (t *tx) CreateRole(ctx context.Context, ro store.Role) error {
	ns, err := times(ro.CreatedAt)
	if err != nil {
		return fmt.Errorf("couldn't create role %q: %w", ro.Name, err)
	}
	perms := []byte("[]")
	if len(ro.Permissions) > 0 {
		perms, _ = json.Marshal(ro.Permissions)
	}
	return t.exec(ctx, "create role "+ro.Name, `INSERT INTO roles (org, name, permissions, created_at)
		SELECT ?1, ?2, ?3, ?4 WHERE `+registered, ro.Org, ro.Name, string(perms), ns[0])
}

// CreateSession also removes the user's expired sessions, so that they
// don't pile up.
func (t *tx) CreateSession(ctx context.Context, s store.Session) error {
	ns, err := times(s.CreatedAt, s.ExpiresAt)
	if err != nil {
		return fmt.Errorf("couldn't create session: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?`, s.UserID, ns[0]); err != nil {
		return fmt.Errorf("couldn't remove expired sessions: %w", err)
	}
	return t.exec(ctx, "create session", `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?)`,
		s.Hash, s.UserID, s.MFAPending, ns[0], ns[1])
}

func (t *tx) UpdateSession(ctx context.Context, s store.Session) error {
	ns, err := times(s.ExpiresAt)
	if err != nil {
		return fmt.Errorf("couldn't update session: %w", err)
	}
	return t.exec(ctx, "update session", `UPDATE sessions SET mfa_pending = ?2, expires_at = ?3 WHERE hash = ?1`,
		s.Hash, s.MFAPending, ns[0])
}

func (t *tx) DeleteSession(ctx context.Context, hash []byte) error {
	return t.exec(ctx, "delete session", `DELETE FROM sessions WHERE hash = ?`, hash)
}

func (t *tx) DeleteSessions(ctx context.Context, userID string, keep []byte) (int, error) {
	if keep == nil {
		keep = []byte{}
	}
	res, err := t.tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND hash <> ?`, userID, keep)
	if err != nil {
		return 0, fmt.Errorf("couldn't delete the sessions of %q: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (t *tx) CreateInvitation(ctx context.Context, i store.Invitation) error {
	ns, err := times(i.CreatedAt, i.ExpiresAt)
	if err != nil {
		return fmt.Errorf("couldn't create invitation %q: %w", i.ID, err)
	}
	return t.exec(ctx, "create invitation "+i.ID, `INSERT INTO invitations (`+invitationColumns+`)
		SELECT ?3, ?2, ?1, ?4, ?5, ?6, ?7, ?8, NULL WHERE `+registered,
		i.Org, i.ID, i.Hash, i.Email, i.Role, i.InvitedBy, ns[0], ns[1])
}

func (t *tx) AcceptInvitation(ctx context.Context, hash []byte, at time.Time) error {
	ns, err := times(at)
	if err != nil {
		return fmt.Errorf("couldn't accept invitation: %w", err)
	}
	return t.exec(ctx, "accept invitation", `UPDATE invitations SET accepted_at = ?2
		WHERE hash = ?1 AND accepted_at IS NULL`, hash, ns[0])
}

const viewerTokenColumns = `id, org, subject, permissions, hash, created_at, expires_at, revoked_at`

func scanViewerToken(row scanner) (store.ViewerToken, error) {
	var v store.ViewerToken
	var perms string
	var created, expires int64
	var revoked sql.NullInt64
	if err := row.Scan(&v.ID, &v.Org, &v.Subject, &perms, &v.Hash, &created, &expires, &revoked); err != nil {
		return store.ViewerToken{}, err
	}
	if err := json.Unmarshal([]byte(perms), &v.Permissions); err != nil {
		return store.ViewerToken{}, fmt.Errorf("viewer token %q: permissions: %w", v.ID, err)
	}
	if len(v.Permissions) == 0 {
		v.Permissions = nil
	}
	v.CreatedAt, v.ExpiresAt = time.Unix(0, created).UTC(), time.Unix(0, expires).UTC()
	if revoked.Valid {
		v.RevokedAt = time.Unix(0, revoked.Int64).UTC()
	}
	return v, nil
}

func (r *reader) ViewerToken(ctx context.Context, id string) (store.ViewerToken, error) {
	return one(ctx, r, "viewer token "+id, scanViewerToken,
		`SELECT `+viewerTokenColumns+` FROM viewer_tokens WHERE id = ?`, id)
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
	perms := []byte("[]")
	if len(v.Permissions) > 0 {
		perms, _ = json.Marshal(v.Permissions)
	}
	hash := v.Hash
	if hash == nil {
		hash = []byte{}
	}
	return t.exec(ctx, "create viewer token "+v.ID, `INSERT INTO viewer_tokens (`+viewerTokenColumns+`)
		SELECT ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8 WHERE `+registered,
		v.Org, v.ID, v.Subject, string(perms), hash, ns[0], ns[1], revoked)
}

func (t *tx) RevokeViewerToken(ctx context.Context, org, id string, at time.Time) error {
	ns, err := times(at)
	if err != nil {
		return fmt.Errorf("couldn't revoke viewer token %q: %w", id, err)
	}
	return t.exec(ctx, "revoke viewer token "+id, `UPDATE viewer_tokens SET revoked_at = coalesce(revoked_at, ?3)
		WHERE org = ?1 AND id = ?2`, org, id, ns[0])
}

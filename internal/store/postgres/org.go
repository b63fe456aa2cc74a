package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store"
)

// A row of orgs is a log; it is a registered organization once created_at
// is set, with name, plan and time_zone.

// Org reads a row of orgs that is registered.
func (r *reader) Org(ctx context.Context, id string) (store.Org, error) {
	var o store.Org
	var created int64
	err := r.tx.QueryRow(ctx, `SELECT id, name, plan, time_zone, retention_days, require_mfa, created_at FROM orgs
		WHERE id = $1 AND created_at IS NOT NULL`, id).Scan(&o.ID, &o.Name, &o.Plan, &o.TimeZone, &o.RetentionDays, &o.RequireMFA, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Org{}, fmt.Errorf("couldn't read organization %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Org{}, fmt.Errorf("couldn't read organization %q: %w", id, err)
	}
	o.CreatedAt = unixNano(created)
	return o, nil
}

const apiKeyColumns = `id, org, name, scopes, hash, created_at, revoked_at`

// APIKey reads the key by its id.
func (r *reader) APIKey(ctx context.Context, id string) (store.APIKey, error) {
	k, err := scanAPIKey(r.tx.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.APIKey{}, fmt.Errorf("couldn't read key %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("couldn't read key %q: %w", id, err)
	}
	return k, nil
}

// APIKeys lists org's keys by creation time, then id.
func (r *reader) APIKeys(ctx context.Context, org string) ([]store.APIKey, error) {
	rows, err := r.tx.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE org = $1 ORDER BY created_at, id`, org)
	if err != nil {
		return nil, fmt.Errorf("couldn't list keys of %q: %w", org, err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.APIKey, error) { return scanAPIKey(row) })
	if err != nil {
		return nil, fmt.Errorf("couldn't list keys of %q: %w", org, err)
	}
	if keys == nil {
		keys = []store.APIKey{}
	}
	return keys, nil
}

// scanAPIKey reads a row of apiKeyColumns. An empty scopes list comes back
// nil.
func scanAPIKey(row pgx.Row) (store.APIKey, error) {
	var k store.APIKey
	var created int64
	var revoked *int64
	if err := row.Scan(&k.ID, &k.Org, &k.Name, &k.Scopes, &k.Hash, &created, &revoked); err != nil {
		return store.APIKey{}, err
	}
	if len(k.Scopes) == 0 {
		k.Scopes = nil
	}
	k.CreatedAt = unixNano(created)
	if revoked != nil {
		k.RevokedAt = unixNano(*revoked)
	}
	return k, nil
}

// CreateOrg registers org's row of orgs, inserting it if need be.
func (t *tx) CreateOrg(ctx context.Context, o store.Org) error {
	created, err := nanos(o.CreatedAt)
	if err != nil {
		return fmt.Errorf("couldn't register organization %q: created_at: %w", o.ID, err)
	}
	// Registers the log that exists, or creates it; no row if the
	// organization is registered already.
	err = t.tx.QueryRow(ctx, `INSERT INTO orgs (id, name, plan, time_zone, created_at, retention_days, require_mfa)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, plan = excluded.plan,
			time_zone = excluded.time_zone, created_at = excluded.created_at,
			retention_days = excluded.retention_days, require_mfa = excluded.require_mfa
		WHERE orgs.created_at IS NULL
		RETURNING true`, o.ID, o.Name, o.Plan, o.TimeZone, created, o.RetentionDays, o.RequireMFA).Scan(new(bool))
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("couldn't register organization %q: %w", o.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("couldn't register organization %q: %w", o.ID, err)
	}
	t.logs[o.ID] = true
	return nil
}

// UpdateOrg updates a registered organization's row.
func (t *tx) UpdateOrg(ctx context.Context, o store.Org) error {
	tag, err := t.tx.Exec(ctx, `UPDATE orgs SET name = $2, plan = $3, time_zone = $4, retention_days = $5, require_mfa = $6
		WHERE id = $1 AND created_at IS NOT NULL`, o.ID, o.Name, o.Plan, o.TimeZone, o.RetentionDays, o.RequireMFA)
	if err != nil {
		return fmt.Errorf("couldn't update organization %q: %w", o.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("couldn't update organization %q: %w", o.ID, store.ErrNotFound)
	}
	return nil
}

// CreateAPIKey inserts a key of a registered organization.
func (t *tx) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	created, err := nanos(k.CreatedAt)
	if err != nil {
		return fmt.Errorf("couldn't create key %q: created_at: %w", k.ID, err)
	}
	revoked, err := optionalNanos(k.RevokedAt)
	if err != nil {
		return fmt.Errorf("couldn't create key %q: revoked_at: %w", k.ID, err)
	}
	scopes := k.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	hash := k.Hash
	if hash == nil {
		hash = []byte{} // empty, not NULL
	}
	// Inserts nothing unless the organization is registered.
	tag, err := t.tx.Exec(ctx, `INSERT INTO api_keys (id, org, name, scopes, hash, created_at, revoked_at)
		SELECT $1, id, $3, $4, $5, $6, $7 FROM orgs WHERE id = $2 AND created_at IS NOT NULL`,
		k.ID, k.Org, k.Name, scopes, hash, created, revoked)
	if err != nil {
		return fmt.Errorf("couldn't create key %q of %q: %w", k.ID, k.Org, conflict(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("couldn't create key %q: organization %q: %w", k.ID, k.Org, store.ErrNotFound)
	}
	return nil
}

// RevokeAPIKey sets the revocation time of a key that has none.
func (t *tx) RevokeAPIKey(ctx context.Context, org, id string, at time.Time) error {
	revoked, err := nanos(at)
	if err != nil {
		return fmt.Errorf("couldn't revoke key %q of %q: revoked_at: %w", id, org, err)
	}
	// Keeps the first revocation time.
	tag, err := t.tx.Exec(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $3)
		WHERE id = $2 AND org = $1`, org, id, revoked)
	if err != nil {
		return fmt.Errorf("couldn't revoke key %q of %q: %w", id, org, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("couldn't revoke key %q of %q: %w", id, org, store.ErrNotFound)
	}
	return nil
}

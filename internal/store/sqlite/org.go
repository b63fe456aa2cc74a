package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

func (r *reader) Org(ctx context.Context, id string) (store.Org, error) {
	var o store.Org
	var created int64
	err := r.stmt(ctx, r.s.org).QueryRowContext(ctx, id).Scan(&o.ID, &o.Name, &o.Plan, &o.TimeZone, &o.RetentionDays, &o.RequireMFA, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Org{}, fmt.Errorf("couldn't read organization %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Org{}, fmt.Errorf("couldn't read organization %q: %w", id, err)
	}
	o.CreatedAt = time.Unix(0, created).UTC()
	return o, nil
}

func (r *reader) APIKey(ctx context.Context, id string) (store.APIKey, error) {
	k, err := scanAPIKey(r.stmt(ctx, r.s.apiKey).QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.APIKey{}, fmt.Errorf("couldn't read key %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("couldn't read key %q: %w", id, err)
	}
	return k, nil
}

func (r *reader) APIKeys(ctx context.Context, org string) ([]store.APIKey, error) {
	rows, err := r.stmt(ctx, r.s.apiKeys).QueryContext(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("couldn't list keys of %q: %w", org, err)
	}
	defer rows.Close()
	keys := []store.APIKey{}
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("couldn't list keys of %q: %w", org, err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't list keys of %q: %w", org, err)
	}
	return keys, nil
}

// scanAPIKey reads a row of apiKeyColumns. An empty scopes list comes back
// nil.
func scanAPIKey(row interface{ Scan(...any) error }) (store.APIKey, error) {
	var k store.APIKey
	var scopes []byte
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&k.ID, &k.Org, &k.Name, &scopes, &k.Hash, &created, &revoked); err != nil {
		return store.APIKey{}, err
	}
	if err := json.Unmarshal(scopes, &k.Scopes); err != nil {
		return store.APIKey{}, fmt.Errorf("key %q: scopes: %w", k.ID, err)
	}
	if len(k.Scopes) == 0 {
		k.Scopes = nil
	}
	k.CreatedAt = time.Unix(0, created).UTC()
	if revoked.Valid {
		k.RevokedAt = time.Unix(0, revoked.Int64).UTC()
	}
	return k, nil
}

func (t *tx) CreateOrg(ctx context.Context, o store.Org) error {
	created, err := nanos(o.CreatedAt)
	if err != nil {
		return fmt.Errorf("couldn't register organization %q: created_at: %w", o.ID, err)
	}
	var num int64
	err = t.stmt(ctx, t.s.registerOrg).QueryRowContext(ctx, o.ID, o.Name, o.Plan, o.TimeZone, created, o.RetentionDays, o.RequireMFA).Scan(&num)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("couldn't register organization %q: %w", o.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("couldn't register organization %q: %w", o.ID, err)
	}
	t.remember(o.ID, num)
	return nil
}

func (t *tx) UpdateOrg(ctx context.Context, o store.Org) error {
	res, err := t.stmt(ctx, t.s.updateOrg).ExecContext(ctx, o.ID, o.Name, o.Plan, o.TimeZone, o.RetentionDays, o.RequireMFA)
	if err != nil {
		return fmt.Errorf("couldn't update organization %q: %w", o.ID, err)
	}
	if err := affected(res); err != nil {
		return fmt.Errorf("couldn't update organization %q: %w", o.ID, err)
	}
	return nil
}

func (t *tx) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	created, err := nanos(k.CreatedAt)
	if err != nil {
		return fmt.Errorf("couldn't create key %q: created_at: %w", k.ID, err)
	}
	revoked, err := optionalNanos(k.RevokedAt)
	if err != nil {
		return fmt.Errorf("couldn't create key %q: revoked_at: %w", k.ID, err)
	}
	scopes := []byte("[]")
	if len(k.Scopes) > 0 {
		if scopes, err = json.Marshal(k.Scopes); err != nil {
			return fmt.Errorf("couldn't create key %q: scopes: %w", k.ID, err)
		}
	}
	hash := k.Hash
	if hash == nil {
		hash = []byte{} // an empty blob, not NULL
	}
	res, err := t.stmt(ctx, t.s.insertAPIKey).ExecContext(ctx,
		k.ID, k.Org, k.Name, string(scopes), hash, created, revoked)
	if err != nil {
		return fmt.Errorf("couldn't create key %q of %q: %w", k.ID, k.Org, conflict(err))
	}
	if err := affected(res); err != nil {
		return fmt.Errorf("couldn't create key %q: organization %q: %w", k.ID, k.Org, err)
	}
	return nil
}

func (t *tx) RevokeAPIKey(ctx context.Context, org, id string, at time.Time) error {
	revoked, err := nanos(at)
	if err != nil {
		return fmt.Errorf("couldn't revoke key %q of %q: revoked_at: %w", id, org, err)
	}
	res, err := t.stmt(ctx, t.s.revokeAPIKey).ExecContext(ctx, org, id, revoked)
	if err != nil {
		return fmt.Errorf("couldn't revoke key %q of %q: %w", id, org, err)
	}
	if err := affected(res); err != nil {
		return fmt.Errorf("couldn't revoke key %q of %q: %w", id, org, err)
	}
	return nil
}

// affected returns store.ErrNotFound if the statement of res changed no
// row.
func affected(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store"
)

// migrations holds the schema, one file per version: NNN_name.sql brings a
// database from version NNN-1 to NNN. The table stele_schema records the
// version a database is at.
//
//go:embed migrations/*.sql
var migrations embed.FS

// loadMigrations returns the embedded migrations in version order.
func loadMigrations() ([]store.Migration, error) {
	return store.ReadMigrations(migrations, "migrations")
}

// schemaKey is the second key of the store's advisory locks, the hash of
// the schema's name: a lock is of one schema, which every store on it
// shares.
const schemaKey = `hashtext(coalesce(current_schema(), ''))`

// schemaLock is the advisory lock that migrations take: servers starting
// at once migrate one after the other, and the second finds nothing left
// to do.
const schemaLock = `SELECT pg_advisory_xact_lock(hashtext('stele.migrate'), ` + schemaKey + `)`

// migrate brings the database up to the latest schema in one transaction.
// A database already there is left alone; one from a newer program is
// refused.
func migrate(ctx context.Context, conn *pgx.Conn) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("couldn't begin migration: %w", err)
	}
	defer rollback(ctx, tx)
	if _, err := tx.Exec(ctx, schemaLock); err != nil {
		return fmt.Errorf("couldn't lock the schema: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS stele_schema (version integer NOT NULL)`); err != nil {
		return fmt.Errorf("couldn't read schema version: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM stele_schema`).Scan(&have); err != nil {
		return fmt.Errorf("couldn't read schema version: %w", err)
	}
	if have > len(ms) {
		return fmt.Errorf("database schema version %d is newer than this program's %d", have, len(ms))
	}
	if have == len(ms) {
		return tx.Commit(ctx)
	}
	for _, m := range ms[have:] {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("couldn't apply migration %s: %w", m.Name, err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM stele_schema`); err != nil {
		return fmt.Errorf("couldn't set schema version: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO stele_schema (version) VALUES ($1)`, len(ms)); err != nil {
		return fmt.Errorf("couldn't set schema version: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("couldn't commit migration: %w", err)
	}
	return nil
}

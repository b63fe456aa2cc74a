package postgres

import (
	"context"
	"embed"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrations holds the schema, one file per version: NNN_name.sql brings a
// database from version NNN-1 to NNN. The table stele_schema records the
// version a database is at.
//
//go:embed migrations/*.sql
var migrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations in version order, checking
// that versions run 1, 2, 3... without gaps.
func loadMigrations() ([]migration, error) {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return nil, fmt.Errorf("couldn't list migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name is not NNN_name.sql", e.Name())
		}
		b, err := migrations.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("couldn't read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// schemaLock is the advisory lock that migrations take, with the hash of
// the schema's name: servers starting at once migrate one after the other,
// and the second finds nothing left to do.
const schemaLock = `SELECT pg_advisory_xact_lock(hashtext('stele.migrate'), hashtext(coalesce(current_schema(), '')))`

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
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("couldn't apply migration %s: %w", m.name, err)
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

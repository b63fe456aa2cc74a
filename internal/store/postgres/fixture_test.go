package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// searchFixture opens the search benchmarks' store (storetest's
// SearchFixture and BuildFixture), built in a schema dropped when b ends,
// or, when $STELE_SEARCH_FIXTURE is set (to anything: here it is only a
// flag), kept in the schema search_fixture_<shape> of the test database
// and reused by later runs. A kept fixture is complete once its table
// fixture_complete names its shape, written last; one without is dropped
// and built again. Either way the store is at rest when returned (see
// settle). $STELE_SEARCH_ACME, a number of events, resizes the default
// shape's organization: a fixture larger than 300k that still builds in
// minutes (1,000,000, the largest organization of 10m, in about ten).
func searchFixture(b *testing.B) *DB {
	shape, keep := storetest.SearchFixture(b)
	if n, err := strconv.Atoi(os.Getenv("STELE_SEARCH_ACME")); err == nil && shape.Others == 0 {
		shape.Name, shape.Acme = "acme_"+strconv.Itoa(n), n
	}
	if keep == "" {
		db := openTest(b, newSchema(b))
		buildFixture(b, db, shape)
		return db
	}
	needServer(b)
	schema := "search_fixture_" + shape.Name
	url := withParams(b, serverURL, "search_path="+schema)
	if fixtureComplete(b, schema, shape) {
		db := openTest(b, url)
		// A fixture built before a migration that the store fills in
		// the background catches up once, on its first opening after.
		if waitText(b, db) {
			vacuum(b, db)
		}
		return db
	}
	b.Logf("search fixture: building %s in schema %s", shape.Name, schema)
	admin(b, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	admin(b, "CREATE SCHEMA "+schema)
	db := openTest(b, url)
	start := time.Now()
	buildFixture(b, db, shape)
	admin(b, "CREATE TABLE "+schema+".fixture_complete (shape text NOT NULL)")
	admin(b, "INSERT INTO "+schema+".fixture_complete VALUES ($1)", fmt.Sprint(shape))
	b.Logf("search fixture: built in %v", time.Since(start).Round(time.Second))
	return db
}

// buildFixture fills db, empty, with shape's events and settles it.
func buildFixture(b *testing.B, db *DB, shape storetest.FixtureShape) {
	if err := storetest.BuildFixture(b, db, shape); err != nil {
		b.Fatal(err)
	}
	waitText(b, db)
	vacuum(b, db)
}

// waitText waits until the text index, which the store fills in the
// background while open, holds all of db's events, so that the
// benchmarks measure neither an indexer at work nor a search of events
// it has yet to index. It reports whether there was anything to wait
// for. It compares heads with marks: reading leaves takes seconds at 10M.
func waitText(b *testing.B, db *DB) (waited bool) {
	start, logged := time.Now(), time.Now()
	for {
		var behind int64
		err := db.pool.QueryRow(b.Context(), `SELECT coalesce(sum(o.tree_size - 1 - coalesce(t.up_to, -1)), 0)
			FROM orgs o LEFT JOIN text_indexed t ON t.org = o.id`).Scan(&behind)
		switch {
		case err != nil:
			b.Fatalf("couldn't tell how far the text index is behind: %v", err)
		case behind == 0:
			if waited {
				b.Logf("search fixture: text index caught up in %v", time.Since(start).Round(time.Second))
			}
			return waited
		case time.Since(logged) > time.Minute:
			b.Logf("search fixture: text index %d events behind", behind)
			logged = time.Now()
		}
		waited = true
		time.Sleep(time.Second)
	}
}

// vacuum vacuums and analyzes db's tables. Analyzing gives the planner
// statistics, which partitioned tables get from nothing else; vacuuming
// sets the visibility map that index-only scans need. Autovacuum would do
// both in a live store, but the test server may run without it.
func vacuum(b *testing.B, db *DB) {
	var tables string
	err := db.pool.QueryRow(b.Context(), `SELECT string_agg(format('%I', relname), ', ') FROM pg_class
		WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition`).Scan(&tables)
	if err == nil {
		_, err = db.pool.Exec(b.Context(), "VACUUM (ANALYZE) "+tables)
	}
	if err != nil {
		b.Fatalf("couldn't vacuum the search fixture: %v", err)
	}
}

// fixtureComplete reports whether schema holds a complete fixture of
// shape.
func fixtureComplete(b *testing.B, schema string, shape storetest.FixtureShape) bool {
	ctx, cancel := context.WithTimeout(b.Context(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		b.Fatalf("connecting to %s: %v", serverURL, err)
	}
	defer conn.Close(ctx)
	var complete bool
	err = conn.QueryRow(ctx, `SELECT to_regclass(format('%I.fixture_complete', $1::text)) IS NOT NULL`, schema).Scan(&complete)
	if err == nil && complete {
		err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM "+schema+".fixture_complete WHERE shape = $1)",
			fmt.Sprint(shape)).Scan(&complete)
	}
	if err != nil {
		b.Fatalf("couldn't look for the search fixture in %s: %v", schema, err)
	}
	return complete
}

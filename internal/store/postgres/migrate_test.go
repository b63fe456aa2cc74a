package postgres

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// schemaOf returns the tables and indexes of db's schema, as text.
func schemaOf(t *testing.T, db *DB) string {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
		UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		b.WriteString(s + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func versionOf(t *testing.T, db *DB) int {
	t.Helper()
	var v int
	if err := db.pool.QueryRow(t.Context(), `SELECT version FROM stele_schema`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMigrate checks that opening a database again leaves its schema
// alone, that servers opening a new one at once all succeed, and that a
// database from a newer program is refused.
func TestMigrate(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	u := newSchema(t)

	// Several servers starting at once on an empty schema.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			db, err := Open(t.Context(), u)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent Open #%d = %v", i, err)
		}
	}

	db := openTest(t, u)
	if v := versionOf(t, db); v != len(ms) {
		t.Errorf("version = %d, want %d", v, len(ms))
	}
	first := schemaOf(t, db)
	for _, table := range []string{"orgs", "leaves", "events", "events_default", "tiles", "checkpoints", "api_keys"} {
		if !strings.Contains(first, table+"\n") {
			t.Errorf("schema has no table %s:\n%s", table, first)
		}
	}
	db.Close()

	db = openTest(t, u)
	if v, s := versionOf(t, db), schemaOf(t, db); v != len(ms) || s != first {
		t.Errorf("reopened: version = %d, schema changed: %v", v, s != first)
	}
	if _, err := db.pool.Exec(t.Context(), `UPDATE stele_schema SET version = 1000`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(t.Context(), u)
	if err == nil {
		db.Close()
		t.Fatal("Open(database at version 1000) = nil error, want one")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open(database at version 1000) = %v, want it to say the database is newer", err)
	}
}

// TestDurable checks that a server that would acknowledge commits before
// flushing them is refused, saying why, and that the test server isn't.
func TestDurable(t *testing.T) {
	u := newSchema(t, "options=-c synchronous_commit=off")
	db, err := Open(t.Context(), u)
	if err == nil {
		db.Close()
		t.Fatal("Open(synchronous_commit=off) = nil error, want one")
	}
	if !strings.Contains(err.Error(), "synchronous_commit=off") || !strings.Contains(err.Error(), "acknowledged") {
		t.Errorf("Open(synchronous_commit=off) = %v, want it to say why", err)
	}

	db = openTest(t, newSchema(t))
	if err := db.CheckDurable(t.Context()); err != nil {
		t.Errorf("CheckDurable() = %v", err)
	}
	// A session that turns it off is refused too.
	conn, err := db.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(t.Context(), "SET synchronous_commit = off"); err != nil {
		t.Fatal(err)
	}
	if err := CheckDurable(context.WithoutCancel(t.Context()), conn.Conn()); err == nil {
		t.Errorf("CheckDurable(session with synchronous_commit off) = nil, want an error")
	}
	if _, err := conn.Exec(t.Context(), "RESET synchronous_commit"); err != nil {
		t.Fatal(err)
	}
}

// backTo takes db's schema back to version v, its events kept: it drops
// the tables of the later migrations, which is all they create.
func backTo(t *testing.T, db *DB, v int) {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for _, m := range ms[v:] {
		for _, c := range createTable.FindAllStringSubmatch(m.SQL, -1) {
			if !slices.Contains(tables, c[1]) { // a table made again
				tables = append(tables, c[1])
			}
		}
	}
	_, err = db.pool.Exec(t.Context(), "DROP TABLE "+strings.Join(tables, ", ")+"; UPDATE stele_schema SET version = "+fmt.Sprint(v))
	if err != nil {
		t.Fatal(err)
	}
}

var createTable = regexp.MustCompile(`(?m)^CREATE TABLE (\w+)`)

// TestMigrateHours checks that migration 2 counts the events a database
// at version 1 holds, as Append would have.
func TestMigrateHours(t *testing.T) {
	u := newSchema(t)
	db := openTest(t, u)
	at := time.Date(1969, 12, 31, 23, 30, 0, 0, time.UTC)
	var events []*store.Event
	for i := range 6 {
		e := testEvent("acme", int64(i), at.Add(time.Duration(i)*20*time.Minute))
		if i%2 == 1 {
			e.Event, e.Category = "finding.assigned", "finding"
		}
		events = append(events, e)
	}
	appendEvents(t, db, "acme", events...)
	hours := func(db *DB) string {
		rows, err := db.pool.Query(t.Context(), `SELECT hour, category, event, n FROM event_hours ORDER BY 1, 2, 3`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var hour, n int64
			var category, event string
			if err := rows.Scan(&hour, &category, &event, &n); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s %s %d\n", unixNano(hour).Format(time.RFC3339), category, event, n)
		}
		return b.String()
	}
	want := hours(db)
	if strings.Count(want, "\n") != 5 {
		t.Fatalf("event_hours = \n%s\nwant 5 rows", want)
	}
	backTo(t, db, 1)
	db.Close()
	if got := hours(openTest(t, u)); got != want {
		t.Errorf("event_hours after migrating = \n%s\nwant (as Append counts)\n%s", got, want)
	}
}

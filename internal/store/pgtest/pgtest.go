// Package pgtest gives tests outside the PostgreSQL backend a schema of
// their own on the test server: STELE_TEST_POSTGRES (a URL), or the
// local server at 127.0.0.1:5432, database test. Without a server the
// tests skip, saying why in one line, unless STELE_TEST_REQUIRE names
// postgres (as CI's does): then they fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// server finds the test server once: its URL, or why there is none.
var server = sync.OnceValues(func() (string, error) {
	u := os.Getenv("STELE_TEST_POSTGRES")
	if u == "" {
		u = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err == nil {
		err = installExtensions(ctx, conn)
		conn.Close(ctx)
	}
	if err != nil {
		// pgx says why for each address it tried, a line each: one line.
		return "", errors.New(strings.Join(strings.Fields(err.Error()), " "))
	}
	return u, nil
})

// installExtensions creates the extensions the store's migrations need in
// the schema public, unless the database has them: a migration would
// create them in its test's schema, and dropping that schema would drop
// them, and the indexes of every other test's schema with them.
func installExtensions(ctx context.Context, conn *pgx.Conn) error {
	for _, ext := range []string{"pg_trgm", "btree_gin"} {
		if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+ext+" SCHEMA public"); err != nil {
			return fmt.Errorf("couldn't create extension %s: %w", ext, err)
		}
	}
	return nil
}

// Schema creates an empty schema, dropped when t ends, and returns the
// URL of the test server with the schema first in its search_path. It
// skips or fails t if there is no server (see the package doc).
func Schema(t testing.TB) string {
	t.Helper()
	u, err := server()
	if err != nil {
		missing(t, "server", err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "stele_test_" + hex.EncodeToString(b[:])
	admin(t, u, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { admin(t, u, "DROP SCHEMA "+schema+" CASCADE") })
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatalf("STELE_TEST_POSTGRES must be a URL here: %v", err)
	}
	q := parsed.Query()
	q.Set("search_path", schema)
	parsed.RawQuery = q.Encode()
	return parsed.String()
}

// admin runs sql on the server at u, outside any store.
func admin(t testing.TB, u, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connecting to the test server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// missing skips t for want of what, or fails it when STELE_TEST_REQUIRE
// names postgres.
func missing(t testing.TB, what string, err error) {
	t.Helper()
	if strings.Contains(os.Getenv("STELE_TEST_REQUIRE"), "postgres") {
		t.Fatalf("postgres: no %s, and STELE_TEST_REQUIRE wants one: %v", what, err)
	}
	t.Skipf("postgres: no %s: %v", what, err)
}

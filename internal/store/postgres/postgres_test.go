package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// The tests run against the PostgreSQL server at $STELE_TEST_POSTGRES (a
// URL), or else at 127.0.0.1:5432 (user postgres, database test). Each
// store gets a schema of its own, dropped when its test ends. Without a
// server the tests are skipped, unless $STELE_TEST_REQUIRE names
// postgres.

// serverURL is the URL of the test server, and serverErr why there is
// none, once TestMain looked.
var serverURL, serverErr = "", error(nil)

func TestMain(m *testing.M) {
	serverURL = os.Getenv("STELE_TEST_POSTGRES")
	if serverURL == "" {
		serverURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	conn, err := pgx.Connect(ctx, serverURL)
	if err == nil {
		err = conn.Ping(ctx)
		if err == nil {
			err = installExtensions(ctx, conn)
		}
		conn.Close(ctx)
	}
	cancel()
	if err != nil {
		// pgx says why for each address it tried, a line each: one line.
		serverErr = errors.New(strings.Join(strings.Fields(err.Error()), " "))
		err = serverErr
		if strings.Contains(os.Getenv("STELE_TEST_REQUIRE"), "postgres") {
			fmt.Fprintf(os.Stderr, "postgres: no server, and STELE_TEST_REQUIRE wants one: %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "postgres: skipping the tests that need a server: %v\n", err)
	}
	os.Exit(m.Run())
}

// installExtensions creates the extensions that migrations need in the
// schema public, unless the database has them: a migration would create
// them in the schema of its store, and dropping that schema at the end of
// its test would drop them, and the indexes of the other tests' schemas
// with them.
func installExtensions(ctx context.Context, conn *pgx.Conn) error {
	for _, ext := range []string{"pg_trgm", "btree_gin"} {
		if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+ext+" SCHEMA public"); err != nil {
			return fmt.Errorf("couldn't create extension %s: %w", ext, err)
		}
	}
	return nil
}

// needServer skips t if there is no test server (TestMain said why).
func needServer(t testing.TB) {
	t.Helper()
	if serverErr != nil {
		t.SkipNow()
	}
}

// admin runs statements on the test server, outside any store.
func admin(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatalf("connecting to %s: %v", serverURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// newSchema creates an empty schema, dropped when t ends, and returns the
// URL of the test server with the schema first in the search_path and
// params added, as "key=value" pairs.
func newSchema(t testing.TB, params ...string) string {
	t.Helper()
	needServer(t)
	schema := randomName("stele_test_")
	admin(t, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { admin(t, "DROP SCHEMA "+schema+" CASCADE") })
	return withParams(t, serverURL, append([]string{"search_path=" + schema}, params...)...)
}

// newDatabase creates an empty database named prefix and random digits,
// dropped when t ends, and returns its name.
func newDatabase(t testing.TB, prefix string) string {
	t.Helper()
	needServer(t)
	name := randomName(prefix)
	admin(t, "CREATE DATABASE "+name)
	t.Cleanup(func() { admin(t, "DROP DATABASE "+name+" WITH (FORCE)") })
	return name
}

// withParams returns the connection string s with params added, each
// "key=value".
func withParams(t testing.TB, s string, params ...string) string {
	t.Helper()
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		for _, p := range params {
			k, v, _ := strings.Cut(p, "=")
			q.Set(k, v)
		}
		// Spaces as %20: pgx reads a "+" as itself.
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		return u.String()
	}
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		s += " " + k + "='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
	}
	return s
}

// openTest opens the store at url and closes it when t ends.
func openTest(t testing.TB, url string, opts ...Option) *DB {
	t.Helper()
	db, err := Open(t.Context(), url, opts...)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	needServer(t)
	var mu sync.Mutex
	urls := map[string]string{} // stores' URLs by name
	storetest.Run(t, func(t *testing.T, name string) store.Store {
		mu.Lock()
		u, ok := urls[name]
		mu.Unlock()
		if !ok {
			u = newSchema(t)
			mu.Lock()
			urls[name] = u
			mu.Unlock()
		}
		db, err := Open(t.Context(), u)
		if err != nil {
			t.Fatalf("Open(%s) = %v", name, err)
		}
		return db
	})
}

// TestMaxConns: MaxConns sizes the pool, unless the URL does.
func TestMaxConns(t *testing.T) {
	url := newSchema(t)
	if got := openTest(t, url, MaxConns(20)).pool.Config().MaxConns; got != 20 {
		t.Errorf("MaxConns(20): pool of %d", got)
	}
	if got := openTest(t, withParams(t, url, "pool_max_conns=3"), MaxConns(20)).pool.Config().MaxConns; got != 3 {
		t.Errorf("MaxConns(20), URL pool_max_conns=3: pool of %d", got)
	}
}

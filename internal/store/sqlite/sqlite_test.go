package sqlite

import (
	"context"
	"database/sql"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
	"golang.org/x/mod/sumdb/tlog"
)

// openTest opens a database at path and closes it when t ends.
func openTest(t testing.TB, path string, opts ...Option) *DB {
	t.Helper()
	db, err := Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%q) = %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	dir := t.TempDir()
	storetest.Run(t, func(t *testing.T, name string) store.Store {
		db, err := Open(t.Context(), filepath.Join(dir, name+".db"))
		if err != nil {
			t.Fatalf("Open(%s) = %v", name, err)
		}
		return db
	})
}

// TestDurable checks that writer and readers, as Open opens them, are in
// WAL mode with synchronous=FULL and secure_delete on, that readers can't
// write, and that only the owner can read the files.
func TestDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stele.db")
	db := openTest(t, path)
	for _, tt := range []struct {
		name string
		db   *sql.DB
	}{
		{"writer", db.w},
		{"reader", db.r},
	} {
		for _, p := range []struct {
			pragma string
			want   string
		}{
			{"journal_mode", "wal"},
			{"synchronous", "2"},
			{"secure_delete", "1"},
		} {
			var got string
			if err := tt.db.QueryRowContext(t.Context(), "PRAGMA "+p.pragma).Scan(&got); err != nil || got != p.want {
				t.Errorf("%s: PRAGMA %s = %q, %v, want %q", tt.name, p.pragma, got, err, p.want)
			}
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("Stat(%s) = %v, want mode 0600", p, err)
		}
	}
	var qo int
	if err := db.r.QueryRowContext(t.Context(), "PRAGMA query_only").Scan(&qo); err != nil || qo != 1 {
		t.Errorf("reader: PRAGMA query_only = %d, %v, want 1", qo, err)
	}
	if _, err := db.r.ExecContext(t.Context(), "INSERT INTO orgs (id, tree_size) VALUES ('x', 0)"); err == nil {
		t.Errorf("reader: INSERT succeeded, want an error")
	}
}

// TestMigrate checks that reopening a database leaves its schema alone,
// and that a database from a newer program is refused.
func TestMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stele.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	schema := func(db *DB) string {
		rows, err := db.w.QueryContext(t.Context(), "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var s string
			rows.Scan(&s)
			b.WriteString(s + "\n")
		}
		return b.String()
	}
	version := func(db *DB) int {
		var v int
		if err := db.w.QueryRowContext(t.Context(), "PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	db := openTest(t, path)
	if v := version(db); v != len(ms) {
		t.Errorf("user_version = %d, want %d", v, len(ms))
	}
	first := schema(db)
	db.Close()

	db = openTest(t, path)
	if v, s := version(db), schema(db); v != len(ms) || s != first {
		t.Errorf("reopened: user_version = %d, schema changed: %v", v, s != first)
	}
	if _, err := db.w.ExecContext(t.Context(), "PRAGMA user_version = 1000"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(t.Context(), path); err == nil {
		db.Close()
		t.Errorf("Open(database at version 1000) = nil error, want one")
	}
}

// TestOddPaths checks that a file name with URI syntax in it is a name.
func TestOddPaths(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b?c=d#e%20f&g")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x?mode=memory.db")
	db := openTest(t, path)
	err := db.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.LockHead(ctx, "acme")
		return err
	})
	if err != nil {
		t.Fatalf("ReadWrite = %v", err)
	}
	db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Stat(%q) = %v", path, err)
	}
	db = openTest(t, path)
	err = db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
		_, err := r.Head(ctx, "acme")
		return err
	})
	if err != nil {
		t.Errorf("reopened: Head(acme) = %v", err)
	}
}

// TestBadTiles checks that PutTiles refuses data that doesn't match the
// tile's width, since Tiles measures width by it.
func TestBadTiles(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "stele.db"))
	for _, tt := range []struct {
		tiles []tlog.Tile
		data  [][]byte
	}{
		{[]tlog.Tile{{H: 8, L: 0, N: 0, W: 2}}, [][]byte{make([]byte, 32)}},
		{[]tlog.Tile{{H: 8, L: 0, N: 0, W: 1}}, [][]byte{make([]byte, 33)}},
		{[]tlog.Tile{{H: 8, L: 0, N: 0, W: 1}}, nil},
	} {
		err := db.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.LockHead(ctx, "acme"); err != nil {
				return err
			}
			return tx.PutTiles(ctx, "acme", tt.tiles, tt.data)
		})
		if err == nil {
			t.Errorf("PutTiles(%v, %d data) = nil, want an error", tt.tiles, len(tt.data))
		}
	}
}

// TestIDCollision checks that LookupIDs compares ids, not only their
// hashes: here b's row carries a's hash.
func TestIDCollision(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "stele.db"))
	batch := storetest.NewWorkload(1, 1).Batch(2)["org-0"]
	batch[0].ID, batch[1].ID = "a", "b"
	if err := storetest.AppendBatch(t.Context(), db, map[string][]*store.Event{"org-0": batch}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(t.Context(), "UPDATE events SET id_hash = ? WHERE id = 'b'", idHash("a")); err != nil {
		t.Fatal(err)
	}
	err := db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
		for _, tt := range []struct {
			ids  []string
			want map[string]int64
		}{
			{[]string{"a"}, map[string]int64{"a": 0}},
			{[]string{"a", "c"}, map[string]int64{"a": 0}},
		} {
			got, err := r.LookupIDs(ctx, "org-0", tt.ids)
			if err != nil || !maps.Equal(got, tt.want) {
				t.Errorf("LookupIDs(org-0, %q) = %v, %v, want %v", tt.ids, got, err, tt.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

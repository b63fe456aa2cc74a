package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// TestMigrateOrgs checks that a database with logs from before
// organizations were registered keeps its logs, none of them registered.
func TestMigrateOrgs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stele.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	v1, err := sql.Open("sqlite", fileURI(path, nil))
	if err != nil {
		t.Fatal(err)
	}
	root := tlog.Hash{1, 2, 3}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{ms[0].SQL, nil},
		{"PRAGMA user_version = 1", nil},
		{"INSERT INTO orgs (id, tree_size, tree_root) VALUES ('acme', 3, ?)", []any{root[:]}},
	} {
		if _, err := v1.ExecContext(t.Context(), q.sql, q.args...); err != nil {
			v1.Close()
			t.Fatalf("%.40s: %v", q.sql, err)
		}
	}
	if err := v1.Close(); err != nil {
		t.Fatal(err)
	}
	db := openTest(t, path)
	acme := store.Org{ID: "acme", Name: "Acme", Plan: "free", TimeZone: "UTC", CreatedAt: time.Unix(1, 2).UTC()}
	err = db.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		if o, err := tx.Org(ctx, "acme"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("migrated: Org(acme) = %+v, %v, want ErrNotFound", o, err)
		}
		return tx.CreateOrg(ctx, acme)
	})
	if err != nil {
		t.Fatalf("CreateOrg(acme) = %v", err)
	}
	err = db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
		if h, err := r.Head(ctx, "acme"); err != nil || h != (store.Head{Size: 3, Root: root}) {
			t.Errorf("migrated: Head(acme) = %v, %v, want size 3", h, err)
		}
		if o, err := r.Org(ctx, "acme"); err != nil || o != acme {
			t.Errorf("migrated: Org(acme) = %+v, %v, want %+v", o, err, acme)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

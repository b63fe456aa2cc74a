package postgres

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// TestCopyBaseline: the baseline copies every event and leaf into a
// schema of its own, which it drops, leaving the database as it was.
func TestCopyBaseline(t *testing.T) {
	needServer(t)
	events := storetest.NewWorkload(1, 1).Batch(2500)["org-0"]
	if len(events) != 2500 {
		t.Fatalf("workload: %d events of org-0, want 2500", len(events))
	}
	schemas := func() int {
		t.Helper()
		conn, err := pgx.Connect(t.Context(), serverURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		var n int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'stele_copy_baseline_%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := schemas()
	copied, took, err := CopyBaseline(t.Context(), serverURL, events, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if took <= 0 || copied != 2500 {
		t.Errorf("CopyBaseline took %v and copied %d events, want some time and 2500", took, copied)
	}
	if after := schemas(); after != before {
		t.Errorf("%d baseline schemas after, %d before", after, before)
	}
}

func TestWithSearchPath(t *testing.T) {
	for _, tt := range []struct{ dsn, want string }{
		{"postgres://u@h:5432/test?sslmode=disable", "postgres://u@h:5432/test?search_path=s&sslmode=disable"},
		{"postgres://u@h/test?search_path=old", "postgres://u@h/test?search_path=s"},
		{"host=h user=u dbname=test", "host=h user=u dbname=test search_path=s"},
	} {
		if got := withSearchPath(tt.dsn, "s"); got != tt.want {
			t.Errorf("withSearchPath(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

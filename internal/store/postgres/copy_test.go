package postgres

import (
	"context"
	"testing"
	"time"

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
	base, err := CopyBaseline(t.Context(), serverURL, events, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if base.Took <= 0 || base.Copied != 2500 {
		t.Errorf("CopyBaseline took %v and copied %d events, want some time and 2500", base.Took, base.Copied)
	}
	if after := schemas(); after != before {
		t.Errorf("%d baseline schemas after, %d before", after, before)
	}
}

// TestWaitQuiet: the baseline waits for the other sessions of its
// database to finish their statements, and no longer than it may.
func TestWaitQuiet(t *testing.T) {
	// A database of its own: other tests keep the shared one busy.
	dsn := withParams(t, serverURL, "dbname="+newDatabase(t, "stele_quiet_"))
	connect := func() *pgx.Conn {
		t.Helper()
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		return conn
	}
	conn, other := connect(), connect()
	// busy has other run a statement for d, and returns once it runs; the
	// channel closes once it ended.
	busy := func(d time.Duration) <-chan struct{} {
		t.Helper()
		done := make(chan struct{})
		go func() {
			defer close(done)
			other.Exec(context.Background(), "SELECT pg_sleep($1)", d.Seconds())
		}()
		for deadline := time.Now().Add(10 * time.Second); ; {
			var n int
			err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND state = 'active' AND query LIKE 'SELECT pg_sleep%'`).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				return done
			}
			if time.Now().After(deadline) {
				t.Fatal("the other session's statement never showed as active")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	waited, quiet, err := waitQuiet(t.Context(), conn, 10*time.Second)
	if err != nil || !quiet || waited > 5*time.Second {
		t.Fatalf("waitQuiet on an idle database = %v, %v, %v; want quiet at once", waited, quiet, err)
	}

	done := busy(time.Second)
	waited, quiet, err = waitQuiet(t.Context(), conn, 30*time.Second)
	select {
	case <-done:
	default:
		t.Errorf("waitQuiet returned (after %v) while another session ran a statement", waited)
	}
	if err != nil || !quiet {
		t.Errorf("waitQuiet while another session sleeps 1s = %v, %v, %v; want quiet after it", waited, quiet, err)
	}

	done = busy(30 * time.Second)
	waited, quiet, err = waitQuiet(t.Context(), conn, 300*time.Millisecond)
	if err != nil || quiet || waited < 300*time.Millisecond || waited > 10*time.Second {
		t.Errorf("waitQuiet up to 300ms while another session sleeps 30s = %v, %v, %v; want not quiet after 300ms", waited, quiet, err)
	}
	if _, err := conn.Exec(t.Context(), "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%' AND pid <> pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	<-done
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

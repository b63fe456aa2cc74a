package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// TestListFaults checks that List reports damaged rows with Fault, as
// Events does, and lists on past them.
func TestListFaults(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "stele.db"))
	batch := storetest.NewWorkload(1, 1).Batch(4)["org-0"]
	if err := storetest.AppendBatch(t.Context(), db, map[string][]*store.Event{"org-0": batch}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"UPDATE events SET personal = 'not json' WHERE seq = 1",
		"UPDATE events SET id_hash = id_hash + 1 WHERE seq = 2",
	} {
		if _, err := db.w.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	want := map[int64]string{0: "", 1: "personal: ", 2: "id_hash does not match", 3: ""}
	err := db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
		n := 0
		err := r.List(ctx, "org-0", store.Filter{Limit: 10}, func(e *store.Event) error {
			n++
			if w := want[e.Seq]; (w == "") != (e.Fault == "") || !strings.Contains(e.Fault, w) {
				t.Errorf("List(org-0): seq %d: Fault = %q, want %q", e.Seq, e.Fault, w)
			}
			return nil
		})
		if err != nil || n != len(want) {
			t.Errorf("List(org-0) = %d events, %v, want %d", n, err, len(want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

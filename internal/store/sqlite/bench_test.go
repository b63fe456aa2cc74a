package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// searchIndexes are the indexes only search needs, which
// BenchmarkAppend/indexes=ids drops to show what they cost.
var searchIndexes = []string{"events_ts", "events_event", "events_actor", "events_actor_id", "events_target", "events_target_name"}

// BenchmarkAppend measures plain ingest: durable transactions of 1000
// events, each organization's ids looked up and head locked and set, as
// the ledger does, no hashing. The database grows with b.N, and so does
// the cost of its random index writes; compare runs of equal
// -benchtime=Nx (300x is 300,000 events).
func BenchmarkAppend(b *testing.B) {
	for _, orgs := range []int{1, 1000} {
		for _, indexes := range []string{"all", "ids"} {
			b.Run(fmt.Sprintf("orgs=%d/indexes=%s", orgs, indexes), func(b *testing.B) {
				db, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				if indexes == "ids" {
					for _, idx := range searchIndexes {
						if _, err := db.w.ExecContext(b.Context(), "DROP INDEX "+idx); err != nil {
							b.Fatal(err)
						}
					}
				}
				w := storetest.NewWorkload(1, orgs)
				var elapsed time.Duration
				for b.Loop() {
					batch := w.Batch(1000)
					ctx, cancel := context.WithTimeout(context.WithoutCancel(b.Context()), time.Minute)
					start := time.Now()
					if err := storetest.AppendBatch(ctx, db, batch); err != nil {
						b.Fatal(err)
					}
					elapsed += time.Since(start)
					cancel()
				}
				b.ReportMetric(float64(b.N*1000)/elapsed.Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkList measures reading a page of 100 events, in a read
// transaction of its own, from an organization of 100,000: the newest
// page, and a page deep in the log (after the 99,000th newest).
func BenchmarkList(b *testing.B) {
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const org = "org-0"
	w := storetest.NewWorkload(1, 1)
	for range 100 {
		if err := storetest.AppendBatch(b.Context(), db, w.Batch(1000)); err != nil {
			b.Fatal(err)
		}
	}
	var deep store.Position
	err = db.Read(b.Context(), func(ctx context.Context, r store.Reader) error {
		n := 0
		return r.List(ctx, org, store.Filter{Limit: 99_000}, func(e *store.Event) error {
			if n++; n == 99_000 {
				deep = store.Position{Timestamp: e.Timestamp, Seq: e.Seq}
			}
			return nil
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name string
		f    store.Filter
	}{
		{"page=first", store.Filter{Limit: 100}},
		{"page=deep", store.Filter{After: &deep, Limit: 100}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				n := 0
				err := db.Read(b.Context(), func(ctx context.Context, r store.Reader) error {
					return r.List(ctx, org, bm.f, func(*store.Event) error {
						n++
						return nil
					})
				})
				if err != nil || n != 100 {
					b.Fatalf("List(%s) = %d events, %v, want 100", org, n, err)
				}
			}
		})
	}
}

// BenchmarkSearch is storetest's BenchSearch on the search fixture (see
// searchFixture: $STELE_SEARCH_SCALE and $STELE_SEARCH_FIXTURE).
func BenchmarkSearch(b *testing.B) {
	db := searchFixture(b)
	defer db.Close()
	storetest.BenchSearch(b, db)
}

// BenchmarkCounts is storetest's BenchCounts on the search fixture.
func BenchmarkCounts(b *testing.B) {
	db := searchFixture(b)
	defer db.Close()
	storetest.BenchCounts(b, db)
}

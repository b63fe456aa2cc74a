package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// BenchmarkAppend measures plain ingest: durable transactions of 1000
// events, each organization's ids looked up and head locked and set, no
// hashing. Beside it, copy/ copies the same rows into events and leaves
// with COPY, in durable transactions of the same size and nothing else:
// what the schema costs, the bound Append can approach. The database
// grows with b.N; compare runs of equal -benchtime=Nx.
func BenchmarkAppend(b *testing.B) {
	for _, write := range []struct {
		name string
		f    func(context.Context, *DB, map[string][]*store.Event) error
	}{
		{"", func(ctx context.Context, db *DB, batch map[string][]*store.Event) error {
			return storetest.AppendBatch(ctx, db, batch)
		}},
		{"copy/", func(ctx context.Context, db *DB, batch map[string][]*store.Event) error {
			_, err := copyEvents(ctx, db, slices.Concat(slices.Collect(maps.Values(batch))...))
			return err
		}},
	} {
		for _, orgs := range []int{1, 1000} {
			b.Run(fmt.Sprintf("%sorgs=%d", write.name, orgs), func(b *testing.B) {
				db := openTest(b, newSchema(b))
				w := storetest.NewWorkload(1, orgs)
				var elapsed time.Duration
				for b.Loop() {
					batch := w.Batch(1000)
					ctx, cancel := context.WithTimeout(context.WithoutCancel(b.Context()), time.Minute)
					start := time.Now()
					if err := write.f(ctx, db, batch); err != nil {
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

// BenchmarkList measures the first page of 100 events of an organization
// of 100,000, in a read transaction of its own: unfiltered, and searches
// that read by an index or along time.
func BenchmarkList(b *testing.B) {
	db := openTest(b, newSchema(b))
	w := storetest.NewWorkload(1, 1)
	for range 100 {
		if err := storetest.AppendBatch(b.Context(), db, w.Batch(1000)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.pool.Exec(b.Context(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{"", "event:auth.failed", "event:team.*", "actor:user.3000@org-0.example.com",
		"actor:*@org-0.example.com -event:auth.*", "target:finding-0000000a", "sec-123", "details.project:project-7"} {
		query, err := query.Parse(q, w.Now)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("q="+q, func(b *testing.B) {
			for b.Loop() {
				err := db.Read(b.Context(), func(ctx context.Context, r store.Reader) error {
					return r.List(ctx, "org-0", store.Filter{Query: query, Limit: 100}, func(*store.Event) error { return nil })
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSearch is storetest's BenchSearch on the search fixture:
// $STELE_SEARCH_SCALE picks its shape, 300k events of one organization
// by default or 10m, 10M events of 1,000 organizations; with
// $STELE_SEARCH_FIXTURE set (needed for 10m), the fixture is kept in the
// schema search_fixture_<shape> of the test database and reused by later
// runs, else built in a throwaway schema (see searchFixture). The first
// run of 10m builds it, which takes most of an hour; DROP SCHEMA
// search_fixture_10m CASCADE deletes it.
func BenchmarkSearch(b *testing.B) {
	storetest.BenchSearch(b, searchFixture(b))
}

// BenchmarkCounts is storetest's BenchCounts on the search fixture (see
// BenchmarkSearch).
func BenchmarkCounts(b *testing.B) {
	storetest.BenchCounts(b, searchFixture(b))
}

// BenchmarkFacets measures facets of the search fixture's organization
// (see BenchmarkSearch) over the 30 days to noon of its last day: 29
// whole days from the daily counts, and a half day at each end from the
// events. BenchmarkCounts' range, to its newest event, may have almost
// no partial day.
func BenchmarkFacets(b *testing.B) {
	db := searchFixture(b)
	var newest int64
	if err := db.pool.QueryRow(b.Context(), `SELECT max(ts) FROM events WHERE org = 'acme'`).Scan(&newest); err != nil {
		b.Fatal(err)
	}
	noon := unixNano(newest).Truncate(24 * time.Hour).Add(12 * time.Hour)
	f := store.Filter{Since: noon.AddDate(0, 0, -30), Until: noon}
	for b.Loop() {
		err := db.Read(b.Context(), func(ctx context.Context, r store.Reader) error {
			_, err := r.Facets(ctx, "acme", f, 10)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

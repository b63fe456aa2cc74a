package postgres

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// BenchmarkTextSearch measures the first page of 50 events of free-text
// searches of an organization of $STELE_TEXT_EVENTS events (100,000 by
// default), in a read transaction of its own, once the text index holds
// them all: words from none or rare to in every event. One in 5,000
// events holds "quasar" and one in 100 "nebula"; the workload's tickets
// make sec-12345 one in 100,000, and sec-123 one in a thousand. It
// reports the median and 95th percentile of their times.
func BenchmarkTextSearch(b *testing.B) {
	n := 100_000
	if s := os.Getenv("STELE_TEXT_EVENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	db := openTest(b, newSchema(b))
	w := storetest.NewWorkload(1, 1)
	for i := 0; i < n; i += 1000 {
		batch := w.Batch(1000)
		for j, e := range batch["org-0"] {
			switch k := i + j; {
			case k%5000 == 7:
				e.Details = json.RawMessage(`{"note":"quasar sighted"}`)
			case k%100 == 3:
				e.Details = json.RawMessage(`{"note":"nebula sighted"}`)
			}
		}
		if err := storetest.AppendBatch(b.Context(), db, batch); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.pool.Exec(b.Context(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	waitIndexed(b, db)
	for _, q := range []string{"quasar", "sec-12345", "nebula", "sec-123", "reentrancy", "nothing-at-all", "quasar event:auth.login"} {
		query, err := query.Parse(q, w.Now)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("q="+q, func(b *testing.B) {
			var times []time.Duration
			found := 0
			for b.Loop() {
				found = 0
				start := time.Now()
				err := db.Read(b.Context(), func(ctx context.Context, r store.Reader) error {
					return r.List(ctx, "org-0", store.Filter{Query: query, Limit: 50}, func(*store.Event) error {
						found++
						return nil
					})
				})
				if err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2])/1e6, "p50-ms")
			b.ReportMetric(float64(times[len(times)*95/100])/1e6, "p95-ms")
			b.ReportMetric(float64(found), "events")
		})
	}
}

// waitIndexed waits until db's text index holds all its events.
func waitIndexed(tb testing.TB, db *DB) {
	tb.Helper()
	start := time.Now()
	for {
		var behind bool
		err := db.pool.QueryRow(tb.Context(), `SELECT EXISTS (SELECT FROM leaves l
			WHERE l.seq > coalesce((SELECT up_to FROM text_indexed t WHERE t.org = l.org), -1))`).Scan(&behind)
		if err != nil {
			tb.Fatal(err)
		}
		if !behind {
			tb.Logf("indexed in %v", time.Since(start))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

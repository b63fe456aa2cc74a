package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/query"
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

// fixtureValues returns the search fixture's newest event's time, and a
// replacer of placeholders in queries by values from its data: {email} is
// a member's email, {project} and {finding} a project's and a finding's
// id, {title} a finding's title, {key} an API key's id and {ip} a
// member's address.
func fixtureValues(b *testing.B, db *DB) (time.Time, *strings.Replacer) {
	pick := func(q string) string {
		var s string
		q = strings.Replace(q, "WHERE", "WHERE org = (SELECT num FROM orgs WHERE id = 'acme') AND", 1)
		if err := db.r.QueryRowContext(b.Context(), q).Scan(&s); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
		return s
	}
	values := strings.NewReplacer(
		"{email}", pick(`SELECT actor_email FROM events WHERE event = 'finding.assigned' GROUP BY actor_email ORDER BY count(*) DESC LIMIT 1`),
		"{project}", pick(`SELECT target_id FROM events WHERE target_type = 'project' ORDER BY key LIMIT 1`),
		"{finding}", pick(`SELECT target_id FROM events WHERE target_type = 'finding' ORDER BY key DESC LIMIT 1`),
		"{title}", pick(`SELECT target_name FROM events WHERE target_type = 'finding' ORDER BY key DESC LIMIT 1`),
		"{key}", pick(`SELECT actor_id FROM events WHERE actor_type = 'api_key' ORDER BY key DESC LIMIT 1`),
		"{ip}", pick(`SELECT ip FROM events WHERE actor_type = 'user' AND ip <> '' ORDER BY key DESC LIMIT 1`),
	)
	var now time.Time
	err := db.Read(b.Context(), func(ctx context.Context, r store.Reader) error {
		return r.List(ctx, "acme", store.Filter{Limit: 1}, func(e *store.Event) error {
			now = e.Timestamp
			return nil
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return now, values
}

// parseAll parses texts, after replacing values' placeholders, at now.
func parseAll(b *testing.B, texts []string, values *strings.Replacer, now time.Time) []*query.Query {
	out := make([]*query.Query, len(texts))
	for i, text := range texts {
		q, err := query.Parse(values.Replace(text), now)
		if err != nil {
			b.Fatalf("Parse(%q) = %v", text, err)
		}
		out[i] = q
	}
	return out
}

// BenchmarkSearch measures the first page (50 events) of searches of the
// search fixture's organization: the seed's common searches and one of
// each qualifier, wildcards included, each in a read transaction of its
// own. It reports the 95th percentile of their times besides the mean.
func BenchmarkSearch(b *testing.B) {
	db := searchFixture(b)
	defer db.Close()
	now, values := fixtureValues(b, db)
	texts := []string{
		// The seed's common searches.
		"actor:{email} event:finding.assigned",
		"event:auth.failed",
		"target:{project}",
		"event:*.deleted",
		// One qualifier.
		"actor:{email}",
		"actor:{key}",
		"actor:*@blockforge.example",
		"actor:ali*",
		"event:finding.status_changed",
		"event:auth.*",
		"event:auth.login,auth.logout,auth.failed",
		"target:{finding}",
		"target:project-*",
		`target:"{title}"`,
		"category:settings",
		"ip:{ip}",
		"ip:203.0.113.0/24",
		"actor_type:api_key",
		"user_agent:*Firefox*",
		"timestamp:>-24h",
		"details.new_status:fixed",
		"reentrancy",
		"-event:auth.*",
	}
	for i, q := range parseAll(b, texts, values, now) {
		b.Run(values.Replace(texts[i]), func(b *testing.B) {
			f := store.Filter{Query: q, Limit: 50}
			n := 0
			var times []time.Duration
			for b.Loop() {
				n = 0
				start := time.Now()
				err := db.Read(b.Context(), func(ctx context.Context, r store.Reader) error {
					return r.List(ctx, "acme", f, func(*store.Event) error {
						n++
						return nil
					})
				})
				if err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*95/100])/1e6, "p95-ms")
			b.ReportMetric(float64(n), "events")
		})
	}
}

// BenchmarkCounts times histograms and facets of the search fixture's
// organization over the last 30 days (and an hourly histogram of the
// last day), unfiltered and with queries.
func BenchmarkCounts(b *testing.B) {
	db := searchFixture(b)
	defer db.Close()
	now, values := fixtureValues(b, db)
	texts := []string{"", "event:auth.failed", "category:auth", "event:*.deleted", "actor:{email}", "-actor_type:system"}
	month := store.Filter{Since: now.Add(-30 * 24 * time.Hour), Until: now.Add(time.Second)}
	day := store.Filter{Since: now.Add(-24 * time.Hour), Until: month.Until}
	for i, q := range parseAll(b, texts, values, now) {
		text := values.Replace(texts[i])
		month.Query, day.Query = q, q
		for _, c := range []struct {
			name  string
			count func(context.Context, store.Reader) error
		}{
			{"histogram/30d/day", func(ctx context.Context, r store.Reader) error {
				_, err := r.Histogram(ctx, "acme", month, 24*time.Hour)
				return err
			}},
			{"histogram/24h/hour", func(ctx context.Context, r store.Reader) error {
				_, err := r.Histogram(ctx, "acme", day, time.Hour)
				return err
			}},
			{"facets/30d", func(ctx context.Context, r store.Reader) error {
				_, err := r.Facets(ctx, "acme", month, 10)
				return err
			}},
		} {
			b.Run(c.name+"/q="+text, func(b *testing.B) {
				for b.Loop() {
					if err := db.Read(b.Context(), c.count); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

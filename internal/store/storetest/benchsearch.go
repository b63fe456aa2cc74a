package storetest

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
)

// BenchSearch measures the first page (50 events) of searches of the
// search fixture's organization in st (see BuildFixture): the seed's
// common searches and one of each qualifier, wildcards included, each in
// a read transaction of its own. It reports the 95th percentile of their
// times besides the mean.
func BenchSearch(b *testing.B, st store.Store) {
	now, values := fixtureValues(b, st)
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
				err := st.Read(b.Context(), func(ctx context.Context, r store.Reader) error {
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
			reportP95(b, times)
			b.ReportMetric(float64(n), "events")
		})
	}
}

// BenchCounts times histograms and facets of the search fixture's
// organization in st over the last 30 days (and an hourly histogram of
// the last day), unfiltered and with queries. It reports the 95th
// percentile of their times besides the mean.
func BenchCounts(b *testing.B, st store.Store) {
	now, values := fixtureValues(b, st)
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
				var times []time.Duration
				for b.Loop() {
					start := time.Now()
					if err := st.Read(b.Context(), c.count); err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(start))
				}
				reportP95(b, times)
			})
		}
	}
}

// reportP95 reports the 95th percentile of times, in milliseconds.
func reportP95(b *testing.B, times []time.Duration) {
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*95/100])/1e6, "p95-ms")
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

// fixtureValues returns the time of the newest event of the search
// fixture's organization in st, and a replacer of placeholders in
// queries by values from its data: {email} is the email of the member
// who assigned the most findings, {project} the oldest event's project
// and {finding} and {title} the newest event's finding's id and title,
// {key} the newest event's API key's id and {ip} a member's address in
// the newest event that has one.
func fixtureValues(b *testing.B, st store.Store) (time.Time, *strings.Replacer) {
	var now time.Time
	var email, project, finding, title, key, ip string
	err := st.Read(b.Context(), func(ctx context.Context, r store.Reader) error {
		err := newest(ctx, r, "", func(e *store.Event) bool {
			now = e.Timestamp
			return true
		})
		if err == nil {
			err = newest(ctx, r, "", func(e *store.Event) bool {
				finding, title = e.Target.ID, e.Target.Name
				return e.Target.Type == "finding"
			})
		}
		if err == nil {
			err = newest(ctx, r, "actor_type:api_key", func(e *store.Event) bool {
				key = e.Actor.ID
				return true
			})
		}
		if err == nil {
			err = newest(ctx, r, "actor_type:user", func(e *store.Event) bool {
				ip = e.IP
				return ip != ""
			})
		}
		if err == nil {
			project, err = oldestProject(ctx, r)
		}
		if err == nil {
			email, err = topAssigner(ctx, r)
		}
		return err
	})
	if err != nil {
		b.Fatalf("couldn't read the search fixture's values: %v", err)
	}
	return now, strings.NewReplacer("{email}", email, "{project}", project,
		"{finding}", finding, "{title}", title, "{key}", key, "{ip}", ip)
}

// errFound stops a walk of events when the one looked for is found.
var errFound = errors.New("found")

// newest calls found with acme's events matching text, newest first,
// until it returns true; not finding one is an error.
func newest(ctx context.Context, r store.Reader, text string, found func(*store.Event) bool) error {
	err := walk(ctx, r, text, func(e *store.Event) error {
		if found(e) {
			return errFound
		}
		return nil
	})
	if err == nil {
		return errors.New("no event of acme matches " + text)
	}
	return ignoreFound(err)
}

// walk calls fn with acme's events matching text, newest first, a page at
// a time: a huge Limit could make a backend plan to read them all.
func walk(ctx context.Context, r store.Reader, text string, fn func(*store.Event) error) error {
	q, err := query.Parse(text, fixtureEnd)
	if err != nil {
		return err
	}
	f := store.Filter{Query: q, Limit: 1000}
	for {
		var last store.Position
		n := 0
		err := r.List(ctx, "acme", f, func(e *store.Event) error {
			n++
			last = store.Position{Timestamp: e.Timestamp, Seq: e.Seq}
			return fn(e)
		})
		if err != nil || n < f.Limit {
			return err
		}
		f.After = &last
	}
}

// oldestProject returns the id of the project of acme's oldest event
// that targets one.
func oldestProject(ctx context.Context, r store.Reader) (string, error) {
	h, err := r.Head(ctx, "acme")
	if err != nil {
		return "", err
	}
	var id string
	err = r.Events(ctx, "acme", 0, h.Size, func(e *store.Event) error {
		if e.Target.Type != "project" {
			return nil
		}
		id = e.Target.ID
		return errFound
	})
	if err == nil {
		return "", errors.New("no event of acme targets a project")
	}
	return id, ignoreFound(err)
}

// topAssigner returns the email of the actor of most of acme's
// finding.assigned events (the least email of those tied).
func topAssigner(ctx context.Context, r store.Reader) (string, error) {
	n := map[string]int{}
	err := walk(ctx, r, "event:finding.assigned", func(e *store.Event) error {
		n[e.Actor.Email]++
		return nil
	})
	if err != nil {
		return "", err
	}
	var top string
	for email, c := range n {
		if c > n[top] || c == n[top] && cmp.Less(email, top) {
			top = email
		}
	}
	if top == "" {
		return "", errors.New("no member of acme assigned a finding")
	}
	return top, nil
}

// ignoreFound returns err, or nil if it is errFound.
func ignoreFound(err error) error {
	if errors.Is(err, errFound) {
		return nil
	}
	return err
}

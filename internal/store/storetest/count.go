package storetest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
)

// wantFacets counts events as Facets must.
func wantFacets(events []*store.Event, top int) store.Facets {
	fc := store.Facets{Total: int64(len(events))}
	by := func(value func(e *store.Event) string, limit int) []store.Count {
		n := map[string]int64{}
		for _, e := range events {
			if v := value(e); v != "" {
				n[v]++
			}
		}
		out := []store.Count{}
		for v, c := range n {
			out = append(out, store.Count{Value: v, N: c})
		}
		slices.SortFunc(out, func(a, b store.Count) int {
			return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Value, b.Value))
		})
		if limit >= 0 && len(out) > limit {
			out = out[:limit]
		}
		return out
	}
	or := func(a, b string) string { return cmp.Or(a, b) }
	fc.Categories = by(func(e *store.Event) string { return e.Category }, -1)
	fc.Events = by(func(e *store.Event) string { return e.Event }, -1)
	fc.Actors = by(func(e *store.Event) string { return or(e.Actor.Email, e.Actor.ID) }, top)
	fc.Targets = by(func(e *store.Event) string { return or(e.Target.ID, e.Target.Name) }, top)
	return fc
}

// wantHistogram counts events as Histogram must.
func wantHistogram(events []*store.Event, since, until time.Time, width time.Duration) []store.Bucket {
	var out []store.Bucket
	for t := since.Truncate(width); t.Before(until); t = t.Add(width) {
		b := store.Bucket{Start: t}
		for _, e := range events {
			if !e.Timestamp.Before(t) && e.Timestamp.Before(t.Add(width)) && !e.Timestamp.Before(since) && e.Timestamp.Before(until) {
				b.N++
				if b.ByCategory == nil {
					b.ByCategory = map[string]int64{}
				}
				b.ByCategory[e.Category]++
			}
		}
		out = append(out, b)
	}
	return out
}

func showBuckets(bs []store.Bucket) string {
	s := ""
	for _, b := range bs {
		if b.N > 0 {
			s += fmt.Sprintf("%s:%d%v ", b.Start.Format(time.RFC3339), b.N, b.ByCategory)
		}
	}
	return s
}

func sameBuckets(a, b []store.Bucket) bool {
	return slices.EqualFunc(a, b, func(x, y store.Bucket) bool {
		return x.Start.Equal(y.Start) && x.N == y.N && maps.Equal(x.ByCategory, y.ByCategory)
	})
}

// testCounts: for every query of the scripts, within the suite's time
// windows, Facets and Histogram count exactly the events the reference
// matcher finds.
func testCounts(t *testing.T, open Opener) {
	list, err := queryEvents()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := queryCases()
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, open, "counts")
	for i := 0; i < len(list); i += 64 {
		appendLog(t, s, queryOrg, list[i:min(i+64, len(list))])
	}
	first, last := list[0].Timestamp, list[0].Timestamp
	for _, e := range list {
		if e.Timestamp.Before(first) {
			first = e.Timestamp
		}
		if e.Timestamp.After(last) {
			last = e.Timestamp
		}
	}
	whole := struct{ since, until time.Time }{first.Add(-time.Hour), last.Add(time.Hour)}
	windows := append([]struct{ since, until time.Time }{whole}, queryWindows...)
	// Windows that cut hours at events, so partial hours hold some.
	for _, pair := range [][2]int{{10, 50}, {20, 21}, {3, 70}} {
		a, b := list[pair[0]].Timestamp, list[pair[1]].Timestamp
		if b.Before(a) {
			a, b = b, a
		}
		windows = append(windows,
			struct{ since, until time.Time }{a, b.Add(time.Nanosecond)},
			struct{ since, until time.Time }{a.Add(time.Nanosecond), b.Add(90 * time.Minute)})
	}
	byQuery := map[string]bool{}
	// The empty query too: a backend may count it another way.
	cases = append([]queryCase{{at: "unfiltered", text: ""}}, cases...)
	for _, c := range cases {
		if byQuery[c.text] {
			continue
		}
		byQuery[c.text] = true
		q, err := query.Parse(c.text, queryNow)
		if err != nil {
			t.Fatalf("%s: %v", c.at, err)
		}
		for _, w := range windows {
			since, until := w.since, w.until
			if since.IsZero() {
				since = whole.since
			}
			if until.IsZero() {
				until = whole.until
			}
			var matched []*store.Event
			for _, seq := range oracle(list, q, since, until) {
				matched = append(matched, list[seq])
			}
			f := store.Filter{Since: since, Until: until, Query: q}
			read(t, s, func(ctx context.Context, r store.Reader) error {
				fc, err := r.Facets(ctx, queryOrg, f, 3)
				if want := wantFacets(matched, 3); err != nil || fmt.Sprint(fc) != fmt.Sprint(want) {
					t.Errorf("%s: Facets(%s, %s) = %v, %v\nwant %v", c.at, c.text, showFilter(f), fc, err, want)
				}
				for _, width := range []time.Duration{time.Hour, 24 * time.Hour} {
					got, err := r.Histogram(ctx, queryOrg, f, width)
					if want := wantHistogram(matched, since, until, width); err != nil || !sameBuckets(got, want) {
						t.Errorf("%s: Histogram(%s, %s, %v) = %s, %v\nwant %s", c.at, c.text, showFilter(f), width, showBuckets(got), err, showBuckets(want))
					}
				}
				return nil
			})
		}
	}
	// Counting needs a range for a histogram, and tolerates an org
	// without a log.
	read(t, s, func(ctx context.Context, r store.Reader) error {
		if _, err := r.Histogram(ctx, queryOrg, store.Filter{}, time.Hour); err == nil {
			t.Error("Histogram without Since and Until succeeded")
		}
		fc, err := r.Facets(ctx, "nobody", store.Filter{}, 3)
		if err != nil || fc.Total != 0 {
			t.Errorf("Facets of an org without a log = %v, %v", fc, err)
		}
		return nil
	})
}

package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// TestTopTargets checks the facets of targets where topTargets proves the
// top from the heavy days, where it can't, and where a target of the
// partial days at the ends of the range outcounts the heavy ones.
func TestTopTargets(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "stele.db"))
	w := storetest.NewWorkload(3, 1)
	day0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var all []*store.Event
	add := func(target string, at time.Time, n int) {
		b := w.Batch(n)
		for _, events := range b {
			for _, e := range events {
				e.Target.ID, e.Timestamp = target, at
				all = append(all, e)
			}
		}
		if err := storetest.AppendBatch(t.Context(), db, b); err != nil {
			t.Fatal(err)
		}
	}
	for d := range 6 {
		at := day0.AddDate(0, 0, d).Add(12 * time.Hour)
		for i := range 5 {
			add(fmt.Sprintf("heavy-%d", i), at, heavyDay+i) // heavy every day
		}
		for i := range 40 {
			add(fmt.Sprintf("light-%d", i), at, 1+i%(heavyDay-1))
		}
		add("edge", at, heavyDay-1)
	}
	// Heavy at the ends of a range that starts or ends mid-day, where the
	// events are read, not the rollups.
	add("edge", day0.AddDate(0, 0, 6).Add(time.Hour), 200)

	want := func(since, until time.Time, top int) []store.Count {
		n := map[string]int64{}
		for _, e := range all {
			if !e.Timestamp.Before(since) && e.Timestamp.Before(until) {
				n[facetTarget(e)]++
			}
		}
		var out []store.Count
		for v, c := range n {
			out = append(out, store.Count{Value: v, N: c})
		}
		slices.SortFunc(out, func(a, b store.Count) int { return cmp.Or(cmp.Compare(b.N, a.N), strings.Compare(a.Value, b.Value)) })
		return out[:min(top, len(out))]
	}
	for _, c := range []struct {
		name         string
		since, until time.Time
		top          int
		proved       bool
	}{
		{"proved", day0, day0.AddDate(0, 0, 6), 3, true},
		{"all heavy", day0, day0.AddDate(0, 0, 6), 5, true},
		{"more than the heavy", day0, day0.AddDate(0, 0, 6), 8, false},
		{"one day", day0.AddDate(0, 0, 2), day0.AddDate(0, 0, 3), 2, true},
		{"lights can tie", day0.AddDate(0, 0, 2), day0.AddDate(0, 0, 3), 6, false},
		{"heavy partial day", day0.Add(-time.Hour), day0.AddDate(0, 0, 6).Add(2 * time.Hour), 3, true},
		{"none", day0, day0.AddDate(0, 0, 6), 0, true},
	} {
		f := store.Filter{Since: c.since, Until: c.until}
		err := db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
			fc, err := r.Facets(ctx, "org-0", f, c.top)
			if err != nil {
				return err
			}
			if w := want(c.since, c.until, c.top); !slices.Equal(fc.Targets, w) {
				t.Errorf("%s: Facets(top %d).Targets = %v, want %v", c.name, c.top, fc.Targets, w)
			}
			rd := r.(*reader)
			from, to, _ := whole(f, 24*time.Hour)
			edges := tallies{}
			for _, e := range all {
				if ts := e.Timestamp.UnixNano(); !e.Timestamp.Before(c.since) && e.Timestamp.Before(c.until) && (ts < from || ts >= to) {
					edges[facetTarget(e)]++
				}
			}
			num, err := rd.orgNum(ctx, "org-0")
			if err != nil {
				return err
			}
			ok, err := rd.topTargets(ctx, num, from, to, c.top, edges)
			if err != nil || ok != c.proved {
				t.Errorf("%s: topTargets = %v, %v, want %v", c.name, ok, err, c.proved)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
}

// TestWhole checks the whole periods a range holds, up to the ends of
// what Unix nanoseconds hold: a range without a start or an end still
// has whole periods, for the rollups to count.
func TestWhole(t *testing.T) {
	day := 24 * time.Hour
	d0 := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name         string
		since, until time.Time
		from, to     time.Time // zero: no whole period
	}{
		{"whole days", d0, d0.AddDate(0, 0, 3), d0, d0.AddDate(0, 0, 3)},
		{"cut days", d0.Add(time.Hour), d0.AddDate(0, 0, 3).Add(time.Hour), d0.AddDate(0, 0, 1), d0.AddDate(0, 0, 3)},
		{"within a day", d0.Add(time.Hour), d0.Add(2 * time.Hour), time.Time{}, time.Time{}},
		{"no start", time.Time{}, d0, time.Unix(0, math.MinInt64/int64(day)*int64(day)), d0},
	} {
		from, to, rest := whole(store.Filter{Since: tt.since, Until: tt.until}, day)
		if tt.from.IsZero() {
			if from < to || len(rest) != 1 {
				t.Errorf("%s: whole = %d..%d, %d rest; want none", tt.name, from, to, len(rest))
			}
			continue
		}
		if from != tt.from.UnixNano() || to != tt.to.UnixNano() || len(rest) != 2 {
			t.Errorf("%s: whole = %v..%v (%d rest), want %v..%v", tt.name, time.Unix(0, from).UTC(), time.Unix(0, to).UTC(), len(rest), tt.from, tt.to)
		}
	}
}

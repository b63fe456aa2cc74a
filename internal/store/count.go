package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// Facets are counts of an organization's events matching a filter.
type Facets struct {
	Total int64
	// The most frequent values, most frequent first (ties by value), at
	// most the number asked for: categories and events in full, actors
	// (email, else id) and targets (id, else name) the top ones. Events
	// without an actor identity or target are not counted in those.
	Categories, Events, Actors, Targets []Count
}

// A Count is how many events have a value.
type Count struct {
	Value string
	N     int64
}

// A Bucket is how many events fall in [Start, Start+width).
type Bucket struct {
	Start time.Time
	N     int64
	// ByCategory splits N by the events' categories.
	ByCategory map[string]int64
}

// Counter counts events by filter.
type Counter interface {
	// Facets counts org's events matching f (its After and Limit are
	// ignored), with at most top actors and targets.
	Facets(ctx context.Context, org string, f Filter, top int) (Facets, error)
	// Histogram counts org's events matching f in consecutive buckets of
	// width (a divisor of a day: an hour, a day...), aligned to UTC
	// midnight, from the bucket holding f.Since to the one holding the
	// instant before f.Until; both must be set. Every bucket is in the
	// answer, empty ones too, oldest first.
	Histogram(ctx context.Context, org string, f Filter, width time.Duration) ([]Bucket, error)
}

// Buckets returns the empty buckets of a histogram of [since, until) in
// buckets of width, aligned to UTC midnight: the answer Histogram fills.
func Buckets(since, until time.Time, width time.Duration) []Bucket {
	var out []Bucket
	for t := since.UTC().Truncate(width); t.Before(until); t = t.Add(width) {
		out = append(out, Bucket{Start: t})
	}
	return out
}

// Ranked returns counts as Facets lists them: the values but the empty
// one, counted at least once, most first, ties by value; at most limit
// of them unless limit is negative.
func Ranked(counts map[string]int64, limit int) []Count {
	out := []Count{}
	for v, n := range counts {
		if v != "" && n > 0 {
			out = append(out, Count{Value: v, N: n})
		}
	}
	slices.SortFunc(out, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.N, a.N), strings.Compare(a.Value, b.Value))
	})
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

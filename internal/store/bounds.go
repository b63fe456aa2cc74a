package store

import (
	"math"
	"time"

	"github.com/steleaudit/stele/internal/query"
)

// Bounds in the terms both backends store events in: timestamps as Unix
// nanoseconds.

// The instants a timestamp of Unix nanoseconds can hold.
var (
	MinTime = time.Unix(0, math.MinInt64).UTC()
	MaxTime = time.Unix(0, math.MaxInt64).UTC()
)

// A Mark is a place in List's order, in Unix nanoseconds and seq.
type Mark struct{ TS, Seq int64 }

// Before reports whether m comes before n going down the list, that is,
// whether m is the greater.
func (m Mark) Before(n Mark) bool {
	return m.TS > n.TS || m.TS == n.TS && m.Seq > n.Seq
}

// Narrowed returns f with the positive timestamp terms of its query ANDed
// into Since and Until.
func (f Filter) Narrowed() Filter {
	if f.Query == nil {
		return f
	}
	for _, t := range f.Query.Terms {
		if t.Field != query.FieldTimestamp || t.Negated {
			continue
		}
		if !t.Since.IsZero() && (f.Since.IsZero() || t.Since.After(f.Since)) {
			f.Since = t.Since
		}
		if !t.Until.IsZero() && (f.Until.IsZero() || t.Until.Before(f.Until)) {
			f.Until = t.Until
		}
	}
	return f
}

// Bounds returns the bounds of f's list (its query aside): timestamps
// from lo and marks up to hi, both inclusive. Until and After both bound
// the list from above, and the lower of the two wins. Times beyond what
// Unix nanoseconds hold bound nothing or everything; ok is false if f
// selects no event.
func (f Filter) Bounds() (lo int64, hi Mark, ok bool) {
	lo, hi = math.MinInt64, Mark{math.MaxInt64, math.MaxInt64}
	if t := f.Since; !t.IsZero() && !t.Before(MinTime) {
		if t.After(MaxTime) {
			return 0, Mark{}, false
		}
		lo = t.UnixNano()
	}
	if t := f.Until; !t.IsZero() && !t.After(MaxTime) {
		if !t.After(MinTime) {
			return 0, Mark{}, false
		}
		hi = Mark{t.UnixNano() - 1, math.MaxInt64}
	}
	if a := f.After; a != nil && !a.Timestamp.After(MaxTime) {
		if a.Timestamp.Before(MinTime) {
			return 0, Mark{}, false
		}
		// Stored seqs are not negative (Append refuses them), so -1 is
		// below all of them.
		p := Mark{a.Timestamp.UnixNano(), max(a.Seq, 0) - 1}
		if hi.Before(p) {
			hi = p
		}
	}
	return lo, hi, lo <= hi.TS
}

// NanoRange returns the timestamps in [since, until), zero times
// unbounded, in Unix nanoseconds: from a to b inclusive. ok is false if
// there are none.
func NanoRange(since, until time.Time) (a, b int64, ok bool) {
	a, b = math.MinInt64, math.MaxInt64
	if !since.IsZero() && since.After(MinTime) {
		if since.After(MaxTime) {
			return 0, 0, false
		}
		a = since.UnixNano()
	}
	if !until.IsZero() && !until.After(MaxTime) {
		if !until.After(MinTime) {
			return 0, 0, false
		}
		b = until.UnixNano() - 1
	}
	return a, b, a <= b
}

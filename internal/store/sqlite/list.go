package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// The instants a timestamp column can hold, in Unix nanoseconds.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func (r *reader) List(ctx context.Context, org string, f store.Filter, fn func(*store.Event) error) error {
	if f.Limit <= 0 {
		return fmt.Errorf("couldn't list events: limit %d is not positive", f.Limit)
	}
	lo, hi, ok := listRange(f)
	if !ok {
		return nil
	}
	num, err := r.orgNum(ctx, org)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("couldn't list events: %w", err)
	}
	s := newEventScanner(org)
	var rows *sql.Rows
	if f.Query == nil || len(f.Query.Terms) == 0 {
		rows, err = r.stmt(ctx, r.s.list).QueryContext(ctx, num, lo, hi.ts, hi.seq, f.Limit)
	} else {
		rows, err = r.search(ctx, num, f)
		s.dest = append(s.dest, new(int64)) // its last column, the key
	}
	if err != nil {
		return fmt.Errorf("couldn't list events: %w", err)
	}
	if rows == nil {
		return nil
	}
	defer rows.Close()
	for rows.Next() {
		e, err := s.scan(rows)
		if err != nil {
			return fmt.Errorf("couldn't list events: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't list events: %w", err)
	}
	return nil
}

// A position is a place in List's order, in the columns' terms.
type position struct{ ts, seq int64 }

// before reports whether p comes before q going down the list, that is,
// whether p is the greater.
func (p position) before(q position) bool {
	return p.ts > q.ts || p.ts == q.ts && p.seq > q.seq
}

// listRange returns the bounds of selectList for f: timestamps from lo
// and positions up to hi, both inclusive. Until and After both bound the
// list from above, and the lower of the two wins. Times beyond what the
// column holds bound nothing or everything; ok is false if f selects no
// event.
func listRange(f store.Filter) (lo int64, hi position, ok bool) {
	lo, hi = math.MinInt64, position{math.MaxInt64, math.MaxInt64}
	if t := f.Since; !t.IsZero() && !t.Before(minTime) {
		if t.After(maxTime) {
			return 0, position{}, false
		}
		lo = t.UnixNano()
	}
	if t := f.Until; !t.IsZero() && !t.After(maxTime) {
		if !t.After(minTime) {
			return 0, position{}, false
		}
		hi = position{t.UnixNano() - 1, math.MaxInt64}
	}
	if a := f.After; a != nil && !a.Timestamp.After(maxTime) {
		if a.Timestamp.Before(minTime) {
			return 0, position{}, false
		}
		// Stored seqs are not negative (Append refuses them), so -1 is
		// below all of them.
		p := position{a.Timestamp.UnixNano(), max(a.Seq, 0) - 1}
		if hi.before(p) {
			hi = p
		}
	}
	return lo, hi, lo <= hi.ts
}

package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// maxChunk bounds how many rows List reads at once when Go turns some
// down (details and free text) and it must read on.
const maxChunk = 1000

// List reads events in chunks, newest first, and calls fn with those
// query.Match keeps, until the page is full or the events run out.
func (r *reader) List(ctx context.Context, org string, f store.Filter, fn func(*store.Event) error) error {
	if f.Limit <= 0 {
		return fmt.Errorf("couldn't list events: limit %d is not positive", f.Limit)
	}
	s, err := compile(org, f, true)
	if err != nil {
		return fmt.Errorf("couldn't list events: %w", err)
	}
	if s == nil {
		return nil
	}
	d := drive{kind: driveNone}
	if f.Query != nil && len(f.Query.Terms) > 0 {
		var none bool
		if d, none, err = r.drive(ctx, org, f.Query); err != nil || none {
			return wrapList(err)
		}
	}
	sql, ordered := s.listSQL(d)
	if ordered {
		// The planner can't tell how many rows a query's conditions
		// keep, and when it guesses few, it reads them all and sorts
		// them rather than read newest first and stop at the page's end.
		if err := r.set(ctx, "enable_sort", "off"); err != nil {
			return wrapList(err)
		}
		defer r.set(context.WithoutCancel(ctx), "enable_sort", "on")
	}
	sc := newScanner(org)
	hi, chunk, listed := s.hi, f.Limit, 0
	// Read chunks of rows newest first, each after the last: a chunk
	// only falls short of the page when Go turns rows down.
	for {
		args := slices.Clone(s.args)
		args[2], args[3], args[4] = hi.ts, hi.seq, chunk
		rows, err := r.tx.Query(ctx, sql, args...)
		if err != nil {
			return wrapList(err)
		}
		n := 0
		for rows.Next() {
			n++
			e, err := sc.scan(rows)
			if err != nil {
				rows.Close()
				return wrapList(err)
			}
			hi = position{sc.ts, e.Seq - 1}
			if f.Query != nil && !f.Query.Match(&e.Record) {
				continue
			}
			if err := fn(e); err != nil {
				rows.Close()
				return err
			}
			if listed++; listed == f.Limit {
				rows.Close()
				return wrapList(rows.Err())
			}
		}
		if err := rows.Err(); err != nil || n < chunk {
			return wrapList(err)
		}
		chunk = min(chunk*2, max(maxChunk, f.Limit))
	}
}

// set sets a parameter of the planner until the transaction ends or
// set changes it again.
func (r *reader) set(ctx context.Context, name, value string) error {
	_, err := r.tx.Exec(ctx, "SELECT set_config($1, $2, true)", name, value)
	return err
}

// wrapList wraps a non-nil err as List's.
func wrapList(err error) error {
	if err != nil {
		return fmt.Errorf("couldn't list events: %w", err)
	}
	return nil
}

// listSQL returns the statement of a chunk of List: the rows from hi
// down that d reads, if it drives, and whose condition is not FALSE,
// newest first. It adds d's keys to the parameters. ordered reports
// whether it reads rows in index order, newest first, each arm stopping
// at the page's end, which the planner must not trade for a sort.
func (s *search) listSQL(d drive) (sql string, ordered bool) {
	base := "SELECT " + eventColumns + " FROM events WHERE org = $1 AND ts >= $2 AND ts <= $3 AND (ts < $3 OR seq <= $4)"
	cond := ""
	if s.match != "" {
		cond = " AND (" + s.match + ") IS NOT FALSE"
	}
	const order = "\nORDER BY ts DESC, seq DESC LIMIT $5"
	switch {
	case d.kind == driveNone:
		return base + cond + order, true
	case len(d.keys) <= maxArms:
		// One arm per key, each read along its index in List's order
		// as far as the page goes, and the arms merged.
		var arms []string
		for _, k := range d.keys {
			arms = append(arms, base+" AND "+d.partial+d.expr+" = "+s.param(k)+cond+order)
		}
		if len(arms) == 1 {
			return arms[0], true
		}
		return "(" + strings.Join(arms, ")\nUNION ALL\n(") + ")" + order, true
	}
	// Many keys: the planner weighs reading them all and sorting against
	// reading along time.
	return base + " AND " + d.partial + d.expr + " = ANY(" + s.param(d.keys) + ")" + cond + order, false
}

// A position is a place in List's order, in the columns' terms.
type position struct{ ts, seq int64 }

// before reports whether p comes before q going down the list, that is,
// whether p is the greater.
func (p position) before(q position) bool {
	return p.ts > q.ts || p.ts == q.ts && p.seq > q.seq
}

// listRange returns the bounds of f's list: timestamps from lo and
// positions up to hi, both inclusive. Until and After both bound the list
// from above, and the lower of the two wins. Times beyond what the column
// holds bound nothing or everything; ok is false if f selects no event.
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

// nanoRange returns the timestamps of events in [since, until), zero
// times unbounded, as the column holds them: from a to b inclusive. ok is
// false if there are none.
func nanoRange(since, until time.Time) (a, b int64, ok bool) {
	a, b = math.MinInt64, math.MaxInt64
	if !since.IsZero() && since.After(minTime) {
		if since.After(maxTime) {
			return 0, 0, false
		}
		a = since.UnixNano()
	}
	if !until.IsZero() && !until.After(maxTime) {
		if !until.After(minTime) {
			return 0, 0, false
		}
		b = until.UnixNano() - 1
	}
	return a, b, a <= b
}

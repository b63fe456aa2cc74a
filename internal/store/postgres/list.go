package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
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
		keys, ok, err := r.textKeys(ctx, org, s, f.Query)
		if err != nil {
			return wrapList(err)
		}
		if ok {
			return r.listKeys(ctx, org, s, f, keys, fn)
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
	l := &lister{sc: newScanner(org), f: f, fn: fn}
	hi, chunk := s.hi, f.Limit
	// Read chunks of rows newest first, each after the last: a chunk
	// only falls short of the page when Go turns rows down.
	for {
		args := slices.Clone(s.args)
		args[2], args[3], args[4] = hi.TS, hi.Seq, chunk
		rows, err := r.tx.Query(ctx, sql, args...)
		if err != nil {
			return wrapList(err)
		}
		n := 0
		full, err := l.chunk(rows, func(e *store.Event) {
			n++
			hi = store.Mark{TS: l.sc.ts, Seq: e.Seq - 1}
		})
		if full || err != nil || n < chunk {
			return err
		}
		chunk = min(chunk*2, max(maxChunk, f.Limit))
	}
}

// A lister passes the events of chunks of rows that a filter's query
// matches to fn, until it has passed the filter's Limit.
type lister struct {
	sc     *scanner
	f      store.Filter
	fn     func(*store.Event) error
	listed int
}

// chunk passes on the matching events of rows, calling read (if set)
// with every event read, and closes rows. full is true once the page is
// full, or fn failed (err).
func (l *lister) chunk(rows pgx.Rows, read func(*store.Event)) (full bool, err error) {
	defer rows.Close()
	for rows.Next() {
		e, err := l.sc.scan(rows)
		if err != nil {
			return true, wrapList(err)
		}
		if read != nil {
			read(e)
		}
		if l.f.Query != nil && !l.f.Query.Match(&e.Record) {
			continue
		}
		if err := l.fn(e); err != nil {
			return true, err
		}
		if l.listed++; l.listed == l.f.Limit {
			return true, wrapList(rows.Err())
		}
	}
	return false, wrapList(rows.Err())
}

// listKeys lists the events of keys, newest first, that the search's
// condition and the query match, in chunks, until the page is full. keys
// are in List's order, newest first.
func (r *reader) listKeys(ctx context.Context, org string, s *search, f store.Filter, keys []key, fn func(*store.Event) error) error {
	// The cursor's seq, which the search's range doesn't bound.
	for len(keys) > 0 && keys[0].ts == s.hi.TS && keys[0].seq > s.hi.Seq {
		keys = keys[1:]
	}
	n := len(s.args)
	sql := "SELECT " + eventColumns + " FROM events WHERE org = $1 AND ts >= $2 AND ts <= $3 AND (ts < $3 OR seq <= $4) AND " +
		keysCond("$"+strconv.Itoa(n+1), "$"+strconv.Itoa(n+2))
	if s.match != "" {
		sql += " AND (" + s.match + ") IS NOT FALSE"
	}
	sql += "\nORDER BY ts DESC, seq DESC LIMIT $5"
	l := &lister{sc: newScanner(org), f: f, fn: fn}
	chunk := f.Limit
	for len(keys) > 0 {
		next := keys[:min(chunk, len(keys))]
		keys = keys[len(next):]
		args := slices.Clone(s.args)
		args[4] = len(next)
		ts, seqs := keyArrays(next)
		rows, err := r.tx.Query(ctx, sql, append(args, ts, seqs)...)
		if err != nil {
			return wrapList(err)
		}
		if full, err := l.chunk(rows, nil); full || err != nil {
			return err
		}
		chunk = min(chunk*2, max(maxChunk, f.Limit))
	}
	return nil
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

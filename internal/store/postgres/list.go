package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	l := &lister{sc: newScanner(org), f: f, fn: fn}
	if len(d.keys) > maxArms {
		return r.listMany(ctx, s, d, l)
	}
	_, err = r.listAlong(ctx, s.listSQL(d), s.args, s.lo, s.hi, l)
	return err
}

// listMany lists the events of d's keys, too many to read an arm each,
// in three steps, each only if the last didn't fill the page: along time
// through the newest maxScanned events of the search's range, which
// fills it if the keys' events are common; then the keys' events in the
// rest of the range, read by d's index and sorted, if they number fewer
// than maxSorted; else along time through the rest.
func (r *reader) listMany(ctx context.Context, s *search, d drive, l *lister) error {
	// The planner guesses how many events the keys have from the
	// table's statistics, not from these keys, and guessing many it
	// would count them, or read them all, by scanning the table, which
	// finds few only at its end. Workers take longer to start than to
	// read few. Unlike listAlong's, these statements are planned for the
	// values at hand: a plan for any organization would read one's
	// partition by its primary key where the organization is small.
	reset, err := r.set(ctx, "enable_seqscan", "off", "max_parallel_workers_per_gather", "0")
	if err != nil {
		return wrapList(err)
	}
	defer reset()
	along := s.listSQL(drive{kind: driveNone})
	alongArgs := slices.Clip(s.args)
	bound, err := r.scanBound(ctx, s)
	if err != nil {
		return wrapList(err)
	}
	if full, err := r.listAlong(ctx, along, alongArgs, bound, s.hi, l); full || err != nil || bound <= s.lo {
		return err
	}
	hi := store.Mark{TS: bound - 1, Seq: math.MaxInt64}
	sorted := s.sortedSQL(d)
	few, err := r.fewEvents(ctx, s, d, hi)
	if err != nil {
		return wrapList(err)
	}
	if few {
		_, err = l.chunks(ctx, r.tx, sorted, s.args, s.lo, hi)
		return err
	}
	_, err = r.listAlong(ctx, along, alongArgs, s.lo, hi, l)
	return err
}

// listRange is the condition on the rows of a chunk of List: org $1's
// from $4 at $3 down to $2, the bounds and cursor that chunks sets.
const listRange = "org = $1 AND ts >= $2 AND ts <= $3 AND (ts < $3 OR seq <= $4)"

// scanBound returns the timestamp of the maxScanned-th newest event of
// the search's range, or its lower bound if it has fewer events.
func (r *reader) scanBound(ctx context.Context, s *search) (int64, error) {
	var ts int64
	err := r.tx.QueryRow(ctx, "SELECT ts FROM events WHERE "+listRange+" ORDER BY ts DESC, seq DESC OFFSET $5 LIMIT 1",
		s.args[0], s.lo, s.hi.TS, s.hi.Seq, maxScanned-1).Scan(&ts)
	if errors.Is(err, pgx.ErrNoRows) {
		return s.lo, nil
	}
	return ts, err
}

// fewEvents reports whether the events of d's keys in the search's
// range, up to hi, number fewer than maxSorted.
func (r *reader) fewEvents(ctx context.Context, s *search, d drive, hi store.Mark) (bool, error) {
	var n int
	err := r.tx.QueryRow(ctx, "SELECT count(*) FROM (SELECT FROM events WHERE "+listRange+" AND "+d.anyKey("$5")+" LIMIT $6) AS few",
		s.args[0], s.lo, hi.TS, hi.Seq, d.keys, maxSorted).Scan(&n)
	return n < maxSorted, err
}

// listAlong lists the events that sql, listSQL's, reads with args, in
// index order from hi down to lo.
func (r *reader) listAlong(ctx context.Context, sql string, args []any, lo int64, hi store.Mark, l *lister) (full bool, err error) {
	// The planner can't tell how many rows a query's conditions keep,
	// and when it guesses few, it reads them all and sorts them rather
	// than read newest first and stop at the page's end. With no sort,
	// there is one plan whatever the parameters: planned once for the
	// connection, not at every call (an arm on each of a few monthly
	// partitions takes a millisecond to plan).
	reset, err := r.set(ctx, "enable_sort", "off", "plan_cache_mode", "force_generic_plan")
	if err != nil {
		return true, wrapList(err)
	}
	defer reset()
	return l.chunks(ctx, r.tx, sql, args, lo, hi)
}

// A lister passes the events of chunks of rows that a filter's query
// matches to fn, until it has passed the filter's Limit.
type lister struct {
	sc     *scanner
	f      store.Filter
	fn     func(*store.Event) error
	listed int
}

// chunks reads chunks of rows with sql from hi down to lo, newest first,
// each after the last, and passes on their matching events until the page
// is full (full) or the rows run out. sql's parameters are args, of
// which it sets the bounds and the limit ($2 to $5): a chunk only falls
// short of the page when Go turns rows down.
func (l *lister) chunks(ctx context.Context, tx pgx.Tx, sql string, args []any, lo int64, hi store.Mark) (full bool, err error) {
	chunk := l.f.Limit - l.listed
	for {
		args := slices.Clone(args)
		args[1], args[2], args[3], args[4] = lo, hi.TS, hi.Seq, chunk
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return true, wrapList(err)
		}
		n := 0
		full, err := l.chunk(rows, func(e *store.Event) {
			n++
			hi = store.Mark{TS: l.sc.ts, Seq: e.Seq - 1}
		})
		if full || err != nil || n < chunk {
			return full, err
		}
		chunk = min(chunk*2, max(maxChunk, l.f.Limit))
	}
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
	base, cond := s.listBase()
	sql := base + " AND " + keysCond("$"+strconv.Itoa(n+1), "$"+strconv.Itoa(n+2)) + cond +
		"\nORDER BY ts DESC, seq DESC LIMIT $5"
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

// set sets parameters of the planner, given as names and values in
// turn, until the transaction ends or reset, which it returns, sets them
// back.
func (r *reader) set(ctx context.Context, params ...string) (reset func(), err error) {
	var names, args []any
	var gets, sets []string
	for i := 0; i+1 < len(params); i += 2 {
		names = append(names, params[i])
		args = append(args, params[i], params[i+1])
		gets = append(gets, fmt.Sprintf("current_setting($%d)", len(names)))
		sets = append(sets, fmt.Sprintf("set_config($%d, $%d, true)", len(args)-1, len(args)))
	}
	olds := make([]string, len(names))
	dest := make([]any, len(olds))
	for i := range olds {
		dest[i] = &olds[i]
	}
	// One round trip: a batch's statements run in turn.
	b := &pgx.Batch{}
	b.Queue("SELECT "+strings.Join(gets, ", "), names...).QueryRow(func(row pgx.Row) error { return row.Scan(dest...) })
	b.Queue("SELECT "+strings.Join(sets, ", "), args...)
	if err := r.tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return func() {
		for i, old := range olds {
			args[2*i+1] = old
		}
		r.tx.Exec(context.WithoutCancel(ctx), "SELECT "+strings.Join(sets, ", "), args...)
	}, nil
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
// newest first, read in index order, each arm stopping at the page's end,
// which the planner must not trade for a sort. It adds d's keys, at most
// maxArms, to the parameters.
func (s *search) listSQL(d drive) string {
	base, cond := s.listBase()
	const order = "\nORDER BY ts DESC, seq DESC LIMIT $5"
	if d.kind == driveNone {
		return base + cond + order
	}
	// One arm per key, each read along its index in List's order as far
	// as the page goes, and the arms merged.
	var arms []string
	for _, k := range d.keys {
		arms = append(arms, base+" AND "+d.partial+d.expr+" = "+s.param(k)+cond+order)
	}
	if len(arms) == 1 {
		return arms[0]
	}
	return "(" + strings.Join(arms, ")\nUNION ALL\n(") + ")" + order
}

// sortedSQL returns the statement of a chunk of List that reads all the
// rows from hi down of d's keys, any number, whose condition is not
// FALSE, and sorts them, newest first. It adds d's keys to the
// parameters.
func (s *search) sortedSQL(d drive) string {
	base, cond := s.listBase()
	// Materialized, lest the planner read along time instead.
	return "WITH keyed AS MATERIALIZED (" + base + " AND " + d.anyKey(s.param(d.keys)) + cond +
		")\nSELECT * FROM keyed\nORDER BY ts DESC, seq DESC LIMIT $5"
}

// listBase returns what a chunk of List selects from: the rows from hi
// down, and the condition that the search's is not FALSE, to append.
func (s *search) listBase() (base, cond string) {
	base = "SELECT " + eventColumns + " FROM events WHERE " + listRange
	if s.match != "" {
		cond = " AND (" + s.match + ") IS NOT FALSE"
	}
	return base, cond
}

package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
)

// Counting: SQL counts the rows whose condition is TRUE; rows whose
// condition is NULL (details, see search.go) are read and tested with
// query.Match, and counted in Go.

// A counting is the SQL that selects the events a filter counts.
type counting struct {
	where string // condition on events, TRUE for the rows SQL counts
	maybe string // condition on events, TRUE for the rows Go tests; "" for none
	args  []any
	q     *query.Query
}

// counting returns the counting of f in org's log, or nil if f can match
// no event. Its After and Limit are ignored.
func (r *reader) counting(ctx context.Context, org string, f store.Filter) (*counting, error) {
	f.After = nil
	s, err := compile(org, f, false)
	if err != nil || s == nil {
		return nil, err
	}
	where := "org = $1 AND ts >= $2 AND ts <= $3"
	if f.Query != nil && len(f.Query.Terms) > 0 {
		d, none, err := r.drive(ctx, org, f.Query)
		if err != nil || none {
			return nil, err
		}
		keys, text, err := r.textKeys(ctx, org, s, f.Query)
		switch {
		case err != nil:
			return nil, err
		case text && len(keys) == 0:
			return nil, nil
		case text:
			ts, seqs := keyArrays(keys)
			where += " AND " + keysCond(s.param(ts), s.param(seqs))
		case d.kind != driveNone:
			where += " AND " + d.partial + d.expr + " = ANY(" + s.param(d.keys) + ")"
		}
	}
	c := &counting{where: where, args: s.args, q: f.Query}
	if s.match != "" {
		c.where = where + " AND (" + s.match + ") IS TRUE"
		if s.unsure {
			c.maybe = where + " AND (" + s.match + ") IS NULL"
		}
	}
	return c, nil
}

// each calls fn with each event that c's maybe selects and its query
// matches.
func (r *reader) each(ctx context.Context, org string, c *counting, fn func(e *store.Event)) error {
	if c.maybe == "" {
		return nil
	}
	rows, err := r.tx.Query(ctx, "SELECT "+eventColumns+" FROM events WHERE "+c.maybe, c.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	s := newScanner(org)
	for rows.Next() {
		e, err := s.scan(rows)
		if err != nil {
			return err
		}
		if c.q.Match(&e.Record) {
			fn(e)
		}
	}
	return rows.Err()
}

// The grouping sets of Facets, as GROUPING(category, event, a, t) numbers
// them: a bit for each column left out.
const (
	groupCategory = 0b0111
	groupEvent    = 0b1011
	groupActor    = 0b1101
	groupTarget   = 0b1110
	groupTotal    = 0b1111
)

// A facets is Facets' counts as they are added up, by grouping set and
// value.
type facets struct {
	total int64
	by    map[int]map[string]int64
}

func newFacets() *facets {
	fc := &facets{by: map[int]map[string]int64{}}
	for _, g := range []int{groupCategory, groupEvent, groupActor, groupTarget} {
		fc.by[g] = map[string]int64{}
	}
	return fc
}

func (fc *facets) result(top int) store.Facets {
	return store.Facets{
		Total:      fc.total,
		Categories: store.Ranked(fc.by[groupCategory], -1),
		Events:     store.Ranked(fc.by[groupEvent], -1),
		Actors:     store.Ranked(fc.by[groupActor], top),
		Targets:    store.Ranked(fc.by[groupTarget], top),
	}
}

// Facets counts the whole days of f's range from the daily and hourly
// counts if its query tests nothing but time, and the rest, or all of
// it, from the events.
func (r *reader) Facets(ctx context.Context, org string, f store.Filter, top int) (store.Facets, error) {
	f.After, top = nil, max(top, 0)
	// Hashing each grouping set of facetsOfEvents takes a few megabytes
	// for a month of a large log; in the default work_mem, PostgreSQL
	// sorts the rows on disk instead, which took half the time of a
	// filtered month's facets.
	reset, err := r.set(ctx, "work_mem", facetsWorkMem)
	if err != nil {
		return store.Facets{}, wrapCount(err)
	}
	defer reset()
	fc := newFacets()
	lo, hi, ok := f.Narrowed().Bounds()
	var from, to int64
	if ok && timeOnly(f.Query) {
		from, to = wholeDays(lo, hi.TS)
	}
	if from >= to {
		// Nothing else adds to its counts: SQL may cut them to the top.
		if err := r.facetsOfEvents(ctx, org, f, top, fc); err != nil {
			return store.Facets{}, wrapCount(err)
		}
		return fc.result(top), nil
	}
	// The partial days first: topTargets needs their counts.
	for _, edge := range [][2]int64{{lo, from - 1}, {to, hi.TS}} {
		if edge[0] > edge[1] {
			continue
		}
		g := f
		g.Since, g.Until = unixNano(edge[0]), unixNano(edge[1]).Add(1)
		if err := r.facetsOfEvents(ctx, org, g, -1, fc); err != nil {
			return store.Facets{}, wrapCount(err)
		}
	}
	if err := r.facetsByDays(ctx, org, from, to, top, fc); err != nil {
		return store.Facets{}, wrapCount(err)
	}
	return fc.result(top), nil
}

// timeOnly reports whether q tests nothing but time, as positive
// timestamp terms, which Filter.Narrowed applies.
func timeOnly(q *query.Query) bool {
	if q == nil {
		return true
	}
	for _, t := range q.Terms {
		if t.Field != query.FieldTimestamp || t.Negated {
			return false
		}
	}
	return true
}

// facetsWorkMem is the memory Facets lets PostgreSQL count in.
const facetsWorkMem = "32MB"

// facetsOfEvents adds the counts of the events f selects in org's log to
// fc, in one pass over the events that SQL decides, with the events left
// to Go added. SQL cuts the actors and targets it counts to the top
// limit, unless limit is negative; it can't if Go counts some.
func (r *reader) facetsOfEvents(ctx context.Context, org string, f store.Filter, limit int, fc *facets) error {
	c, err := r.counting(ctx, org, f)
	if err != nil || c == nil {
		return err
	}
	err = r.each(ctx, org, c, func(e *store.Event) {
		fc.total++
		fc.by[groupCategory][e.Category]++
		fc.by[groupEvent][e.Event]++
		fc.by[groupActor][actorKey(e.Actor)]++
		fc.by[groupTarget][targetKey(e.Target)]++
		limit = -1
	})
	if err != nil {
		return err
	}
	if limit < 0 {
		limit = math.MaxInt32
	}
	// Every facet is a grouping set, ranked.
	sql := `SELECT g, v, n FROM (
		SELECT g, v, n, row_number() OVER (PARTITION BY g ORDER BY n DESC, v) AS rank FROM (
			SELECT GROUPING(category, event, a, t) AS g, coalesce(category, event, a, t) AS v, count(*) AS n
			FROM (SELECT category, event, ` + actorKeyExpr + ` AS a, ` + targetKeyExpr + ` AS t
				FROM events WHERE ` + c.where + `) e
			GROUP BY GROUPING SETS ((category), (event), (a), (t), ())
		) c WHERE g = ` + fmt.Sprint(groupTotal) + ` OR v <> ''
	) r WHERE g IN (` + fmt.Sprint(groupCategory, ",", groupEvent, ",", groupTotal) + `) OR rank <= $` +
		fmt.Sprint(len(c.args)+1)
	rows, err := r.tx.Query(ctx, sql, append(c.args, int64(limit))...)
	if err != nil {
		return err
	}
	var g int
	var v *string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&g, &v, &n}, func() error {
		if g == groupTotal {
			fc.total += n
		} else if v != nil {
			fc.by[g][*v] += n
		}
		return nil
	})
	return err
}

// Histogram counts by bucket and category: from the hourly counts when
// it can (whole hours, filtered by no more than time, event types and
// categories), else from the events.
func (r *reader) Histogram(ctx context.Context, org string, f store.Filter, width time.Duration) ([]store.Bucket, error) {
	if f.Since.IsZero() || f.Until.IsZero() || !f.Since.Before(f.Until) || width <= 0 || (24*time.Hour)%width != 0 {
		return nil, fmt.Errorf("couldn't count events: want Since before Until and a width dividing a day, not %v, %v, %v", f.Since, f.Until, width)
	}
	buckets := store.Buckets(f.Since, f.Until, width)
	first := buckets[0].Start.UnixNano()
	add := func(at int64, category string, n int64) {
		b := (at - first) / int64(width)
		if at < first || b >= int64(len(buckets)) || n == 0 {
			return // cannot happen: the range is the buckets'
		}
		bk := &buckets[b]
		bk.N += n
		if bk.ByCategory == nil {
			bk.ByCategory = map[string]int64{}
		}
		bk.ByCategory[category] += n
	}
	if width%time.Hour == 0 {
		q := f.Query
		if q == nil {
			q = new(query.Query)
		}
		hf, ok, err := r.hourFilter(ctx, org, q)
		if err != nil {
			return nil, wrapCount(err)
		}
		if ok {
			return buckets, wrapCount(r.histogramByHours(ctx, org, f, hf, first, width, add))
		}
	}
	return buckets, wrapCount(r.countInto(ctx, org, f, first, width, add))
}

// countInto adds the events of f in org's log to a histogram whose
// buckets of width start at first, with add.
func (r *reader) countInto(ctx context.Context, org string, f store.Filter, first int64, width time.Duration, add func(int64, string, int64)) error {
	c, err := r.counting(ctx, org, f)
	if err != nil || c == nil {
		return err
	}
	err = r.each(ctx, org, c, func(e *store.Event) { add(e.Timestamp.UnixNano(), e.Category, 1) })
	if err != nil {
		return err
	}
	// Rows by the start of their bucket; the parameters after the
	// counting's are first and the width, in nanoseconds.
	n := len(c.args)
	sql := fmt.Sprintf(`SELECT $%d + (ts - $%d) / $%d * $%d, category, count(*) FROM events WHERE %s GROUP BY 1, 2`,
		n+1, n+1, n+2, n+2, c.where)
	rows, err := r.tx.Query(ctx, sql, append(c.args, first, int64(width))...)
	if err != nil {
		return err
	}
	var at, count int64
	var category string
	_, err = pgx.ForEachRow(rows, []any{&at, &category, &count}, func() error {
		add(at, category, count)
		return nil
	})
	return err
}

// wrapCount wraps a non-nil err as counting's.
func wrapCount(err error) error {
	if err != nil {
		return fmt.Errorf("couldn't count events: %w", err)
	}
	return nil
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
)

// Counting: how Facets and Histogram count the events a filter selects.
//
// The whole hours or days of the range come from the rollups (rollup.go)
// when the query allows: a histogram whose query tests nothing but event
// types, categories and actor types reads event_hours, testing each row;
// facets
// without a query read event_hours, actor_days and target_days. The rest,
// the partial periods at the ends of the range and any other query, is
// counted from the events, read as a search reads them: by its driver if
// it has one (see drive.go), along events_ts if not.

// counted are the columns of an event that counting reads, named as the
// rollups name them.
const counted = "ts, event, category, " +
	"iif(actor_email <> '', actor_email, actor_id) COLLATE BINARY AS actor, " +
	"iif(target_id <> '', target_id, target_name) AS target"

// source returns a query of the counted columns of the events f selects
// (After and Limit aside), of the organization numbered num, and its
// parameters; "" if there are none.
func (r *reader) source(ctx context.Context, num int64, f store.Filter) (string, []any, error) {
	f.After, f.Limit = nil, 1
	lo, hi, ok := f.Narrowed().Bounds()
	if !ok {
		return "", nil, nil
	}
	const from = "SELECT " + counted + " FROM events INDEXED BY "
	if f.Query == nil || len(f.Query.Terms) == 0 {
		return from + "events_ts WHERE org = ?1 AND ts >= ?2 AND ts <= ?3", []any{num, lo, hi.TS}, nil
	}
	s, err := compile(num, f)
	if err != nil || s == nil {
		return "", nil, err
	}
	d, none, err := r.drive(ctx, num, f.Query)
	if err != nil || none {
		return "", nil, err
	}
	arms := []arm{{index: "events_ts"}}
	switch {
	case d.kind == driveNone:
	case d.merged():
		arms = d.arms(s)
	default:
		arms = d.sortedArms(s)
	}
	var b strings.Builder
	for i, a := range arms {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString(from + a.index + " WHERE org = ?1 AND ts >= ?2 AND ts <= ?3 AND ?5 > 0")
		for _, c := range append([]string{a.cond}, s.where...) {
			if c != "" {
				b.WriteString(" AND " + c)
			}
		}
	}
	return b.String(), s.args, nil
}

// A tallies is counts by value, merged from several reads.
type tallies map[string]int64

// tally adds the (value, count) rows of q to t.
func (r *reader) tally(ctx context.Context, t tallies, q string, args ...any) error {
	rows, err := r.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var v sql.RawBytes
	var n int64
	for rows.Next() {
		if err := rows.Scan(&v, &n); err != nil {
			return err
		}
		t[string(v)] += n
	}
	return rows.Err()
}

// A facets is Facets' counts as they are added up.
type facets struct {
	categories, events, actors, targets tallies
}

func newFacets() facets {
	return facets{tallies{}, tallies{}, tallies{}, tallies{}}
}

func (fc facets) result(top int) store.Facets {
	out := store.Facets{
		Categories: store.Ranked(fc.categories, -1),
		Events:     store.Ranked(fc.events, -1),
		Actors:     store.Ranked(fc.actors, top),
		Targets:    store.Ranked(fc.targets, top),
	}
	for _, n := range fc.categories {
		out.Total += n // every event has one category
	}
	return out
}

func (r *reader) Facets(ctx context.Context, org string, f store.Filter, top int) (store.Facets, error) {
	num, err := r.orgNum(ctx, org)
	if err != nil {
		return store.Facets{}, wrapCount(ignoreMissing(err))
	}
	fc := newFacets()
	rest := []store.Filter{f}
	var from, to int64
	if f.Query == nil || len(f.Query.Terms) == 0 {
		from, to, rest = whole(f, 24*time.Hour)
	}
	// The partial days first: topTargets needs their counts.
	for _, f := range rest {
		if err := r.facetsOfEvents(ctx, num, f, fc); err != nil {
			return store.Facets{}, wrapCount(err)
		}
	}
	if from < to {
		if err := r.facetsByDays(ctx, num, from, to, top, fc); err != nil {
			return store.Facets{}, wrapCount(err)
		}
	}
	return fc.result(top), nil
}

// facetsByDays adds the rollups' counts of the days [from, to) to fc,
// whose counts of targets are those of the rest of the range: of targets,
// enough for the top.
func (r *reader) facetsByDays(ctx context.Context, num, from, to int64, top int, fc facets) error {
	rows, err := r.tx.QueryContext(ctx, "SELECT event, category, sum(n) FROM event_hours WHERE org = ? AND hour >= ? AND hour < ? GROUP BY event, category", num, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var event, category string
		var n int64
		if err := rows.Scan(&event, &category, &n); err != nil {
			return err
		}
		fc.events[event] += n
		fc.categories[category] += n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := r.tally(ctx, fc.actors, "SELECT actor, n FROM actor_days WHERE org = ? AND day >= ? AND day < ?", num, from, to); err != nil {
		return err
	}
	if ok, err := r.topTargets(ctx, num, from, to, top, fc.targets); ok || err != nil {
		return err
	}
	return r.tally(ctx, fc.targets, "SELECT target, n FROM target_days WHERE org = ? AND day >= ? AND day < ?", num, from, to)
}

// heavyDay is the count from which target_days_heavy indexes a target's
// day (migration 006), as topTargets's query says too.
const heavyDay = 10

// topTargets adds to t, which holds the counts of targets in the rest of
// the range, the counts over the days [from, to) of enough targets to
// tell the top ones, if it can prove which they are: those with a heavy
// day among them, and those of the rest of the range that might outcount
// them; any other target counts heavyDay-1 a day at most. Organizations
// have many more targets than actors, most with few events: reading only
// the heavy ones spares reading them all. ok is false, and t untouched,
// if it proves nothing.
func (r *reader) topTargets(ctx context.Context, num, from, to int64, top int, t tallies) (ok bool, err error) {
	if top < 0 {
		return false, nil
	}
	// of counts the days of the targets a query lists, with a seek for
	// each day and target: reading all the range's days of the targets
	// would read those of every target. The heavy ones' count is written
	// out, not a parameter, for SQLite to see that the partial index has
	// the rows.
	const of = `WITH RECURSIVE days (d) AS (
			SELECT ?2 UNION ALL SELECT d + ?4 FROM days WHERE d + ?4 < ?3),
		c (target) AS (%s)
		SELECT t.target, sum(t.n) FROM c CROSS JOIN days CROSS JOIN target_days t
		WHERE t.org = ?1 AND t.day = days.d AND t.target = c.target
		GROUP BY t.target`
	const heavy = `SELECT DISTINCT target FROM target_days INDEXED BY target_days_heavy
		WHERE org = ?1 AND day >= ?2 AND day < ?3 AND n >= 10`
	day := int64(24 * time.Hour)
	heavies := tallies{}
	if err := r.tally(ctx, heavies, fmt.Sprintf(of, heavy), num, from, to, day); err != nil {
		return false, err
	}
	counts := maps.Clone(t)
	for v, n := range heavies {
		counts[v] += n
	}
	light := (heavyDay - 1) * ((to - from) / day) // the most another target counts
	least := int64(math.MaxInt64)                 // the top'th count
	if top > 0 {
		least = 0
		if s := store.Ranked(counts, top); len(s) == top {
			least = s[top-1].N
		}
	}
	if light >= least {
		return false, nil
	}
	// Targets of the rest of the range that might outcount them: read
	// their days too.
	var doubt []string
	for v, n := range t {
		if _, ok := heavies[v]; !ok && n+light >= least {
			doubt = append(doubt, v)
		}
	}
	if len(doubt) > maxSorted {
		return false, nil
	}
	if len(doubt) > 0 {
		list, err := json.Marshal(doubt)
		if err != nil {
			return false, err
		}
		if err := r.tally(ctx, counts, fmt.Sprintf(of, "SELECT value FROM json_each(?5)"), num, from, to, day, string(list)); err != nil {
			return false, err
		}
	}
	maps.Copy(t, counts)
	return true, nil
}

// facetsOfEvents adds the counts of the events f selects to fc, in one
// read of them: four GROUP BYs would read each event four times.
func (r *reader) facetsOfEvents(ctx context.Context, num int64, f store.Filter, fc facets) error {
	src, args, err := r.source(ctx, num, f)
	if err != nil || src == "" {
		return err
	}
	rows, err := r.tx.QueryContext(ctx, "SELECT category, event, actor, target FROM ("+src+")", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var category, event, actor, target sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&category, &event, &actor, &target); err != nil {
			return err
		}
		fc.categories[string(category)]++
		fc.events[string(event)]++
		fc.actors[string(actor)]++
		fc.targets[string(target)]++
	}
	return rows.Err()
}

// whole returns the whole periods of width (an hour or a day) in f's
// range, [from, to) in Unix nanoseconds, and filters of the rest of it,
// the parts before and after; from >= to, and rest f itself, if there are
// none.
func whole(f store.Filter, width time.Duration) (from, to int64, rest []store.Filter) {
	lo, hi, ok := store.Filter{Since: f.Since, Until: f.Until, Query: f.Query}.Narrowed().Bounds()
	if !ok {
		return 0, 0, nil
	}
	// The first period Unix nanoseconds hold whole: floorTo overflows
	// before it, as for a range without a start.
	lo = max(lo, math.MinInt64/int64(width)*int64(width))
	from, to = floorTo(lo, width), floorTo(hi.TS, width)
	if from < lo {
		from += int64(width)
	}
	if hi.TS-to == int64(width)-1 {
		to += int64(width) // the last period is whole too
	}
	if from >= to {
		return 0, 0, []store.Filter{f}
	}
	before, after := f, f
	before.Until = time.Unix(0, from).UTC()
	after.Since = time.Unix(0, to).UTC()
	return from, to, []store.Filter{before, after}
}

// hourTerms returns the terms of q that test event types, categories or
// actor types, and whether they are all q tests besides the range it
// narrows f to: what event_hours can answer.
func hourTerms(q *query.Query) (*query.Query, bool) {
	out := &query.Query{}
	if q == nil {
		return out, true
	}
	for _, t := range q.Terms {
		switch {
		case t.Field == query.FieldEvent || t.Field == query.FieldCategory || t.Field == query.FieldActorType:
			out.Terms = append(out.Terms, t)
		case t.Field == query.FieldTimestamp && !t.Negated:
		default:
			return nil, false
		}
	}
	return out, true
}

func (r *reader) Histogram(ctx context.Context, org string, f store.Filter, width time.Duration) ([]store.Bucket, error) {
	if f.Since.IsZero() || f.Until.IsZero() || !f.Since.Before(f.Until) || width <= 0 || (24*time.Hour)%width != 0 {
		return nil, fmt.Errorf("couldn't count events: want Since before Until and a width dividing a day, not %v, %v, %v", f.Since, f.Until, width)
	}
	h := histogram{buckets: store.Buckets(f.Since, f.Until, width), width: int64(width)}
	h.first = h.buckets[0].Start.UnixNano()
	num, err := r.orgNum(ctx, org)
	if err != nil {
		return h.buckets, wrapCount(ignoreMissing(err))
	}
	rest := []store.Filter{f}
	if terms, ok := hourTerms(f.Query); ok && width%time.Hour == 0 {
		var from, to int64
		if from, to, rest = whole(f, time.Hour); from < to {
			if err := r.histogramByHours(ctx, num, from, to, terms, &h); err != nil {
				return h.buckets, wrapCount(err)
			}
		}
	}
	for _, f := range rest {
		if err := r.histogramOfEvents(ctx, num, f, &h); err != nil {
			return h.buckets, wrapCount(err)
		}
	}
	return h.buckets, nil
}

// A histogram is Histogram's buckets as they are added up: those of
// width nanoseconds from first.
type histogram struct {
	buckets      []store.Bucket
	first, width int64
}

// add counts n events of category at the instant at.
func (h *histogram) add(at int64, category string, n int64) {
	b := (at - h.first) / h.width
	if at < h.first || b >= int64(len(h.buckets)) || n == 0 {
		return // cannot happen: the range is the buckets'
	}
	bk := &h.buckets[b]
	bk.N += n
	if bk.ByCategory == nil {
		bk.ByCategory = map[string]int64{}
	}
	bk.ByCategory[category] += n
}

// histogramByHours adds the events of the whole hours [from, to) that
// terms match to h, from event_hours.
func (r *reader) histogramByHours(ctx context.Context, num, from, to int64, terms *query.Query, h *histogram) error {
	rows, err := r.tx.QueryContext(ctx, "SELECT hour, event, actor_type, category, n FROM event_hours WHERE org = ? AND hour >= ? AND hour < ?", num, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	matches := map[[3]string]bool{} // by event type, actor type and category
	for rows.Next() {
		var at, n int64
		var k [3]string
		if err := rows.Scan(&at, &k[0], &k[1], &k[2], &n); err != nil {
			return err
		}
		m, ok := matches[k]
		if !ok {
			m = terms.Match(&verify.Record{Event: k[0], Actor: verify.Actor{Type: k[1]}, Category: k[2]})
			matches[k] = m
		}
		if m {
			h.add(at, k[2], n)
		}
	}
	return rows.Err()
}

// histogramOfEvents adds the events f selects to h.
func (r *reader) histogramOfEvents(ctx context.Context, num int64, f store.Filter, h *histogram) error {
	src, args, err := r.source(ctx, num, f)
	if err != nil || src == "" {
		return err
	}
	// Each event's bucket's start: the parameters after the source's are
	// the first bucket's start and the width.
	q := fmt.Sprintf("SELECT (ts - ?%d) / ?%d * ?%d + ?%d, category, count(*) FROM (%s) GROUP BY 1, 2",
		len(args)+1, len(args)+2, len(args)+2, len(args)+1, src)
	rows, err := r.tx.QueryContext(ctx, q, append(args, h.first, h.width)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var at, count int64
		var category string
		if err := rows.Scan(&at, &category, &count); err != nil {
			return err
		}
		h.add(at, category, count)
	}
	return rows.Err()
}

// ignoreMissing returns nil for store.ErrNotFound: an organization
// without a log has no events to count.
func ignoreMissing(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

func wrapCount(err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return fmt.Errorf("couldn't count events: %w", err)
}

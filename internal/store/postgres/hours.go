package postgres

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
)

// Hourly counts: event_hours (migration 002) counts each organization's
// events by hour, category and type, so that a histogram filtered by time,
// event types and categories alone adds up counts instead of reading
// events.

// hourOf returns the start of the hour holding the instant ns, in Unix
// nanoseconds.
func hourOf(ns int64) int64 {
	const h = int64(time.Hour)
	q := ns / h
	if ns < 0 && ns%h != 0 {
		q--
	}
	return q * h
}

// An hourKey is a row of event_hours: an organization's events of an
// hour, category and type.
type hourKey struct {
	org             string
	hour            int64
	category, event string
}

// addHours adds events of org, at the timestamps ts, to the pending
// hourly counts.
func (p *pending) addHours(org string, events []*store.Event, ts []int64) {
	if p.hours == nil {
		p.hours = map[hourKey]int64{}
	}
	for i, e := range events {
		p.hours[hourKey{org, hourOf(ts[i]), e.Category, e.Event}]++
	}
}

// queueHours queues the statement that adds the pending hourly counts.
func (p *pending) queueHours(b *pgx.Batch) {
	if len(p.hours) == 0 {
		return
	}
	// In one order, so that writers never wait for each other in a cycle.
	keys := slices.SortedFunc(maps.Keys(p.hours), func(a, b hourKey) int {
		return cmp.Or(strings.Compare(a.org, b.org), cmp.Compare(a.hour, b.hour),
			strings.Compare(a.category, b.category), strings.Compare(a.event, b.event))
	})
	var orgs, categories, types []string
	var hours, ns []int64
	for _, k := range keys {
		orgs, hours, categories, types = append(orgs, k.org), append(hours, k.hour), append(categories, k.category), append(types, k.event)
		ns = append(ns, p.hours[k])
	}
	b.Queue(`INSERT INTO event_hours (org, hour, category, event, n)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[])
		ON CONFLICT (org, hour, category, event) DO UPDATE SET n = event_hours.n + excluded.n`,
		orgs, hours, categories, types, ns)
}

// hourPairs reports whether the hourly counts can answer for q (ok): if
// its terms are all on event types and categories, or positive
// timestamps (which bound the histogram). It returns the pairs of
// category and event type of org that q matches, or nil for all of them.
func (r *reader) hourPairs(ctx context.Context, org string, q *query.Query) (categories, types []string, ok bool, err error) {
	var terms []query.Term
	for _, t := range q.Terms {
		switch {
		case t.Field == query.FieldEvent || t.Field == query.FieldCategory:
			terms = append(terms, t)
		case t.Field != query.FieldTimestamp || t.Negated:
			return nil, nil, false, nil
		}
	}
	if len(terms) == 0 {
		return nil, nil, true, nil
	}
	categories, types = []string{}, []string{}
	err = r.eventTypes(ctx, org, terms, func(category, event string) {
		categories, types = append(categories, category), append(types, event)
	})
	return categories, types, err == nil, err
}

// histogramByHours adds the events of f in org's log to a histogram whose
// buckets of width (whole hours) start at first, with add: the whole hours of its range from the hourly counts of the
// pairs of category and type (all if nil), the partial hours at either
// end from the events.
func (r *reader) histogramByHours(ctx context.Context, org string, f store.Filter, categories, types []string, first int64, width time.Duration, add func(int64, string, int64)) error {
	lo, hi, ok := f.Narrowed().Bounds()
	if !ok {
		return nil
	}
	// Whole hours: [from, to). lo and hi.TS are inclusive bounds.
	from, to := hourOf(lo), hourOf(hi.TS)
	if from < lo {
		from += int64(time.Hour)
	}
	if hi.TS-to == int64(time.Hour)-1 {
		to += int64(time.Hour) // the last hour is whole too
	}
	if from >= to {
		return r.countInto(ctx, org, f, first, width, add)
	}
	sql := `SELECT hour, category, sum(n)::bigint FROM event_hours WHERE org = $1 AND hour >= $2 AND hour < $3`
	args := []any{org, from, to}
	if categories != nil {
		sql += ` AND (category, event) IN (SELECT * FROM unnest($4::text[], $5::text[]))`
		args = append(args, categories, types)
	}
	rows, err := r.tx.Query(ctx, sql+` GROUP BY hour, category`, args...)
	if err != nil {
		return err
	}
	var at, n int64
	var category string
	if _, err := pgx.ForEachRow(rows, []any{&at, &category, &n}, func() error {
		add(at, category, n)
		return nil
	}); err != nil {
		return err
	}
	for _, edge := range [][2]int64{{lo, from - 1}, {to, hi.TS}} {
		if edge[0] > edge[1] {
			continue
		}
		g := f
		g.Since, g.Until = unixNano(edge[0]), unixNano(edge[1]).Add(1)
		if err := r.countInto(ctx, org, g, first, width, add); err != nil {
			return err
		}
	}
	return nil
}

package postgres

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
)

// Hourly counts: event_hours (migrations 002 and 008) counts each
// organization's events by hour, category, type and actor type, so that a
// histogram filtered by time, event types, categories and actor types
// alone adds up counts instead of reading events.

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
// hour, category, type and actor type.
type hourKey struct {
	org                        string
	hour                       int64
	category, event, actorType string
}

// addHours adds events of org, at the timestamps ts, to the pending
// hourly counts.
func (p *pending) addHours(org string, events []*store.Event, ts []int64) {
	if p.hours == nil {
		p.hours = map[hourKey]int64{}
	}
	for i, e := range events {
		p.hours[hourKey{org, hourOf(ts[i]), e.Category, e.Event, e.Actor.Type}]++
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
			strings.Compare(a.category, b.category), strings.Compare(a.event, b.event),
			strings.Compare(a.actorType, b.actorType))
	})
	var orgs, categories, types, actorTypes []string
	var hours, ns []int64
	for _, k := range keys {
		orgs, hours, categories, types = append(orgs, k.org), append(hours, k.hour), append(categories, k.category), append(types, k.event)
		actorTypes, ns = append(actorTypes, k.actorType), append(ns, p.hours[k])
	}
	b.Queue(`INSERT INTO event_hours (org, hour, category, event, actor_type, n)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[])
		ON CONFLICT (org, hour, category, event, actor_type) DO UPDATE SET n = event_hours.n + excluded.n`,
		orgs, hours, categories, types, actorTypes, ns)
}

// An hourFilter selects rows of event_hours: by pairs of category and
// event type, and by actor type; nil for all.
type hourFilter struct {
	categories, types []string
	actorTypes        []string
}

// actorTypes are the actor types an event may have: "" (stored by
// events from before the type was kept) reads as user.
var actorTypes = []string{"", "api_key", "system", "user"}

// hourFilter reports whether the hourly counts can answer for q (ok): if
// its terms are all on event types, categories and actor types, or
// positive timestamps (which bound the histogram). It returns the rows of
// org's hourly counts that q matches.
func (r *reader) hourFilter(ctx context.Context, org string, q *query.Query) (hf hourFilter, ok bool, err error) {
	var terms, actorTerms []query.Term
	for _, t := range q.Terms {
		switch {
		case t.Field == query.FieldEvent || t.Field == query.FieldCategory:
			terms = append(terms, t)
		case t.Field == query.FieldActorType:
			actorTerms = append(actorTerms, t)
		case t.Field != query.FieldTimestamp || t.Negated:
			return hf, false, nil
		}
	}
	if len(actorTerms) > 0 {
		hf.actorTypes = []string{}
		q := &query.Query{Terms: actorTerms}
		for _, a := range actorTypes {
			if q.Match(&verify.Record{Actor: verify.Actor{Type: a}}) {
				hf.actorTypes = append(hf.actorTypes, a)
			}
		}
	}
	if len(terms) == 0 {
		return hf, true, nil
	}
	hf.categories, hf.types = []string{}, []string{}
	err = r.eventTypes(ctx, org, terms, func(category, event string) {
		hf.categories, hf.types = append(hf.categories, category), append(hf.types, event)
	})
	return hf, err == nil, err
}

// histogramByHours adds the events of f in org's log to a histogram whose
// buckets of width (whole hours) start at first, with add: the whole hours
// of its range from the rows of the hourly counts that hf selects, the
// partial hours at either end from the events.
func (r *reader) histogramByHours(ctx context.Context, org string, f store.Filter, hf hourFilter, first int64, width time.Duration, add func(int64, string, int64)) error {
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
	if hf.categories != nil {
		sql += fmt.Sprintf(` AND (category, event) IN (SELECT * FROM unnest($%d::text[], $%d::text[]))`, len(args)+1, len(args)+2)
		args = append(args, hf.categories, hf.types)
	}
	if hf.actorTypes != nil {
		sql += fmt.Sprintf(` AND actor_type = ANY($%d::text[])`, len(args)+1)
		args = append(args, hf.actorTypes)
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

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// counting returns the condition that picks the events f selects (its
// After and Limit aside) and its parameters, for the counting queries:
// the timestamp range and the query's residual, read along events_ts.
// ok is false if f can match no event.
func (r *reader) counting(ctx context.Context, org string, f store.Filter) (where string, args []any, ok bool, err error) {
	f.After, f.Limit = nil, 1
	num, err := r.orgNum(ctx, org)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	if f.Query == nil || len(f.Query.Terms) == 0 {
		lo, hi, ok := listRange(f)
		if !ok {
			return "", nil, false, nil
		}
		return "org = ?1 AND ts >= ?2 AND ts <= ?3", []any{num, lo, hi.ts}, true, nil
	}
	// Counting reads the range along events_ts: it needs the residual
	// only, not the index keys a driving term would read.
	s, err := compile(num, f)
	if err != nil || s == nil {
		return "", nil, false, err
	}
	conds := append([]string{"org = ?1 AND ts >= ?2 AND ts <= ?3 AND (ts < ?3 OR seq <= ?4) AND ?5 > 0"}, s.where...)
	return strings.Join(conds, " AND "), s.args, true, nil
}

func (r *reader) Facets(ctx context.Context, org string, f store.Filter, top int) (store.Facets, error) {
	var fc store.Facets
	where, args, ok, err := r.counting(ctx, org, f)
	if err != nil || !ok {
		return fc, wrapCount(err)
	}
	if err := r.tx.QueryRowContext(ctx, "SELECT count(*) FROM events INDEXED BY events_ts WHERE "+where, args...).Scan(&fc.Total); err != nil {
		return fc, wrapCount(err)
	}
	for _, g := range []struct {
		into  *[]store.Count
		value string
		limit int
	}{
		{&fc.Categories, "category", -1},
		{&fc.Events, "event", -1},
		{&fc.Actors, "iif(actor_email <> '', actor_email, actor_id)", top},
		{&fc.Targets, "iif(target_id <> '', target_id, target_name)", top},
	} {
		q := "SELECT " + g.value + " AS v, count(*) AS n FROM events INDEXED BY events_ts WHERE " + where +
			" GROUP BY v HAVING v <> '' ORDER BY n DESC, v LIMIT " + fmt.Sprint(g.limit)
		if *g.into, err = r.counts(ctx, q, args); err != nil {
			return fc, wrapCount(err)
		}
	}
	return fc, nil
}

// counts runs a query of (value, count) rows.
func (r *reader) counts(ctx context.Context, q string, args []any) ([]store.Count, error) {
	rows, err := r.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.Count{}
	for rows.Next() {
		var c store.Count
		if err := rows.Scan(&c.Value, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (r *reader) Histogram(ctx context.Context, org string, f store.Filter, width time.Duration) ([]store.Bucket, error) {
	if f.Since.IsZero() || f.Until.IsZero() || !f.Since.Before(f.Until) || width <= 0 || (24*time.Hour)%width != 0 {
		return nil, fmt.Errorf("couldn't count events: want Since before Until and a width dividing a day, not %v, %v, %v", f.Since, f.Until, width)
	}
	buckets := store.Buckets(f.Since, f.Until, width)
	first := buckets[0].Start
	if (f.Query == nil || len(f.Query.Terms) == 0) && width%time.Hour == 0 {
		return buckets, wrapCount(r.histogramByHours(ctx, org, f, first, width, buckets))
	}
	where, args, ok, err := r.counting(ctx, org, f)
	if err != nil || !ok {
		return buckets, wrapCount(err)
	}
	// Buckets are numbered from first; the parameters after the search's
	// are its start and the width, in nanoseconds.
	n := len(args)
	q := fmt.Sprintf("SELECT (ts - ?%d) / ?%d AS b, category, count(*) FROM events INDEXED BY events_ts WHERE %s GROUP BY b, category",
		n+1, n+2, where)
	rows, err := r.tx.QueryContext(ctx, q, append(args, first.UnixNano(), int64(width))...)
	if err != nil {
		return nil, wrapCount(err)
	}
	defer rows.Close()
	for rows.Next() {
		var b, count int64
		var category string
		if err := rows.Scan(&b, &category, &count); err != nil {
			return nil, wrapCount(err)
		}
		if b < 0 || b >= int64(len(buckets)) {
			continue // cannot happen: the range is the buckets'
		}
		bk := &buckets[b]
		bk.N += count
		if bk.ByCategory == nil {
			bk.ByCategory = map[string]int64{}
		}
		bk.ByCategory[category] += count
	}
	return buckets, wrapCount(rows.Err())
}

func wrapCount(err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return fmt.Errorf("couldn't count events: %w", err)
}

// histogramByHours fills buckets (of width, numbered from first) with the
// events of f's time range, which is all f selects: the whole hours from
// event_hours, the partial hours at either end from the events.
func (r *reader) histogramByHours(ctx context.Context, org string, f store.Filter, first time.Time, width time.Duration, buckets []store.Bucket) error {
	num, err := r.orgNum(ctx, org)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	lo, hi, ok := listRange(f)
	if !ok {
		return nil
	}
	add := func(at int64, category string, n int64) {
		b := (at - first.UnixNano()) / int64(width)
		if b < 0 || b >= int64(len(buckets)) || n == 0 {
			return
		}
		bk := &buckets[b]
		bk.N += n
		if bk.ByCategory == nil {
			bk.ByCategory = map[string]int64{}
		}
		bk.ByCategory[category] += n
	}
	// Whole hours: [from, to). lo and hi.ts are inclusive bounds.
	from, to := hourOf(lo), hourOf(hi.ts)
	if from < lo {
		from += int64(time.Hour)
	}
	if hi.ts-to == int64(time.Hour)-1 {
		to += int64(time.Hour) // the last hour is whole too
	}
	scan := func(q string, args ...any) error {
		rows, err := r.tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var at, n int64
			var category string
			if err := rows.Scan(&at, &category, &n); err != nil {
				return err
			}
			add(at, category, n)
		}
		return rows.Err()
	}
	const events = "SELECT ts, category, 1 FROM events INDEXED BY events_ts WHERE org = ? AND ts >= ? AND ts <= ?"
	if from >= to {
		return scan(events, num, lo, hi.ts)
	}
	if err := scan("SELECT hour, category, sum(n) FROM event_hours WHERE org = ? AND hour >= ? AND hour < ? GROUP BY hour, category", num, from, to); err != nil {
		return err
	}
	if err := scan(events, num, lo, from-1); err != nil {
		return err
	}
	return scan(events, num, to, hi.ts)
}

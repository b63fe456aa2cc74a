package postgres

import (
	"cmp"
	"context"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store"
)

// Daily counts: actor_days and target_days (migration 006) count each
// organization's events by UTC day and actor or target key, so that the
// facets of whole days add up counts instead of reading events. The text
// indexer keeps them (text.go), outside the transactions that append
// events, for the events up to each organization's mark
// (text_indexed.up_to) and in the same transactions as the mark; facets
// read the events above the mark (migration 007). Ingest writes no row of
// them: at 1000 events a batch they cost it a tenth of its rate.

const nsDay = int64(24 * time.Hour)

// firstDay is the start of the first UTC day that Unix nanoseconds hold
// whole. The events before it aren't counted by day.
const firstDay = math.MinInt64 / nsDay * nsDay

// dayOf returns the start of the UTC day holding the instant ns, which is
// not before firstDay, in Unix nanoseconds.
func dayOf(ns int64) int64 {
	q := ns / nsDay
	if ns < 0 && ns%nsDay != 0 {
		q--
	}
	return q * nsDay
}

// wholeDays returns the UTC days that [lo, hi] holds whole, as the range
// [from, to) of Unix nanoseconds; from >= to if there are none.
func wholeDays(lo, hi int64) (from, to int64) {
	lo = max(lo, firstDay)
	if hi < lo {
		return 0, 0
	}
	from, to = dayOf(lo), dayOf(hi)
	if from < lo {
		if from == to {
			return 0, 0 // and the last day's start + nsDay may overflow
		}
		from += nsDay
	}
	if hi-to == nsDay-1 {
		to += nsDay // the last day is whole too
	}
	return from, to
}

// A dayKey is a row of actor_days or target_days: an organization's
// events of a day and actor or target.
type dayKey struct {
	org   string
	day   int64
	value string
}

// dayCounts are counts to add to actor_days and target_days.
type dayCounts struct {
	actors, targets map[dayKey]int64
}

// add counts an event of org at the timestamp ts, of the actor and target
// keys actor and target.
func (c *dayCounts) add(org string, ts int64, actor, target string) {
	if ts < firstDay {
		return
	}
	if c.actors == nil {
		c.actors, c.targets = map[dayKey]int64{}, map[dayKey]int64{}
	}
	day := dayOf(ts)
	if actor != "" {
		c.actors[dayKey{org, day, actor}]++
	}
	if target != "" {
		c.targets[dayKey{org, day, target}]++
	}
}

// queue queues the statements that add the counts, one a table.
func (c *dayCounts) queue(b *pgx.Batch) {
	for _, q := range []struct {
		table, column string
		counts        map[dayKey]int64
	}{
		{"actor_days", "actor", c.actors},
		{"target_days", "target", c.targets},
	} {
		if len(q.counts) == 0 {
			continue
		}
		// In one order, so that writers never wait for each other in a
		// cycle.
		keys := slices.SortedFunc(maps.Keys(q.counts), func(a, b dayKey) int {
			return cmp.Or(strings.Compare(a.org, b.org), cmp.Compare(a.day, b.day), strings.Compare(a.value, b.value))
		})
		orgs, values := make([]string, len(keys)), make([]string, len(keys))
		days, ns := make([]int64, len(keys)), make([]int64, len(keys))
		for i, k := range keys {
			orgs[i], days[i], values[i], ns[i] = k.org, k.day, k.value, q.counts[k]
		}
		b.Queue(`INSERT INTO `+q.table+` (org, day, `+q.column+`, n)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])
			ON CONFLICT (org, day, `+q.column+`) DO UPDATE SET n = `+q.table+`.n + excluded.n`,
			orgs, days, values, ns)
	}
}

// selectUncounted reads the actor and target keys of the events of org $1
// that the daily counts don't hold yet (above its text_indexed mark, $4)
// and that fall in [$2, $3): leaves above the mark, and each one's event
// by key, as the indexer reads them. The mark is a parameter, not a
// subquery, for the planner to see how few leaves are above it: not
// knowing, it guessed a third of the log and started workers to read
// them, which took longer than the rest of Facets.
const selectUncounted = `SELECT ` + actorKeyExpr + `, ` + targetKeyExpr + `
	FROM leaves l
	CROSS JOIN LATERAL (SELECT actor_email, actor_id, target_id, target_name
		FROM events WHERE org = l.org AND ts = l.ts AND seq = l.seq LIMIT 1) e
	WHERE l.org = $1 AND l.seq > $4 AND l.ts >= $2 AND l.ts < $3`

// selectTextMark reads org $1's text_indexed mark, -1 for none.
const selectTextMark = `SELECT coalesce((SELECT up_to FROM text_indexed WHERE org = $1), -1)`

// facetsByDays adds the counts of the whole days [from, to) of org's log
// to fc, which holds those of the rest of the range: of targets, only
// enough to tell the top ones. Actors and targets are counted by day up to
// the indexer's mark, and from the events above it.
func (r *reader) facetsByDays(ctx context.Context, org string, from, to int64, top int, fc *facets) error {
	// By day too, to learn which days have events.
	rows, err := r.tx.Query(ctx, `SELECT hour - (hour % $4 + $4) % $4, category, event, sum(n)::bigint
		FROM event_hours WHERE org = $1 AND hour >= $2 AND hour < $3 GROUP BY 1, 2, 3`, org, from, to, nsDay)
	if err != nil {
		return err
	}
	var day, n int64
	var category, event string
	seen := map[int64]bool{}
	_, err = pgx.ForEachRow(rows, []any{&day, &category, &event, &n}, func() error {
		fc.total += n
		fc.by[groupCategory][category] += n
		fc.by[groupEvent][event] += n
		seen[day] = true
		return nil
	})
	if err != nil {
		return err
	}
	var mark int64
	if err := r.tx.QueryRow(ctx, selectTextMark, org).Scan(&mark); err != nil {
		return err
	}
	uncounted, err := r.tx.Query(ctx, selectUncounted, org, from, to, mark)
	if err != nil {
		return err
	}
	var actor, target string
	_, err = pgx.ForEachRow(uncounted, []any{&actor, &target}, func() error {
		if actor != "" {
			fc.by[groupActor][actor]++
		}
		if target != "" {
			fc.by[groupTarget][target]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = r.tally(ctx, fc.by[groupActor], `SELECT actor, sum(n)::bigint FROM actor_days
		WHERE org = $1 AND day >= $2 AND day < $3 GROUP BY actor`, org, from, to)
	if err != nil {
		return err
	}
	days := slices.Sorted(maps.Keys(seen))
	if ok, err := r.topTargets(ctx, org, days, top, fc.by[groupTarget]); ok || err != nil {
		return err
	}
	return r.tally(ctx, fc.by[groupTarget], `SELECT target, sum(n)::bigint FROM target_days
		WHERE org = $1 AND day >= $2 AND day < $3 GROUP BY target`, org, from, to)
}

// tally adds the (value, count) rows of sql to t.
func (r *reader) tally(ctx context.Context, t map[string]int64, sql string, args ...any) error {
	rows, err := r.tx.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	var v string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&v, &n}, func() error {
		t[v] += n
		return nil
	})
	return err
}

// heavyDays are the counts from which a target's day is heavy, the
// greater first, as target_days' column heavy has them (migration 006).
var heavyDays = []int64{10, 5}

// maxProbes is the most rows of target_days that topTargets looks up
// one by one: a lookup costs about what reading three rows in a range
// does, and past it reading all of the range's may cost less.
var maxProbes = 20_000

// heavyTargets returns the targets of org $1 with heavy days among
// [$2, $3), of $4 events or more: how many, and their events.
const heavyTargets = `SELECT target, count(*), sum(n)::bigint FROM target_days
	WHERE org = $1 AND day >= $2 AND day < $3 AND heavy > 0 AND heavy >= $4 GROUP BY target`

// targetsOfDays counts the events of the targets $3 on the days $2, with
// a lookup in target_days_pkey for each day and target. LIMIT keeps the
// planner from making a join of the subquery, which it may read whole
// when its statistics are few or wrong.
const targetsOfDays = `SELECT c.target, sum(t.n)::bigint
	FROM unnest($3::text[]) c (target) CROSS JOIN unnest($2::bigint[]) d (day)
	CROSS JOIN LATERAL (SELECT n FROM target_days
		WHERE org = $1 AND day = d.day AND target = c.target LIMIT 1) t
	GROUP BY c.target`

// topTargets adds to t, which holds the counts of targets in the rest of
// the range, their counts on days (the whole days of the range that have
// events) for enough targets to tell the top ones, if it can prove which
// they are (see doubtTargets): organizations have many more targets
// than actors, most with few events, and reading them all is what this
// spares. It tries the heaviest days first, which are fewer. ok is
// false, and t untouched, if it proves nothing, or would look up more
// than maxProbes rows.
func (r *reader) topTargets(ctx context.Context, org string, days []int64, top int, t map[string]int64) (ok bool, err error) {
	if top == 0 || len(days) == 0 {
		return true, nil // no target is listed, or none has events here
	}
	for _, heavy := range heavyDays {
		doubt, ok, err := r.doubtTargets(ctx, org, days, top, t, heavy)
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		if len(doubt)*len(days) > maxProbes {
			return false, nil
		}
		counts := map[string]int64{}
		if err := r.tally(ctx, counts, targetsOfDays, org, days, doubt); err != nil {
			return false, err
		}
		for v, n := range counts {
			t[v] += n
		}
		return true, nil
	}
	return false, nil
}

// doubtTargets returns the targets that may be among the top ones, and
// whether it could tell: whether every other target falls short. A
// target's days of heavy events or more bound its count: at least their
// events, at most those and heavy-1 for each other day; a target with
// neither such days nor a count in t counts heavy-1 a day at most. Those
// whose bound from above reaches the top'th bound from below may be
// among the top.
func (r *reader) doubtTargets(ctx context.Context, org string, days []int64, top int, t map[string]int64, heavy int64) (doubt []string, ok bool, err error) {
	light := (heavy - 1) * int64(len(days)) // the most a target without heavy days counts
	lo, hi := map[string]int64{}, map[string]int64{}
	for v, n := range t {
		lo[v], hi[v] = n, n+light
	}
	rows, err := r.tx.Query(ctx, heavyTargets, org, days[0], days[len(days)-1]+nsDay, heavy)
	if err != nil {
		return nil, false, err
	}
	var v string
	var heavies, n int64
	_, err = pgx.ForEachRow(rows, []any{&v, &heavies, &n}, func() error {
		lo[v] = t[v] + n
		hi[v] = lo[v] + (heavy-1)*(int64(len(days))-heavies)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	least := int64(0) // the top'th count from below
	if s := store.Ranked(lo, top); len(s) == top {
		least = s[top-1].N
	}
	if light >= least {
		return nil, false, nil
	}
	for v, n := range hi {
		if v != "" && n >= least {
			doubt = append(doubt, v)
		}
	}
	return doubt, true, nil
}

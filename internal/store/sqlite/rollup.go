package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// Rollups: counts of events kept by Append in the batch's transaction, so
// that counting an organization's events over days reads a row per hour
// or day and value instead of every event. event_hours (migrations 004
// and 011) counts by hour, event type and actor type, with the event
// type's category; actor_days and
// target_days (migration 006) by UTC day and the actor or target that
// facets name.

// floorTo returns the start of the period of width (an hour or a day)
// holding the instant ns, in Unix nanoseconds.
func floorTo(ns int64, width time.Duration) int64 {
	w := int64(width)
	q := ns / w
	if ns < 0 && ns%w != 0 {
		q--
	}
	return q * w
}

// facetActor and facetTarget are the values an event is counted under in
// the facets of actors and targets: "" for none.
func facetActor(e *store.Event) string  { return cmp.Or(e.Actor.Email, e.Actor.ID) }
func facetTarget(e *store.Event) string { return cmp.Or(e.Target.ID, e.Target.Name) }

// A rollupKey is a row of a rollup: its period, value and, for
// event_hours, actor type and category.
type rollupKey struct {
	at                         int64
	value, actorType, category string
}

// A tally counts rollup rows in the order first seen, so that a batch
// writes them in a repeatable order.
type tally struct {
	n     map[rollupKey]int64
	order []rollupKey
}

func (t *tally) add(k rollupKey) {
	if t.n == nil {
		t.n = map[rollupKey]int64{}
	}
	if t.n[k] == 0 {
		t.order = append(t.order, k)
	}
	t.n[k]++
}

// countRollups adds events, of the organization numbered org, to the
// rollups.
func (t *tx) countRollups(ctx context.Context, org int64, events []*store.Event) error {
	var hours, actors, targets tally
	for _, e := range events {
		ns, err := nanos(e.Timestamp)
		if err != nil {
			return err
		}
		hours.add(rollupKey{floorTo(ns, time.Hour), e.Event, e.Actor.Type, e.Category})
		day := floorTo(ns, 24*time.Hour)
		if a := facetActor(e); a != "" {
			actors.add(rollupKey{at: day, value: a})
		}
		if g := facetTarget(e); g != "" {
			targets.add(rollupKey{at: day, value: g})
		}
	}
	for _, r := range []struct {
		stmt *sql.Stmt
		t    *tally
	}{
		{t.s.addHour, &hours},
		{t.s.addActorDay, &actors},
		{t.s.addTargetDay, &targets},
	} {
		add := t.stmt(ctx, r.stmt)
		for _, k := range r.t.order {
			var err error
			if r.stmt == t.s.addHour {
				_, err = add.ExecContext(ctx, org, k.at, k.value, k.actorType, k.category, r.t.n[k])
			} else {
				_, err = add.ExecContext(ctx, org, k.at, k.value, r.t.n[k])
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

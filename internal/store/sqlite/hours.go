package sqlite

import (
	"context"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

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

// countHours adds events to event_hours (migration 004).
func (t *tx) countHours(ctx context.Context, org int64, events []*store.Event) error {
	type key struct {
		hour            int64
		event, category string
	}
	counts := map[key]int64{}
	var order []key
	for _, e := range events {
		ns, err := nanos(e.Timestamp)
		if err != nil {
			return err
		}
		k := key{hourOf(ns), e.Event, e.Category}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	add := t.stmt(ctx, t.s.addHour)
	for _, k := range order {
		if _, err := add.ExecContext(ctx, org, k.hour, k.event, k.category, counts[k]); err != nil {
			return err
		}
	}
	return nil
}

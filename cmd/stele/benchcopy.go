package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/postgres"
	"github.com/steleaudit/stele/verify"
)

// maxCopyBaseline bounds the events the copy baseline makes, all held in
// memory at once.
const maxCopyBaseline = 200_000

// copyBaseline makes n events (at most maxCopyBaseline) as the run's
// workers made theirs, parsed as the server parses them, and copies them
// into a scratch schema of the PostgreSQL database at dsn in
// transactions of the most events a run has in flight (--batch ×
// --concurrency), once the database is quiet (up to --copy-wait).
func (b *bench) copyBaseline(ctx context.Context, dsn string, n int64) (postgres.Baseline, error) {
	n = min(n, maxCopyBaseline)
	workers := make([]*benchWorker, b.cfg.Concurrency)
	for i := range workers {
		workers[i] = b.newWorker(i)
	}
	now := time.Now().UTC()
	salts := make([]byte, n*verify.SaltSize)
	rand.Read(salts)
	cat := event.Default()
	events := make([]*store.Event, n)
	for i := range events {
		w := workers[i%len(workers)]
		entry := w.fill(1, now)[0]
		data, err := json.Marshal(entry)
		if err != nil {
			return postgres.Baseline{}, err
		}
		rec, err := event.ParseEvent(data, now, cat)
		if err != nil {
			return postgres.Baseline{}, fmt.Errorf("event %d: %w", i, err)
		}
		rec.Org, rec.ReceivedAt = w.org, now
		rec.Salt = salts[i*verify.SaltSize : (i+1)*verify.SaltSize]
		events[i] = &store.Event{Seq: int64(i), Record: *rec}
	}
	return postgres.CopyBaseline(ctx, dsn, events, b.cfg.Batch*b.cfg.Concurrency, b.cfg.CopyWait)
}

package sqlite

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/simulate"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// A fixtureShape is what the search benchmarks' store holds: the
// simulated story of the organization they search, "acme", and those of
// others around it, their events interleaved in time as a shared store
// receives them, over fixtureDays days.
type fixtureShape struct {
	name   string
	acme   int // acme's events
	others int // other organizations
	each   int // events of each other organization
}

var fixtureShapes = map[string]fixtureShape{
	"":    {"300k", 300_000, 0, 0},
	"10m": {"10m", 1_000_000, 999, 9009}, // the search issue's: 10M events, 1,000 orgs, the largest 1M
}

const fixtureDays = 90

// fixtureEnd is when the fixture's story ends.
var fixtureEnd = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, fixtureDays)

// searchFixture opens the search benchmarks' store, of the shape that
// $STELE_SEARCH_SCALE names (300k by default; 10m needs
// $STELE_SEARCH_FIXTURE), built in a temporary directory or kept under
// $STELE_SEARCH_FIXTURE (built there when missing) to spare later runs.
func searchFixture(b *testing.B) *DB {
	scale := os.Getenv("STELE_SEARCH_SCALE")
	shape, ok := fixtureShapes[scale]
	if !ok {
		b.Fatalf("STELE_SEARCH_SCALE=%q: want 10m or nothing", scale)
	}
	dir := os.Getenv("STELE_SEARCH_FIXTURE")
	switch {
	case dir != "":
		dir = filepath.Join(dir, shape.name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
	case scale != "":
		b.Fatalf("STELE_SEARCH_SCALE=%s needs STELE_SEARCH_FIXTURE, a directory to keep it in", scale)
	default:
		dir = b.TempDir()
	}
	path := filepath.Join(dir, "stele.db")
	_, err := os.Stat(path)
	built := err == nil
	db, err := Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	if !built {
		if err := buildFixture(b, db, shape); err != nil {
			db.Close()
			os.Remove(path)
			b.Fatal(err)
		}
	}
	return db
}

// buildFixture fills db with shape's events, in batches of many
// organizations as the ledger appends them. Each organization's story
// moves at its own pace (simulate's Next); the stamps spread all events
// evenly over the days before fixtureEnd.
func buildFixture(b *testing.B, db *DB, shape fixtureShape) error {
	type org struct {
		id  string
		sim *simulate.Sim
		seq int64
	}
	acme := &org{id: "acme", sim: simulate.New(simulate.Config{Seed: 1, Members: 500})}
	others := make([]*org, shape.others)
	for i := range others {
		others[i] = &org{
			id:  fmt.Sprintf("org-%03d", i+1),
			sim: simulate.New(simulate.Config{Seed: uint64(i + 2), Members: 3 + i%40}),
		}
	}
	total := shape.acme + shape.others*shape.each
	start := fixtureEnd.AddDate(0, 0, -fixtureDays)
	step := fixtureEnd.Sub(start) / time.Duration(total)
	rnd := rand.New(rand.NewPCG(1, 2))

	// One goroutine makes batches, parsed as the API parses them; this
	// one appends them.
	batches := make(chan map[string][]*store.Event, 4)
	errc := make(chan error, 1)
	go func() {
		defer close(batches)
		entries := map[*org][]client.Entry{}
		for i := range total {
			o := acme
			if rnd.IntN(total) >= shape.acme {
				o = others[rnd.IntN(len(others))]
			}
			at := start.Add(time.Duration(i)*step + time.Duration(rnd.Int64N(int64(step))))
			entries[o] = append(entries[o], o.sim.Next(at))
			if (i+1)%event.MaxBatchEvents != 0 && i+1 != total {
				continue
			}
			batch := map[string][]*store.Event{}
			for o, es := range entries {
				body, err := json.Marshal(client.EntryBatch{Events: es})
				if err != nil {
					errc <- err
					return
				}
				recs, err := event.ParseBatch(body, fixtureEnd.Add(time.Minute), nil)
				if err != nil {
					errc <- err
					return
				}
				for _, r := range recs {
					r.Org, r.ReceivedAt = o.id, r.Timestamp
					batch[o.id] = append(batch[o.id], &store.Event{Seq: o.seq, Record: *r})
					o.seq++
				}
			}
			clear(entries)
			batches <- batch
		}
		errc <- nil
	}()
	done := 0
	for batch := range batches {
		if err := storetest.AppendBatch(b.Context(), db, batch); err != nil {
			return err
		}
		if done += event.MaxBatchEvents; done%1_000_000 == 0 {
			b.Logf("search fixture: %d of %d events", done, total)
		}
	}
	if err := <-errc; err != nil {
		return err
	}
	_, err := db.w.ExecContext(b.Context(), "PRAGMA optimize")
	return err
}

package storetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	ev "github.com/steleaudit/stele/internal/event" // event is this package's helper
	"github.com/steleaudit/stele/internal/simulate"
	"github.com/steleaudit/stele/internal/store"
)

// A FixtureShape is what the search benchmarks' store holds: the
// simulated story of the organization they search, "acme", and those of
// others around it, their events interleaved in time as a shared store
// receives them, over fixtureDays days.
type FixtureShape struct {
	Name   string // what $STELE_SEARCH_SCALE calls it, "300k" for the default
	Acme   int    // acme's events
	Others int    // other organizations
	Each   int    // events of each other organization
}

var fixtureShapes = map[string]FixtureShape{
	"":    {"300k", 300_000, 0, 0},
	"10m": {"10m", 1_000_000, 999, 9009}, // the search issue's: 10M events, 1,000 orgs, the largest 1M
}

const fixtureDays = 90

// fixtureEnd is when the fixture's story ends.
var fixtureEnd = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, fixtureDays)

// SearchFixture returns the shape of the search benchmarks' store that
// $STELE_SEARCH_SCALE names (300k by default, or 10m), and
// $STELE_SEARCH_FIXTURE: where the backend should keep the store it
// builds, to spare later runs, or "" for a throwaway one. It fails tb on
// an unknown scale, and on 10m without a place to keep it.
func SearchFixture(tb testing.TB) (shape FixtureShape, keep string) {
	tb.Helper()
	scale := os.Getenv("STELE_SEARCH_SCALE")
	shape, ok := fixtureShapes[scale]
	if !ok {
		tb.Fatalf("STELE_SEARCH_SCALE=%q: want 10m or nothing", scale)
	}
	keep = os.Getenv("STELE_SEARCH_FIXTURE")
	if scale != "" && keep == "" {
		tb.Fatalf("STELE_SEARCH_SCALE=%s needs STELE_SEARCH_FIXTURE, where to keep it", scale)
	}
	return shape, keep
}

// BuildFixture fills st, empty, with shape's events, in batches of many
// organizations as the ledger appends them. Each organization's story
// moves at its own pace (simulate's Next); the stamps spread all events
// evenly over the days before fixtureEnd, ascending, so that each
// organization's seq order is its time order. The seeds are fixed: every
// backend gets the same events.
func BuildFixture(tb testing.TB, st store.Store, shape FixtureShape) error {
	type org struct {
		id  string
		sim *simulate.Sim
		seq int64
	}
	acme := &org{id: "acme", sim: simulate.New(simulate.Config{Seed: 1, Members: 500})}
	others := make([]*org, shape.Others)
	for i := range others {
		others[i] = &org{
			id:  fmt.Sprintf("org-%03d", i+1),
			sim: simulate.New(simulate.Config{Seed: uint64(i + 2), Members: 3 + i%40}),
		}
	}
	total := shape.Acme + shape.Others*shape.Each
	start := fixtureEnd.AddDate(0, 0, -fixtureDays)
	step := fixtureEnd.Sub(start) / time.Duration(total)
	rnd := rand.New(rand.NewPCG(1, 2))

	// One goroutine makes batches, parsed as the API parses them; this
	// one appends them, and stops the maker when it returns.
	batches := make(chan map[string][]*store.Event, 4)
	errc := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(batches)
		entries := map[*org][]client.Entry{}
		for i := range total {
			o := acme
			if rnd.IntN(total) >= shape.Acme {
				o = others[rnd.IntN(len(others))]
			}
			at := start.Add(time.Duration(i)*step + time.Duration(rnd.Int64N(int64(step))))
			entries[o] = append(entries[o], o.sim.Next(at))
			if (i+1)%ev.MaxBatchEvents != 0 && i+1 != total {
				continue
			}
			batch := map[string][]*store.Event{}
			for o, es := range entries {
				body, err := json.Marshal(client.EntryBatch{Events: es})
				if err != nil {
					errc <- err
					return
				}
				recs, err := ev.ParseBatch(body, fixtureEnd.Add(time.Minute), nil)
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
			select {
			case batches <- batch:
			case <-stop:
				return
			}
		}
		errc <- nil
	}()
	done := 0
	for batch := range batches {
		if err := AppendBatch(tb.Context(), st, batch); err != nil {
			return err
		}
		if done += ev.MaxBatchEvents; done%1_000_000 == 0 {
			tb.Logf("search fixture: %d of %d events", done, total)
		}
	}
	return <-errc
}

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/simulate"
)

// BenchmarkIngest sends the same realistic bodies (the simulated
// platform's events, as JSON) into a fresh store two ways: straight into
// the ledger (parse, then Append) and through the HTTP API on 127.0.0.1
// (plus HTTP, auth, routing, the answer). The ratio of the two is what
// the HTTP layer costs; both grow one organization's log the same way.
func BenchmarkIngest(b *testing.B) {
	for _, shape := range []struct{ batch, workers int }{{100, 8}, {1, 64}} {
		bodies := ingestBodies(b, shape.batch, 4096/shape.batch+shape.workers)
		name := fmt.Sprintf("batch=%d/workers=%d", shape.batch, shape.workers)
		b.Run(name+"/ledger", func(b *testing.B) {
			ts := newTestServer(b)
			benchIngest(b, ts, shape.workers, shape.batch, func(body []byte) error {
				recs, err := event.ParseBatch(body, time.Now(), nil)
				if err != nil {
					return err
				}
				_, _, err = ts.led.Append(context.Background(), "bench", recs)
				return err
			}, bodies)
		})
		b.Run(name+"/http", func(b *testing.B) {
			ts := newTestServer(b)
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: shape.workers}}
			benchIngest(b, ts, shape.workers, shape.batch, func(body []byte) error {
				req, _ := http.NewRequest("POST", ts.URL+"/v1/orgs/bench/events", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+platformToken)
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					return err
				}
				var res client.SendResult
				err = json.NewDecoder(resp.Body).Decode(&res)
				resp.Body.Close()
				if resp.StatusCode != 201 {
					return fmt.Errorf("status %d", resp.StatusCode)
				}
				return err
			}, bodies)
		})
	}
}

// ingestBodies returns n request bodies of batch events each, with
// unique ids.
func ingestBodies(b *testing.B, batch, n int) [][]byte {
	sim := simulate.New(simulate.Config{Seed: 7})
	sim.History(1)
	bodies := make([][]byte, n)
	now := time.Now()
	for i := range bodies {
		entries := make([]client.Entry, batch)
		for j := range entries {
			entries[j] = sim.Next(now)
			entries[j].ID = fmt.Sprintf("bench-%d-%d", i, j)
		}
		var v any = client.EntryBatch{Events: entries}
		if batch == 1 {
			v = entries[0]
		}
		body, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = body
	}
	return bodies
}

// benchIngest runs b.N sends of bodies from workers goroutines, each send
// a body with fresh ids (the round number is put in front of them).
func benchIngest(b *testing.B, ts *testServer, workers, batch int, send func([]byte) error, bodies [][]byte) {
	if _, err := ts.platform.CreateOrg(context.Background(), client.OrgCreate{ID: "bench", Name: "Bench", Plan: "enterprise"}); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				body := bodies[i%int64(len(bodies))]
				body = bytes.ReplaceAll(body, []byte(`"bench-`), fmt.Appendf(nil, `"r%d-`, i/int64(len(bodies))))
				if err := send(body); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}

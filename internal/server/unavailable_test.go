package server_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// flakyStore fails write transactions while fail is set, and holds them
// while gate is closed.
type flakyStore struct {
	store.Store
	fail    atomic.Bool
	mu      sync.Mutex
	gate    chan struct{} // nil: open
	entered chan struct{} // told when a transaction waits at the gate
}

func (f *flakyStore) ReadWrite(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	f.mu.Lock()
	gate, entered := f.gate, f.entered
	f.mu.Unlock()
	if gate != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-gate
	}
	if f.fail.Load() {
		return errors.New("disk I/O error at /var/lib/stele/stele.db")
	}
	return f.Store.ReadWrite(ctx, fn)
}

// TestStorageFailure: a commit failed in a way not known to pass is a
// 503 with Retry-After that shows nothing internal; readiness fails.
func TestStorageFailure(t *testing.T) {
	var fs *flakyStore
	ts := newTestServer(t, serverOpts{wrap: func(st store.Store) store.Store {
		fs = &flakyStore{Store: st}
		return fs
	}})
	ts.org("acme", "enterprise")
	fs.fail.Store(true)
	r := ts.do(request{method: "POST", path: "/v1/orgs/acme/events", token: platformToken, body: entry("x")})
	if r.status != 503 || r.err.Code != "unavailable" || r.header.Get("Retry-After") == "" {
		t.Errorf("send on a failing store = %d %+v", r.status, r.err)
	}
	if r := ts.do(request{method: "GET", path: "/readyz"}); r.status != 503 {
		t.Errorf("readyz after a failed commit = %d, want 503", r.status)
	}
	fs.fail.Store(false)
	// Fail closed: nothing more is acknowledged until a restart.
	if r := ts.do(request{method: "POST", path: "/v1/orgs/acme/events", token: platformToken, body: entry("y")}); r.status != 503 {
		t.Errorf("send after a failed commit = %d, want 503", r.status)
	}
}

// TestSaturated: with the sequencer stuck and its queue full, a send is
// answered at once with 503 busy and Retry-After; queued sends complete.
func TestSaturated(t *testing.T) {
	var fs *flakyStore
	ts := newTestServer(t, serverOpts{maxQueue: 1, wrap: func(st store.Store) store.Store {
		fs = &flakyStore{Store: st}
		return fs
	}})
	ts.org("acme", "enterprise")
	gate, entered := make(chan struct{}), make(chan struct{}, 1)
	fs.mu.Lock()
	fs.gate, fs.entered = gate, entered
	fs.mu.Unlock()
	var wg sync.WaitGroup
	statuses := make(chan int, 2)
	send := func(id string) {
		wg.Go(func() {
			statuses <- ts.do(request{method: "POST", path: "/v1/orgs/acme/events", token: platformToken, body: entry(id)}).status
		})
	}
	send("a")
	<-entered // the sequencer is stuck in a commit: a's, or a checkpoint's
	time.Sleep(10 * time.Millisecond)
	if ts.led.QueueDepth() == 0 {
		send("b") // a is in the stuck commit: b fills the queue
	}
	for deadline := time.Now().Add(10 * time.Second); ts.led.QueueDepth() < 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second send never queued")
		}
	}
	busy := ts.do(request{method: "POST", path: "/v1/orgs/acme/events", token: platformToken, body: entry("c")})
	if busy.status != 503 || busy.err.Code != "busy" || busy.header.Get("Retry-After") == "" {
		t.Errorf("send to a full queue = %d %+v, want 503 busy with Retry-After", busy.status, busy.err)
	}
	fs.mu.Lock()
	fs.gate, fs.entered = nil, nil
	fs.mu.Unlock()
	close(gate)
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != 201 {
			t.Errorf("a queued send = %d, want 201", st)
		}
	}
}

package ledger_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
)

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// TestWatch: a watch ends when its own org's log grows, not another's,
// and every watch ends when the ledger closes.
func TestWatch(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	l, err := ledger.Open(ctx, ledger.Config{Store: st, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	acme, other := l.Watch("acme"), l.Watch("other")
	if l.Watch("acme") != acme {
		t.Error("two watches of one org before it grows are different channels")
	}
	if _, _, err := l.Append(ctx, "acme", []*verify.Record{rec("1", "a@example.com", "auth.login")}); err != nil {
		t.Fatal(err)
	}
	if !closed(acme) {
		t.Error("acme's watch is open after an append to acme returned")
	}
	if closed(other) {
		t.Error("other's watch closed after an append to acme")
	}
	again := l.Watch("acme")
	if closed(again) {
		t.Error("a new watch of acme is closed before acme grows again")
	}
	l.Close()
	if !closed(other) || !closed(again) || !closed(l.Watch("late")) {
		t.Error("watches are open after Close")
	}
	if !l.Closed() {
		t.Error("Closed() = false after Close")
	}
}

// gatedStore holds every write transaction until its gate opens.
type gatedStore struct {
	store.Store
	gate    chan struct{}
	started chan struct{}
	once    sync.Once
}

func (g *gatedStore) ReadWrite(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	g.once.Do(func() { close(g.started) })
	<-g.gate
	return g.Store.ReadWrite(ctx, fn)
}

// TestBusy: with the sequencer stuck in a commit and its queue full, an
// append is refused at once with ErrBusy instead of waiting; the queued
// ones commit once the store moves.
func TestBusy(t *testing.T) {
	ctx := context.Background()
	gs := &gatedStore{Store: openStore(t, t.TempDir()), gate: make(chan struct{}), started: make(chan struct{})}
	l, _ := newLedger(t, ledger.Config{Store: gs, MaxQueue: 2})
	<-gs.started // the startup commit holds the sequencer
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i := range 2 {
		wg.Go(func() {
			_, _, err := l.Append(ctx, "acme", []*verify.Record{rec(string(rune('a'+i)), "a@example.com", "auth.login")})
			errs <- err
		})
	}
	for deadline := time.Now().Add(5 * time.Second); l.QueueDepth() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("queue depth = %d, want 2", l.QueueDepth())
		}
	}
	if _, _, err := l.Append(ctx, "acme", []*verify.Record{rec("c", "a@example.com", "auth.login")}); !errors.Is(err, ledger.ErrBusy) {
		t.Errorf("Append with a full queue = %v, want ErrBusy", err)
	}
	close(gs.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("queued Append = %v", err)
		}
	}
}

// TestOnCommit: every batch is reported, duplicates not counted as
// appended, and a failed commit reported with its error and Failed set.
func TestOnCommit(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var stats []ledger.CommitStats
	fs := &failingStore{Store: openStore(t, t.TempDir())}
	l, _ := newLedger(t, ledger.Config{Store: fs, OnCommit: func(c ledger.CommitStats) {
		mu.Lock()
		stats = append(stats, c)
		mu.Unlock()
	}})
	recs := func(ids ...string) []*verify.Record {
		var out []*verify.Record
		for _, id := range ids {
			out = append(out, rec(id, "a@example.com", "auth.login"))
		}
		return out
	}
	if _, _, err := l.Append(ctx, "acme", recs("1", "2", "3")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Append(ctx, "acme", recs("3", "4")); err != nil {
		t.Fatal(err)
	}
	if l.Failed() {
		t.Fatal("Failed() before any failure")
	}
	fs.mu.Lock()
	fs.fail = true
	fs.mu.Unlock()
	if _, _, err := l.Append(ctx, "acme", recs("5")); !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("Append on a failing store = %v", err)
	}
	if !l.Failed() {
		t.Error("Failed() = false after a failed commit")
	}
	mu.Lock()
	defer mu.Unlock()
	var events, failed int
	for _, s := range stats {
		events += s.Events
		if s.Err != nil {
			failed++
		} else if s.Events > 0 && (s.Requests < 1 || s.Duration <= 0) {
			t.Errorf("stats %+v: want a request and a duration", s)
		}
	}
	if events != 4 || failed < 1 {
		t.Errorf("reported %d events appended and %d failed commits, want 4 and at least 1 (stats %+v)", events, failed, stats)
	}
}

package storetest

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// state is what the suite can see of one organization's log.
type state struct {
	head        store.Head
	events      []*store.Event
	checkpoints []store.Checkpoint
	tile        []byte // tile 0/0 at its stored width
}

// stateOf reads org's state; a missing log reads as the zero state. It
// may run outside the test's goroutine, so it uses Errorf, not Fatalf.
func stateOf(t *testing.T, ctx context.Context, r store.Reader, org string) state {
	t.Helper()
	var st state
	var err error
	if st.head, err = r.Head(ctx, org); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Head(%s) = %v", org, err)
	}
	if st.events, err = events(ctx, r, org, 0, 1<<40); err != nil {
		t.Errorf("Events(%s) = %v", org, err)
	}
	if st.checkpoints, err = checkpoints(ctx, r, org); err != nil {
		t.Errorf("Checkpoints(%s) = %v", org, err)
	}
	for w := 256; w > 0; w-- {
		d, err := r.Tiles(ctx, org, tiles(tile(0, 0, w)))
		if err == nil {
			st.tile = d[0]
			break
		}
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Tiles(%s) = %v", org, err)
			break
		}
	}
	return st
}

// compare fails t if got differs from want.
func (got state) compare(t *testing.T, when, org string, want state) {
	t.Helper()
	if got.head != want.head {
		t.Errorf("%s: Head(%s) = %v, want %v", when, org, got.head, want.head)
	}
	if !slices.Equal(seqs(got.events), seqs(want.events)) {
		t.Errorf("%s: Events(%s) = %v, want %v", when, org, seqs(got.events), seqs(want.events))
	} else {
		for i, e := range got.events {
			if d := diff(e, want.events[i]); d != "" {
				t.Errorf("%s: Events(%s): seq %d: %s", when, org, e.Seq, d)
			}
		}
	}
	if !slices.EqualFunc(got.checkpoints, want.checkpoints, sameCheckpoint) {
		t.Errorf("%s: Checkpoints(%s) = %v, want %v", when, org, sizes(got.checkpoints), sizes(want.checkpoints))
	}
	if !bytes.Equal(got.tile, want.tile) {
		t.Errorf("%s: Tiles(%s, 0/0) = %d bytes, want %d", when, org, len(got.tile), len(want.tile))
	}
}

// fill writes a bit of everything to org's log: events from its head on,
// a wider tile, a new head and a checkpoint of it.
func fill(ctx context.Context, tx store.Tx, org string, n int) error {
	h, err := tx.LockHead(ctx, org)
	if err != nil {
		return err
	}
	return fillLocked(ctx, tx, org, h, n)
}

// fillLocked is fill of a log whose head h tx has locked.
func fillLocked(ctx context.Context, tx store.Tx, org string, h store.Head, n int) error {
	size := h.Size + int64(n)
	if err := tx.Append(ctx, org, eventsOf(org, span(h.Size, size)...)); err != nil {
		return err
	}
	tl := tile(0, 0, int(min(size, 256)))
	if err := tx.PutTiles(ctx, org, tiles(tl), [][]byte{tileData(org, tl)}); err != nil {
		return err
	}
	head := store.Head{Size: size, Root: rootOf(org, size)}
	if err := tx.SetHead(ctx, org, head); err != nil {
		return err
	}
	return tx.PutCheckpoint(ctx, org, checkpoint(org, size))
}

// filled returns the state of a log that fill wrote to with ns.
func filled(org string, ns ...int) state {
	var st state
	for _, n := range ns {
		size := st.head.Size + int64(n)
		st.events = append(st.events, eventsOf(org, span(st.head.Size, size)...)...)
		st.tile = tileData(org, tile(0, 0, int(min(size, 256))))
		st.head = store.Head{Size: size, Root: rootOf(org, size)}
		st.checkpoints = append(st.checkpoints, checkpoint(org, size))
	}
	return st
}

// testRollback checks that nothing a failed transaction wrote persists.
func testRollback(t *testing.T, open Opener) {
	s := openStore(t, open, "rollback")
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "acme", 3) })
	err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		if err := fill(ctx, tx, "acme", 4); err != nil {
			t.Errorf("fill(acme) = %v", err)
		}
		if err := fill(ctx, tx, "new", 2); err != nil {
			t.Errorf("fill(new) = %v", err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("ReadWrite = %v, want boom", err)
	}
	read(t, s, func(ctx context.Context, r store.Reader) error {
		stateOf(t, ctx, r, "acme").compare(t, "after rollback", "acme", filled("acme", 3))
		stateOf(t, ctx, r, "new").compare(t, "after rollback", "new", state{})
		if orgs, err := r.Orgs(ctx); err != nil || !slices.Equal(orgs, []string{"acme"}) {
			t.Errorf("after rollback: Orgs() = %q, %v, want [acme]", orgs, err)
		}
		ids := []string{event("acme", 2).ID, event("acme", 3).ID, event("new", 0).ID}
		if m, err := r.LookupIDs(ctx, "acme", ids); err != nil || len(m) != 1 {
			t.Errorf("after rollback: LookupIDs(acme, %q) = %v, %v, want only the first", ids, m, err)
		}
		return nil
	})
	// The store carries on: the rolled back seqs are free.
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "acme", 4) })
	read(t, s, func(ctx context.Context, r store.Reader) error {
		stateOf(t, ctx, r, "acme").compare(t, "after retry", "acme", filled("acme", 3, 4))
		return nil
	})
}

// testDurable checks that what was committed is there after reopening.
func testDurable(t *testing.T, open Opener) {
	s := open(t, "durable")
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "acme", 5) })
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "acme", 300) })
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "other", 1) })
	odd := oddEvents("odd")
	appendLog(t, s, "odd", odd)
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	s = openStore(t, open, "durable")
	check := func(when string) {
		read(t, s, func(ctx context.Context, r store.Reader) error {
			stateOf(t, ctx, r, "acme").compare(t, when, "acme", filled("acme", 5, 300))
			stateOf(t, ctx, r, "other").compare(t, when, "other", filled("other", 1))
			list, err := events(ctx, r, "odd", 0, 100)
			if err != nil || len(list) != len(odd) {
				t.Fatalf("%s: Events(odd) = %v, %v, want %v", when, seqs(list), err, seqs(odd))
			}
			for i, e := range list {
				if d := diff(e, odd[i]); d != "" {
					t.Errorf("%s: Events(odd): seq %d: %s", when, e.Seq, d)
				}
			}
			if orgs, err := r.Orgs(ctx); err != nil || !slices.Equal(orgs, []string{"acme", "odd", "other"}) {
				t.Errorf("%s: Orgs() = %q, %v, want [acme odd other]", when, orgs, err)
			}
			return nil
		})
	}
	check("reopened")
	// Reopening changed nothing, and the log carries on.
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "other", 2) })
	read(t, s, func(ctx context.Context, r store.Reader) error {
		stateOf(t, ctx, r, "other").compare(t, "written after reopening", "other", filled("other", 1, 2))
		return nil
	})
}

// testSnapshot checks that a read transaction sees one snapshot: nothing
// committed after its first read, not even part of it.
func testSnapshot(t *testing.T, open Opener) {
	s := openStore(t, open, "snapshot")
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "acme", 3) })

	reading, committed := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
			before := stateOf(t, ctx, r, "acme")
			close(reading)
			<-committed
			stateOf(t, ctx, r, "acme").compare(t, "in a read begun before a commit", "acme", before)
			if st := stateOf(t, ctx, r, "new"); st.head != (store.Head{}) || len(st.events) != 0 {
				t.Errorf("in a read begun before a commit: new has %d events", len(st.events))
			}
			if orgs, err := r.Orgs(ctx); err != nil || !slices.Equal(orgs, []string{"acme"}) {
				t.Errorf("in a read begun before a commit: Orgs() = %q, %v, want [acme]", orgs, err)
			}
			ids := []string{event("acme", 3).ID}
			if m, err := r.LookupIDs(ctx, "acme", ids); err != nil || len(m) != 0 {
				t.Errorf("in a read begun before a commit: LookupIDs(acme, %q) = %v, %v, want none", ids, m, err)
			}
			return nil
		})
	}()
	<-reading
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := fill(ctx, tx, "acme", 4); err != nil {
			return err
		}
		return fill(ctx, tx, "new", 1)
	})
	close(committed)
	if err := <-done; err != nil {
		t.Errorf("Read = %v", err)
	}
	read(t, s, func(ctx context.Context, r store.Reader) error {
		stateOf(t, ctx, r, "acme").compare(t, "in a read begun after the commit", "acme", filled("acme", 3, 4))
		return nil
	})
}

// testReadsDontWait checks that reads go on while a write transaction is
// open, and don't see what it wrote.
func testReadsDontWait(t *testing.T, open Opener) {
	s := openStore(t, open, "reads-dont-wait")
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "acme", 3) })

	writing, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
			if err := fill(ctx, tx, "acme", 2); err != nil {
				return err
			}
			close(writing)
			<-release
			return nil
		})
	}()
	select {
	case <-writing:
	case err := <-done:
		t.Fatalf("ReadWrite = %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	err := s.Read(ctx, func(ctx context.Context, r store.Reader) error {
		stateOf(t, ctx, r, "acme").compare(t, "during a write", "acme", filled("acme", 3))
		return nil
	})
	cancel()
	if err != nil {
		t.Errorf("Read during a write = %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("ReadWrite = %v", err)
	}
	read(t, s, func(ctx context.Context, r store.Reader) error {
		stateOf(t, ctx, r, "acme").compare(t, "after the write", "acme", filled("acme", 3, 2))
		return nil
	})
}

// testConcurrentWriters checks that write transactions on one organization
// from many goroutines take turns: every append lands at the head.
func testConcurrentWriters(t *testing.T, open Opener) {
	s := openStore(t, open, "concurrent-writers")
	const writers, each = 4, 10
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
					return fill(ctx, tx, "acme", 1)
				})
				if err != nil {
					t.Errorf("ReadWrite = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	ns := make([]int, writers*each)
	for i := range ns {
		ns[i] = 1
	}
	read(t, s, func(ctx context.Context, r store.Reader) error {
		stateOf(t, ctx, r, "acme").compare(t, "after concurrent writes", "acme", filled("acme", ns...))
		return nil
	})
}

// testLockHeads checks that LockHeads locks as LockHead does each log:
// it creates the missing, counts repeated names once, and the heads it
// returns are those appends go on from; and that writers locking the
// same logs, named in other orders, neither deadlock nor lose a write.
func testLockHeads(t *testing.T, open Opener) {
	s := openStore(t, open, "lock-heads")
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "acme", 3) })
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		heads, err := tx.LockHeads(ctx, []string{"zeta", "acme", "beta", "acme"})
		if err != nil {
			return err
		}
		want := map[string]store.Head{"acme": filled("acme", 3).head, "beta": {}, "zeta": {}}
		if !maps.Equal(heads, want) {
			t.Errorf("LockHeads = %v, want %v", heads, want)
		}
		for _, org := range []string{"acme", "beta", "zeta"} {
			if err := fillLocked(ctx, tx, org, heads[org], 2); err != nil {
				return err
			}
		}
		return nil
	})

	const writers, each = 4, 10
	orgs := []string{"acme", "beta", "zeta", "omega"}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				names := slices.Clone(orgs)
				rand.New(rand.NewPCG(uint64(w), uint64(i))).Shuffle(len(names), func(a, b int) { names[a], names[b] = names[b], names[a] })
				err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
					heads, err := tx.LockHeads(ctx, names)
					if err != nil {
						return err
					}
					for _, org := range names {
						if err := fillLocked(ctx, tx, org, heads[org], 1); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Errorf("ReadWrite = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	ones := slices.Repeat([]int{1}, writers*each)
	read(t, s, func(ctx context.Context, r store.Reader) error {
		stateOf(t, ctx, r, "acme").compare(t, "after LockHeads", "acme", filled("acme", slices.Concat([]int{3, 2}, ones)...))
		stateOf(t, ctx, r, "beta").compare(t, "after LockHeads", "beta", filled("beta", slices.Concat([]int{2}, ones)...))
		stateOf(t, ctx, r, "omega").compare(t, "after LockHeads", "omega", filled("omega", ones...))
		return nil
	})
}

// testCanceled checks (implied) that a canceled context stops reads and
// writes, and that a canceled write persists nothing.
func testCanceled(t *testing.T, open Opener) {
	s := openStore(t, open, "canceled")
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "acme", 3) })
	canceled, cancel := context.WithCancel(t.Context())
	cancel()

	err := s.Read(canceled, func(ctx context.Context, r store.Reader) error {
		_, err := r.Head(ctx, "acme")
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Read(canceled) = %v, want context.Canceled", err)
	}
	err = s.ReadWrite(canceled, func(ctx context.Context, tx store.Tx) error {
		return fill(ctx, tx, "acme", 1)
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ReadWrite(canceled) = %v, want context.Canceled", err)
	}
	read(t, s, func(ctx context.Context, r store.Reader) error {
		for _, tt := range []struct {
			name string
			f    func() error
		}{
			{"Head", func() error { _, err := r.Head(canceled, "acme"); return err }},
			{"Events", func() error { _, err := events(canceled, r, "acme", 0, 10); return err }},
			{"Event", func() error { _, err := r.Event(canceled, "acme", 1); return err }},
			{"LookupIDs", func() error { _, err := r.LookupIDs(canceled, "acme", []string{"x"}); return err }},
			{"Checkpoints", func() error { _, err := checkpoints(canceled, r, "acme"); return err }},
		} {
			if err := tt.f(); !errors.Is(err, context.Canceled) {
				t.Errorf("%s(canceled) = %v, want context.Canceled", tt.name, err)
			}
		}
		stateOf(t, ctx, r, "acme").compare(t, "after a canceled write", "acme", filled("acme", 3))
		return nil
	})
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// TestLockHeadSerializes checks that a second transaction's LockHead on
// an organization, from another store on the same database as another
// server would have, waits until the first transaction commits, and then
// sees what it wrote; while an organization of its own goes on.
func TestLockHeadSerializes(t *testing.T) {
	u := newSchema(t)
	first, second := openTest(t, u), openTest(t, u)
	for _, db := range []*DB{first, second} {
		// A log created by either: the race to create the row too.
		if err := db.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
			_, err := tx.LockHead(ctx, "acme")
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}

	locked, release := make(chan struct{}), make(chan struct{})
	want := store.Head{Size: 5, Root: tlog.Hash{1}}
	var wg sync.WaitGroup
	wg.Go(func() {
		err := first.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.LockHead(ctx, "acme"); err != nil {
				return err
			}
			close(locked)
			<-release
			return tx.SetHead(ctx, "acme", want)
		})
		if err != nil {
			t.Errorf("first ReadWrite = %v", err)
		}
	})
	<-locked

	// Another organization doesn't wait.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	err := second.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.LockHead(ctx, "other")
		return err
	})
	cancel()
	if err != nil {
		t.Fatalf("LockHead(other) while acme is locked = %v", err)
	}

	got := make(chan store.Head, 1)
	wg.Go(func() {
		err := second.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
			h, err := tx.LockHead(ctx, "acme")
			got <- h
			return err
		})
		if err != nil {
			t.Errorf("second ReadWrite = %v", err)
		}
	})
	select {
	case h := <-got:
		t.Fatalf("second LockHead(acme) = %v while the first transaction holds it", h)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	select {
	case h := <-got:
		if h != want {
			t.Errorf("second LockHead(acme) = %v, want the first's commit, %v", h, want)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("second LockHead(acme) still waiting after the first committed")
	}
	wg.Wait()
}

// TestAppendConflictAcrossStores checks that two servers appending the
// same seq without LockHead (which the ledger never does) can't both
// succeed: leaves' key refuses the second.
func TestAppendConflictAcrossStores(t *testing.T) {
	u := newSchema(t)
	a, b := openTest(t, u), openTest(t, u)
	e := testEvent("acme", 0, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	var errs [2]error
	for i, db := range []*DB{a, b} {
		errs[i] = db.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
			if i == 0 {
				if _, err := tx.LockHead(ctx, "acme"); err != nil {
					return err
				}
			}
			return tx.Append(ctx, "acme", []*store.Event{e})
		})
	}
	if errs[0] != nil || !errors.Is(errs[1], store.ErrConflict) {
		t.Errorf("Append(seq 0) twice = %v, %v, want nil, ErrConflict", errs[0], errs[1])
	}
}

// TestPending checks that an Append held back that turns out to conflict
// fails the next statement that reads its organization, or else the
// commit, and that nothing of its transaction is committed.
func TestPending(t *testing.T) {
	u := newSchema(t)
	db, other := openTest(t, u), openTest(t, u)
	now := time.Now()
	appendEvents(t, db, "acme")
	for i, tt := range []struct {
		name  string
		next  func(ctx context.Context, tx store.Tx) error
		fails bool // next itself
	}{
		{"LockHead", func(ctx context.Context, tx store.Tx) error { _, err := tx.LockHead(ctx, "acme"); return err }, true},
		{"LookupIDs", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.LookupIDs(ctx, "acme", []string{"x"})
			return err
		}, true},
		{"Head", func(ctx context.Context, tx store.Tx) error { _, err := tx.Head(ctx, "acme"); return err }, true},
		{"LockHead of another", func(ctx context.Context, tx store.Tx) error { _, err := tx.LockHead(ctx, "other"); return err }, false},
		{"commit", func(ctx context.Context, tx store.Tx) error { return nil }, false},
	} {
		seq := int64(i)
		var nextErr error
		err := db.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.LockHead(ctx, "acme"); err != nil {
				return err
			}
			// Another server takes the seq, without the lock (which the
			// ledger never does).
			if err := other.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
				return tx.Append(ctx, "acme", []*store.Event{testEvent("acme", seq, now)})
			}); err != nil {
				return err
			}
			e := testEvent("acme", seq, now)
			e.ID = "mine"
			if err := tx.Append(ctx, "acme", []*store.Event{e}); err != nil {
				return fmt.Errorf("Append held back = %w", err)
			}
			if err := tx.SetHead(ctx, "acme", store.Head{Size: seq + 1, Root: tlog.Hash{1}}); err != nil {
				return fmt.Errorf("SetHead held back = %w", err)
			}
			nextErr = tt.next(ctx, tx)
			return nextErr
		})
		if tt.fails != errors.Is(nextErr, store.ErrConflict) || !tt.fails && nextErr != nil {
			t.Errorf("%s after a held Append that conflicts = %v, want ErrConflict: %v", tt.name, nextErr, tt.fails)
		}
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("ReadWrite ending with %s = %v, want ErrConflict", tt.name, err)
		}
	}
	// Nothing was committed: the head is as it was, and the events the
	// other server's.
	err := db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
		if h, err := r.Head(ctx, "acme"); err != nil || h != (store.Head{}) {
			t.Errorf("Head(acme) = %v, %v, want the empty head", h, err)
		}
		ids, err := r.LookupIDs(ctx, "acme", []string{"mine"})
		if err != nil || len(ids) != 0 {
			t.Errorf("LookupIDs(acme, mine) = %v, %v, want none", ids, err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

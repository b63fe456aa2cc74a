package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
)

// searchEvent returns org's event at seq, ns nanoseconds after base, of
// one of a few types and addresses by seq, so that a search matches some.
func searchEvent(org string, seq, ns int64) *store.Event {
	e := timed(org, seq, ns)
	types := []string{"auth.login", "auth.failed", "finding.commented"}
	e.Event = types[seq%3]
	e.Category, _, _ = strings.Cut(e.Event, ".")
	if seq%5 == 0 {
		e.IP = fmt.Sprintf("10.0.0.%d", seq%250)
	}
	return e
}

// testSearchAppending checks that paging through a search stays exact
// while another goroutine appends events that match it: every event that
// matched before the first page is listed exactly once, no event twice,
// all in List's order, and all matching.
func testSearchAppending(t *testing.T, open Opener) {
	s := openStore(t, open, "search-appending")
	q, err := query.Parse("event:auth.login,auth.failed -ip:10.0.0.0/8", queryNow)
	if err != nil {
		t.Fatal(err)
	}
	var stored []*store.Event
	for seq := range int64(150) {
		ns := seq * 7 % 61
		if seq%13 == 12 {
			ns -= hour
		}
		stored = append(stored, searchEvent("acme", seq, ns))
	}
	appendShuffled(t, s, "acme", "other", stored)
	var before []int64
	for _, e := range stored {
		if q.Match(&e.Record) {
			before = append(before, e.Seq)
		}
	}

	// The appender adds batches until the pager is done, or for at most
	// 50 rounds: newer events, older ones and ones among the others. The
	// pager waits for a round between pages, so that every page sees
	// some, but the two run concurrently.
	ctx, stop := context.WithCancel(t.Context())
	appended := make(chan struct{}, 1)
	var wg sync.WaitGroup
	var mu sync.Mutex // guards added and appendErr
	var added []*store.Event
	var appendErr error
	wg.Go(func() {
		for round := int64(0); round < 50 && ctx.Err() == nil; round++ {
			// The batch counts as added once committed: a commit cut
			// short by the end of paging may not have happened.
			var batch []*store.Event
			err := s.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
				h, err := tx.LockHead(ctx, "acme")
				if err != nil {
					return err
				}
				batch = nil
				for i, ns := range []int64{100 + round, -2*hour - round, round * 5 % 61, round*11%61 - hour} {
					batch = append(batch, searchEvent("acme", h.Size+int64(i), ns))
				}
				if err := tx.Append(ctx, "acme", batch); err != nil {
					return err
				}
				size := h.Size + int64(len(batch))
				if err := tx.SetHead(ctx, "acme", store.Head{Size: size, Root: rootOf("acme", size)}); err != nil {
					return err
				}
				return nil
			})
			if err == nil {
				mu.Lock()
				added = append(added, batch...)
				mu.Unlock()
			}
			select {
			case appended <- struct{}{}:
			default:
			}
			if err != nil && ctx.Err() == nil {
				mu.Lock()
				appendErr = err
				mu.Unlock()
				return
			}
		}
	})
	got := pages(t, s, "acme", store.Filter{Query: q}, 7, func(store.Position) {
		select {
		case <-appended:
		case <-time.After(5 * time.Second):
		}
	})
	stop()
	wg.Wait()
	if appendErr != nil {
		t.Fatalf("appending: %v", appendErr)
	}

	all := append(slices.Clone(stored), added...)
	count := map[int64]int{}
	for i, e := range got {
		count[e.Seq]++
		if count[e.Seq] == 2 {
			t.Errorf("List(acme, %s) in pages of 7 while appending: seq %d twice", q, e.Seq)
		}
		if e.Seq >= int64(len(all)) {
			t.Errorf("List(acme, %s) in pages of 7 while appending: seq %d was never appended", q, e.Seq)
			continue
		}
		if d := diff(e, all[e.Seq]); d != "" {
			t.Errorf("List(acme, %s) in pages of 7 while appending: seq %d: %s", q, e.Seq, d)
		}
		if !q.Match(&e.Record) {
			t.Errorf("List(acme, %s) in pages of 7 while appending: seq %d doesn't match", q, e.Seq)
		}
		if i > 0 && !comesAfter(positionOf(e), positionOf(got[i-1])) {
			t.Errorf("List(acme, %s) in pages of 7 while appending: seq %d after seq %d, out of order", q, e.Seq, got[i-1].Seq)
		}
	}
	for _, seq := range before {
		if count[seq] != 1 {
			t.Errorf("List(acme, %s) in pages of 7 while appending: seq %d listed %d times, want once", q, seq, count[seq])
		}
	}
	if len(added) == 0 {
		t.Errorf("appended nothing while paging")
	}

	// Once all is appended, the search lists what the oracle finds.
	want := oracle(all, q, time.Time{}, time.Time{})
	read(t, s, func(ctx context.Context, r store.Reader) error {
		list, err := listed(ctx, r, "acme", store.Filter{Query: q, Limit: 10000})
		if err != nil || !slices.Equal(seqs(list), want) {
			t.Errorf("List(acme, %s) after appending = %v, %v, want %v", q, seqs(list), err, want)
		}
		return nil
	})
}

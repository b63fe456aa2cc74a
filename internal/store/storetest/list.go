package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// listed returns what List calls fn with, deep copies.
func listed(ctx context.Context, r store.Reader, org string, f store.Filter) ([]*store.Event, error) {
	var list []*store.Event
	err := r.List(ctx, org, f, func(e *store.Event) error {
		list = append(list, clone(e))
		return nil
	})
	return list, err
}

// showFilter formats f for a failure message, its times as offsets from
// base when near it.
func showFilter(f store.Filter) string {
	show := func(t time.Time) string {
		if d := t.Sub(base); d > -24*time.Hour && d < 24*time.Hour {
			return fmt.Sprintf("base%+dns", d.Nanoseconds())
		}
		return t.Format(time.RFC3339Nano)
	}
	var parts []string
	if !f.Since.IsZero() {
		parts = append(parts, "since "+show(f.Since))
	}
	if !f.Until.IsZero() {
		parts = append(parts, "until "+show(f.Until))
	}
	if f.After != nil {
		parts = append(parts, fmt.Sprintf("after (%s, %d)", show(f.After.Timestamp), f.After.Seq))
	}
	parts = append(parts, fmt.Sprintf("limit %d", f.Limit))
	return "{" + strings.Join(parts, ", ") + "}"
}

// positionOf returns e's position in List's order.
func positionOf(e *store.Event) store.Position {
	return store.Position{Timestamp: e.Timestamp, Seq: e.Seq}
}

// comesAfter reports whether a comes after b in List's order.
func comesAfter(a, b store.Position) bool {
	if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
		return c < 0
	}
	return a.Seq < b.Seq
}

// newestFirst returns list sorted in List's order: the suite's oracle.
func newestFirst(list []*store.Event) []*store.Event {
	return slices.SortedFunc(slices.Values(list), func(a, b *store.Event) int {
		if c := b.Timestamp.Compare(a.Timestamp); c != 0 {
			return c
		}
		return cmp.Compare(b.Seq, a.Seq)
	})
}

// timed returns org's event at seq, which happened ns nanoseconds after
// base.
func timed(org string, seq, ns int64) *store.Event {
	e := event(org, seq)
	e.Timestamp = base.Add(time.Duration(ns))
	return e
}

// hour is an hour in nanoseconds.
const hour = int64(time.Hour)

// listOffsets are the times of testList's events by seq, in nanoseconds
// after base: ties, and events backfilled (older than earlier seqs).
// Newest first, they are 8; 9, 7, 5; 4, 2, 1; 10, 3; 11, 0; 6.
var listOffsets = []int64{0, 5, 5, 1, 5, 10, -hour, 10, 11, 10, 1, 0}

// listEvents returns org's events of testList, in seq order.
func listEvents(org string) []*store.Event {
	list := make([]*store.Event, len(listOffsets))
	for seq, ns := range listOffsets {
		list[seq] = timed(org, int64(seq), ns)
	}
	return list
}

// testList checks List's order, its bounds and limit and cursor, and
// that it lists only the organization's events, as stored.
func testList(t *testing.T, open Opener) {
	s := openStore(t, open, "list")
	acme := listEvents("acme")
	// The second batch comes out of seq order, ties (9 and 7) included.
	appendLog(t, s, "acme", acme[:6])
	appendLog(t, s, "acme", []*store.Event{acme[9], acme[11], acme[7], acme[6], acme[10], acme[8]})
	// Another organization's events at the very same positions.
	appendLog(t, s, "acme2", listEvents("acme2"))
	appendLog(t, s, "hollow", nil)

	at := func(ns int64) time.Time { return base.Add(time.Duration(ns)) }
	after := func(ns, seq int64) *store.Position {
		return &store.Position{Timestamp: at(ns), Seq: seq}
	}
	all := []int64{8, 9, 7, 5, 4, 2, 1, 10, 3, 11, 0, 6}
	early := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC) // before int64 nanoseconds
	late := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)  // after them
	tests := []struct {
		name string
		f    store.Filter // a zero Limit is 100
		want []int64
	}{
		{"all", store.Filter{}, all},
		{"limit 1", store.Filter{Limit: 1}, []int64{8}},
		{"limit to a tie's end", store.Filter{Limit: 4}, all[:4]},
		{"limit within a tie", store.Filter{Limit: 6}, all[:6]},
		{"limit of all", store.Filter{Limit: len(all)}, all},

		{"since is inclusive", store.Filter{Since: at(5)}, all[:7]},
		{"since, 1ns later", store.Filter{Since: at(6)}, all[:4]},
		{"since, 1ns earlier", store.Filter{Since: at(4)}, all[:7]},
		{"until is exclusive", store.Filter{Until: at(5)}, all[7:]},
		{"until, 1ns later", store.Filter{Until: at(6)}, all[4:]},
		{"until, 1ns earlier", store.Filter{Until: at(4)}, all[7:]},
		{"since and until", store.Filter{Since: at(1), Until: at(10)}, all[4:9]},
		{"since is until", store.Filter{Since: at(5), Until: at(5)}, nil},
		{"since after until", store.Filter{Since: at(10), Until: at(1)}, nil},
		{"since, limit", store.Filter{Since: at(5), Limit: 2}, all[:2]},
		{"until, limit", store.Filter{Until: at(10), Limit: 4}, all[4:8]},
		{"until the backfilled", store.Filter{Until: at(-hour)}, nil},
		{"until just after the backfilled", store.Filter{Until: at(-hour + 1)}, []int64{6}},
		{"since just after the backfilled", store.Filter{Since: at(-hour + 1)}, all[:11]},
		{"another zone", store.Filter{Since: at(5).In(paris), Until: at(10).In(before1970.Location())}, all[4:7]},
		{"since before 1678", store.Filter{Since: early}, all},
		{"since after 2262", store.Filter{Since: late}, nil},
		{"until before 1678", store.Filter{Until: early}, nil},
		{"until after 2262", store.Filter{Until: late}, all},

		{"after the first", store.Filter{After: after(11, 8)}, all[1:]},
		{"after the first of a tie", store.Filter{After: after(10, 9)}, all[2:]},
		{"after the last of a tie", store.Filter{After: after(10, 5)}, all[4:]},
		{"after no event, within a tie", store.Filter{After: after(10, 6)}, all[3:]},
		{"after no event, above a tie", store.Filter{After: after(10, 100)}, all[1:]},
		{"after no event, below a tie", store.Filter{After: after(10, 0)}, all[4:]},
		{"after no event, between times", store.Filter{After: after(7, 100)}, all[4:]},
		{"after seq 0", store.Filter{After: after(0, 0)}, []int64{6}},
		{"after the last", store.Filter{After: after(-hour, 6)}, nil},
		{"after all", store.Filter{After: after(12, 0)}, all},
		{"after, since", store.Filter{Since: at(1), After: after(5, 2)}, all[6:9]},
		{"after, until below it", store.Filter{Until: at(10), After: after(10, 7)}, all[4:]},
		{"after, until above it", store.Filter{Until: at(10), After: after(5, 4)}, all[5:]},
		{"after, limit", store.Filter{After: after(5, 4), Limit: 3}, all[5:8]},
		{"after, another zone", store.Filter{After: &store.Position{Timestamp: at(5).In(paris), Seq: 4}, Limit: 3}, all[5:8]},
		{"after 2262", store.Filter{After: &store.Position{Timestamp: late}}, all},
		{"after 1678", store.Filter{After: &store.Position{Timestamp: early, Seq: 1 << 62}}, nil},
	}
	check := func(ctx context.Context, when string, r store.Reader) {
		for _, tt := range tests {
			f := tt.f
			if f.Limit == 0 {
				f.Limit = 100
			}
			list, err := listed(ctx, r, "acme", f)
			if err != nil || !slices.Equal(seqs(list), tt.want) {
				t.Errorf("%s: %s: List(acme, %s) = %v, %v, want %v", when, tt.name, showFilter(f), seqs(list), err, tt.want)
				continue
			}
			for _, e := range list {
				if d := diff(e, acme[e.Seq]); d != "" {
					t.Errorf("%s: %s: List(acme): seq %d: %s", when, tt.name, e.Seq, d)
				}
			}
		}

		list, err := listed(ctx, r, "acme2", store.Filter{Limit: 100})
		if err != nil || !slices.Equal(seqs(list), all) {
			t.Errorf("%s: List(acme2) = %v, %v, want %v", when, seqs(list), err, all)
		}
		for _, e := range list {
			if d := diff(e, timed("acme2", e.Seq, listOffsets[e.Seq])); d != "" {
				t.Errorf("%s: List(acme2): seq %d: %s", when, e.Seq, d)
			}
		}
		for _, org := range []string{"hollow", "nobody", "Acme", "acm"} {
			for _, f := range []store.Filter{{Limit: 100}, {Since: at(5), Until: at(10), After: after(10, 9), Limit: 1}} {
				if list, err := listed(ctx, r, org, f); err != nil || len(list) != 0 {
					t.Errorf("%s: List(%s, %s) = %v, %v, want none", when, org, showFilter(f), seqs(list), err)
				}
			}
		}

		for _, limit := range []int{0, -1, -1 << 40} {
			calls := 0
			err := r.List(ctx, "acme", store.Filter{Limit: limit}, func(*store.Event) error {
				calls++
				return nil
			})
			if err == nil || calls != 0 {
				t.Errorf("%s: List(acme, limit %d) = %v after %d calls, want an error and none", when, limit, err, calls)
			}
		}

		calls := 0
		err = r.List(ctx, "acme", store.Filter{Limit: 100}, func(e *store.Event) error {
			calls++
			if calls == 3 {
				return errBoom
			}
			return nil
		})
		if !errors.Is(err, errBoom) || calls != 3 {
			t.Errorf("%s: List(acme) with fn failing at the third = %v after %d calls, want boom after 3", when, err, calls)
		}
	}
	readBoth(t, s, check)

	// A write transaction lists what it appended; once rolled back, it's gone.
	err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		h, err := tx.LockHead(ctx, "acme")
		if err != nil {
			return err
		}
		if err := tx.Append(ctx, "acme", []*store.Event{timed("acme", h.Size, 10)}); err != nil {
			return err
		}
		f := store.Filter{Until: at(11), Limit: 4}
		want := []int64{h.Size, 9, 7, 5}
		if list, err := listed(ctx, tx, "acme", f); err != nil || !slices.Equal(seqs(list), want) {
			t.Errorf("in ReadWrite, after Append: List(acme, %s) = %v, %v, want %v", showFilter(f), seqs(list), err, want)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("ReadWrite = %v, want boom", err)
	}
	readBoth(t, s, check)
}

// pageEvents returns org's events of testListPages and testListAppending:
// n events with ties and backfilled ones. Every 13th is an hour old.
func pageEvents(org string, n int64) []*store.Event {
	list := make([]*store.Event, n)
	for seq := range n {
		ns := seq * 7 % 11
		if seq%13 == 12 {
			ns -= hour
		}
		list[seq] = timed(org, seq, ns)
	}
	return list
}

// appendShuffled appends list to org's log in batches of 10, each in
// reverse seq order, alternating with batches of other's events (whose
// timestamps are those of list).
func appendShuffled(t *testing.T, s store.Store, org, other string, list []*store.Event) {
	t.Helper()
	for i := 0; i < len(list); i += 10 {
		batch := slices.Clone(list[i:min(i+10, len(list))])
		slices.Reverse(batch)
		appendLog(t, s, org, batch)
		var theirs []*store.Event
		for _, e := range batch {
			theirs = append(theirs, timed(other, e.Seq, int64(e.Timestamp.Sub(base))))
		}
		appendLog(t, s, other, theirs)
	}
}

// pages lists org's events matching f page by page, each page of size
// events after the last one's position and in a Read of its own, and
// returns them all. After each full page it calls between with the
// position the next page starts after.
func pages(t *testing.T, s store.Store, org string, f store.Filter, size int, between func(store.Position)) []*store.Event {
	t.Helper()
	f.Limit = size
	var all []*store.Event
	for range 10000 {
		var page []*store.Event
		read(t, s, func(ctx context.Context, r store.Reader) error {
			var err error
			page, err = listed(ctx, r, org, f)
			return err
		})
		all = append(all, page...)
		if len(page) > size {
			t.Fatalf("List(%s, %s) = %d events, more than the limit", org, showFilter(f), len(page))
		}
		if len(page) < size {
			return all
		}
		p := positionOf(page[len(page)-1])
		f.After = &p
		if between != nil {
			between(p)
		}
	}
	t.Fatalf("List(%s) in pages of %d: no end in sight", org, size)
	return nil
}

// testListPages checks that paging with After gives exactly the list, no
// event twice and none missed, whatever the page size.
func testListPages(t *testing.T, open Opener) {
	s := openStore(t, open, "list-pages")
	acme := pageEvents("acme", 60)
	appendShuffled(t, s, "acme", "other", acme)
	for _, tt := range []struct {
		name string
		f    store.Filter
	}{
		{"all", store.Filter{}},
		{"since and until", store.Filter{Since: base.Add(2), Until: base.Add(9)}},
	} {
		var want []*store.Event
		for _, e := range newestFirst(acme) {
			if (tt.f.Since.IsZero() || !e.Timestamp.Before(tt.f.Since)) && (tt.f.Until.IsZero() || e.Timestamp.Before(tt.f.Until)) {
				want = append(want, e)
			}
		}
		for _, size := range []int{1, 2, 3, 7, len(want), len(want) + 1} {
			got := pages(t, s, "acme", tt.f, size, nil)
			if !slices.Equal(seqs(got), seqs(want)) {
				t.Errorf("%s: List(acme) in pages of %d = %v, want %v", tt.name, size, seqs(got), seqs(want))
			}
			for _, e := range got {
				if d := diff(e, acme[e.Seq]); d != "" {
					t.Errorf("%s: List(acme) in pages of %d: seq %d: %s", tt.name, size, e.Seq, d)
				}
			}
		}
	}
}

// testListAppending checks that paging stays exact while events are
// appended between pages: those before the cursor never show, those
// after it do, in their place.
func testListAppending(t *testing.T, open Opener) {
	for _, size := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			s := openStore(t, open, fmt.Sprintf("list-appending-%d", size))
			acme := pageEvents("acme", 30)
			appendShuffled(t, s, "acme", "other", acme)

			// Where each event is when it is appended: those after the
			// cursor then are to be listed.
			stored := slices.Clone(acme)
			var want []*store.Event
			want = append(want, acme...)
			rounds := 0
			between := func(cursor store.Position) {
				rounds++
				if rounds > 5 {
					return
				}
				next := int64(len(stored))
				cur := int64(cursor.Timestamp.Sub(base))
				var batch []*store.Event
				for i, ns := range []int64{
					12 + int64(rounds),      // newer than all
					cur + 1,                 // just before the cursor
					cur,                     // at the cursor, after it in seq
					cur - 1,                 // just after the cursor
					-2*hour - int64(rounds), // older than all
				} {
					batch = append(batch, timed("acme", next+int64(i), ns))
				}
				appendLog(t, s, "acme", batch)
				for _, e := range batch {
					stored = append(stored, e)
					if comesAfter(positionOf(e), cursor) {
						want = append(want, e)
					}
				}
			}
			got := pages(t, s, "acme", store.Filter{}, size, between)
			want = newestFirst(want)
			if !slices.Equal(seqs(got), seqs(want)) {
				t.Errorf("List(acme) in pages of %d, appending between them = %v, want %v", size, seqs(got), seqs(want))
			}
			for _, e := range got {
				if d := diff(e, stored[e.Seq]); d != "" {
					t.Errorf("List(acme) in pages of %d: seq %d: %s", size, e.Seq, d)
				}
			}
			if rounds < 5 {
				t.Errorf("List(acme) in pages of %d took %d pages, want at least 6 to append between", size, rounds+1)
			}
		})
	}
}

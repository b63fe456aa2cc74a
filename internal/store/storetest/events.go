package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/steleaudit/stele/internal/store"
)

// testEmpty checks what a new store answers: nothing, and ErrNotFound
// where a thing is asked for by name.
func testEmpty(t *testing.T, open Opener) {
	s := openStore(t, open, "empty")
	read(t, s, func(ctx context.Context, r store.Reader) error {
		if orgs, err := r.Orgs(ctx); err != nil || len(orgs) != 0 {
			t.Errorf("Orgs() = %q, %v, want none", orgs, err)
		}
		if h, err := r.Head(ctx, "acme"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Head(acme) = %v, %v, want ErrNotFound", h, err)
		}
		if list, err := events(ctx, r, "acme", 0, 100); err != nil || len(list) != 0 {
			t.Errorf("Events(acme, 0, 100) = %v, %v, want none", seqs(list), err)
		}
		if e, err := r.Event(ctx, "acme", 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Event(acme, 0) = %v, %v, want ErrNotFound", e, err)
		}
		if m, err := r.LookupIDs(ctx, "acme", []string{"a", "b"}); err != nil || m == nil || len(m) != 0 {
			t.Errorf("LookupIDs(acme, [a b]) = %v, %v, want an empty map", m, err)
		}
		if d, err := r.Tiles(ctx, "acme", tiles(tile(0, 0, 1))); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Tiles(acme, 0/0.1) = %x, %v, want ErrNotFound", d, err)
		}
		if list, err := checkpoints(ctx, r, "acme"); err != nil || len(list) != 0 {
			t.Errorf("Checkpoints(acme) = %v, %v, want none", list, err)
		}
		if c, err := r.Checkpoint(ctx, "acme", 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Checkpoint(acme, 1) = %v, %v, want ErrNotFound", c, err)
		}
		if c, err := r.LatestCheckpoint(ctx, "acme"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LatestCheckpoint(acme) = %v, %v, want ErrNotFound", c, err)
		}
		return nil
	})
}

// testRoundTrip checks that every field of every kind of record comes back
// as stored, through Event and Events, before and after commit.
func testRoundTrip(t *testing.T, open Opener) {
	s := openStore(t, open, "round-trip")
	want := oddEvents("acme")
	check := func(ctx context.Context, when string, r store.Reader) {
		for _, w := range want {
			got, err := r.Event(ctx, "acme", w.Seq)
			if err != nil {
				t.Errorf("%s: Event(acme, %d) = %v", when, w.Seq, err)
				continue
			}
			if d := diff(got, w); d != "" {
				t.Errorf("%s: Event(acme, %d): %s", when, w.Seq, d)
			}
		}
		list, err := events(ctx, r, "acme", 0, int64(len(want)))
		if err != nil || len(list) != len(want) {
			t.Fatalf("%s: Events(acme, 0, %d) = %v, %v, want %v", when, len(want), seqs(list), err, seqs(want))
		}
		for i, got := range list {
			if d := diff(got, want[i]); d != "" {
				t.Errorf("%s: Events(acme) [%d]: %s", when, i, d)
			}
		}
	}
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockHead(ctx, "acme"); err != nil {
			return err
		}
		// Append must not keep the caller's events: scribble over them.
		scribbled := make([]*store.Event, len(want))
		for i, e := range want {
			scribbled[i] = clone(e)
		}
		if err := tx.Append(ctx, "acme", scribbled); err != nil {
			return err
		}
		for _, e := range scribbled {
			e.ID, e.Details, e.Event = "changed", []byte(`{"changed":true}`), "changed"
			if e.Salt != nil {
				e.Salt[0] ^= 0xff
			}
		}
		check(ctx, "in transaction", tx)
		return nil
	})
	read(t, s, func(ctx context.Context, r store.Reader) error {
		check(ctx, "committed", r)
		return nil
	})
}

// testEvents checks Events' order and range bounds, and that fn's error
// stops the walk and comes back.
func testEvents(t *testing.T, open Opener) {
	s := openStore(t, open, "events")
	// Appended in two transactions, out of order within the second.
	appendLog(t, s, "acme", eventsOf("acme", span(0, 10)...))
	appendLog(t, s, "acme", eventsOf("acme", 15, 12, 10, 11, 13, 14))
	appendLog(t, s, "acme2", eventsOf("acme2", span(0, 20)...))

	read(t, s, func(ctx context.Context, r store.Reader) error {
		for _, tt := range []struct {
			from, to int64
			want     []int64
		}{
			{0, 16, span(0, 16)},
			{0, 1 << 62, span(0, 16)},
			{-1 << 62, 1 << 62, span(0, 16)},
			{-5, 3, span(0, 3)},
			{3, 7, span(3, 7)},
			{9, 11, span(9, 11)},
			{15, 16, []int64{15}},
			{15, 15, nil},
			{16, 100, nil},
			{7, 3, nil},
		} {
			list, err := events(ctx, r, "acme", tt.from, tt.to)
			if err != nil || !slices.Equal(seqs(list), tt.want) {
				t.Errorf("Events(acme, %d, %d) = %v, %v, want %v", tt.from, tt.to, seqs(list), err, tt.want)
			}
			for _, e := range list {
				if d := diff(e, event("acme", e.Seq)); d != "" {
					t.Errorf("Events(acme, %d, %d): seq %d: %s", tt.from, tt.to, e.Seq, d)
				}
			}
		}

		calls := 0
		err := r.Events(ctx, "acme", 0, 16, func(e *store.Event) error {
			calls++
			if e.Seq == 4 {
				return errBoom
			}
			return nil
		})
		if !errors.Is(err, errBoom) || calls != 5 {
			t.Errorf("Events(acme, 0, 16) with fn failing at seq 4 = %v after %d calls, want boom after 5", err, calls)
		}
		return nil
	})
}

// testGaps checks that Events reports what is stored and nothing else:
// Append is trusted with seqs, so a gap is possible, and must show.
func testGaps(t *testing.T, open Opener) {
	s := openStore(t, open, "gaps")
	appendLog(t, s, "acme", eventsOf("acme", 0, 1, 2, 5, 6, 9))
	read(t, s, func(ctx context.Context, r store.Reader) error {
		list, err := events(ctx, r, "acme", 0, 10)
		if want := []int64{0, 1, 2, 5, 6, 9}; err != nil || !slices.Equal(seqs(list), want) {
			t.Errorf("Events(acme, 0, 10) = %v, %v, want %v", seqs(list), err, want)
		}
		for _, seq := range []int64{3, 4, 7, 8, 10, -1} {
			if e, err := r.Event(ctx, "acme", seq); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Event(acme, %d) = %v, %v, want ErrNotFound", seq, e, err)
			}
		}
		return nil
	})
}

// testAppendConflict checks that an event already stored at a seq is never
// replaced: Append says ErrConflict, and the stored event stays.
func testAppendConflict(t *testing.T, open Opener) {
	s := openStore(t, open, "append-conflict")
	appendLog(t, s, "acme", eventsOf("acme", 0, 1, 2))
	for _, tt := range []struct {
		name  string
		batch []int64
	}{
		{"same seq", []int64{1}},
		{"after new ones", []int64{3, 4, 2}},
		{"twice in a batch", []int64{5, 5}},
	} {
		err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
			batch := eventsOf("acme", tt.batch...)
			for _, e := range batch {
				e.ID = "other-" + e.ID
				e.Event = "auth.failed"
			}
			err := tx.Append(ctx, "acme", batch)
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("%s: Append(acme, %v) = %v, want ErrConflict", tt.name, tt.batch, err)
			}
			return err
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: ReadWrite = %v, want ErrConflict", tt.name, err)
		}
	}
	read(t, s, func(ctx context.Context, r store.Reader) error {
		list, err := events(ctx, r, "acme", 0, 10)
		if want := []int64{0, 1, 2}; err != nil || !slices.Equal(seqs(list), want) {
			t.Errorf("Events(acme, 0, 10) = %v, %v, want %v", seqs(list), err, want)
		}
		for _, e := range list {
			if d := diff(e, event("acme", e.Seq)); d != "" {
				t.Errorf("Events(acme): seq %d: %s", e.Seq, d)
			}
		}
		return nil
	})
}

// testLookupIDs checks idempotency lookups: one call answers for many ids,
// exactly (case matters, "" is no id), and only within the organization.
func testLookupIDs(t *testing.T, open Opener) {
	s := openStore(t, open, "lookup-ids")
	acme := eventsOf("acme", span(0, 6)...)
	for i, id := range []string{"a1", "A1", "a2", "", "shared", "a3"} {
		acme[i].ID = id
	}
	other := eventsOf("other", 0, 1)
	other[0].ID, other[1].ID = "shared", "b1"
	appendLog(t, s, "other", other)
	appendLog(t, s, "acme", acme)

	const many = 3000
	big := eventsOf("big", span(0, many)...)
	var bigIDs []string
	wantBig := map[string]int64{}
	for i, e := range big {
		e.ID = fmt.Sprintf("id-%d", i)
		bigIDs = append(bigIDs, e.ID, fmt.Sprintf("absent-%d", i))
		wantBig[e.ID] = e.Seq
	}
	appendLog(t, s, "big", big)

	read(t, s, func(ctx context.Context, r store.Reader) error {
		for _, tt := range []struct {
			org  string
			ids  []string
			want map[string]int64
		}{
			{"acme", nil, map[string]int64{}},
			{"acme", []string{"a1"}, map[string]int64{"a1": 0}},
			{"acme", []string{"a1", "A1", "a2", "a3"}, map[string]int64{"a1": 0, "A1": 1, "a2": 2, "a3": 5}},
			{"acme", []string{"a1", "a1", "a1"}, map[string]int64{"a1": 0}},
			{"acme", []string{"zz", "a", "a1 ", " a1"}, map[string]int64{}},
			{"acme", []string{""}, map[string]int64{}},
			{"acme", []string{"shared", "b1"}, map[string]int64{"shared": 4}},
			{"other", []string{"shared", "b1", "a1"}, map[string]int64{"shared": 0, "b1": 1}},
			{"nobody", []string{"shared", "a1"}, map[string]int64{}},
			{"big", bigIDs, wantBig},
		} {
			got, err := r.LookupIDs(ctx, tt.org, tt.ids)
			if err != nil || got == nil || !maps.Equal(got, tt.want) {
				ids := fmt.Sprint(tt.ids)
				if len(tt.ids) > 10 {
					ids = fmt.Sprintf("[%d ids]", len(tt.ids))
				}
				t.Errorf("LookupIDs(%s, %s) = %v (%d), %v, want %d ids", tt.org, ids, summary(got), len(got), err, len(tt.want))
			}
		}
		return nil
	})

	// LookupAllIDs answers for several logs at once what LookupIDs
	// answers each, the ids of the transaction's own appends included.
	err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		h, err := tx.LockHead(ctx, "acme")
		if err != nil {
			return err
		}
		fresh := eventsOf("acme", h.Size)
		fresh[0].ID = "fresh"
		if err := tx.Append(ctx, "acme", fresh); err != nil {
			return err
		}
		got, err := tx.LookupAllIDs(ctx, map[string][]string{
			"acme":   {"a1", "A1", "a2", "a3", "zz", "", "shared", "fresh"},
			"other":  {"shared", "b1", "a1"},
			"nobody": {"shared", "a1"},
			"big":    bigIDs,
		})
		want := map[string]map[string]int64{
			"acme":  {"a1": 0, "A1": 1, "a2": 2, "a3": 5, "shared": 4, "fresh": h.Size},
			"other": {"shared": 0, "b1": 1},
			"big":   wantBig,
		}
		if err != nil || !maps.EqualFunc(got, want, maps.Equal) {
			t.Errorf("LookupAllIDs = %d logs, %v; want %d", len(got), err, len(want))
			for org, w := range want {
				if !maps.Equal(got[org], w) {
					t.Errorf("LookupAllIDs: %s = %v, want %v", org, summary(got[org]), summary(w))
				}
			}
		}
		return errBoom // nothing to keep
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("ReadWrite = %v, want boom", err)
	}
}

// summary shortens a long map for an error message.
func summary(m map[string]int64) any {
	if len(m) > 10 {
		return "…"
	}
	return m
}

// testReadYourWrites checks that a write transaction sees what it wrote.
func testReadYourWrites(t *testing.T, open Opener) {
	s := openStore(t, open, "read-your-writes")
	appendLog(t, s, "acme", eventsOf("acme", 0, 1))
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		h, err := tx.LockHead(ctx, "acme")
		if err != nil || h.Size != 2 {
			t.Errorf("LockHead(acme) = %v, %v, want size 2", h, err)
		}
		if err := tx.Append(ctx, "acme", eventsOf("acme", 2, 3)); err != nil {
			return err
		}
		want := store.Head{Size: 4, Root: rootOf("acme", 4)}
		if err := tx.SetHead(ctx, "acme", want); err != nil {
			return err
		}
		if h, err := tx.Head(ctx, "acme"); err != nil || h != want {
			t.Errorf("Head(acme) = %v, %v, want %v", h, err, want)
		}
		if list, err := events(ctx, tx, "acme", 0, 10); err != nil || !slices.Equal(seqs(list), span(0, 4)) {
			t.Errorf("Events(acme, 0, 10) = %v, %v, want %v", seqs(list), err, span(0, 4))
		}
		if _, err := tx.Event(ctx, "acme", 3); err != nil {
			t.Errorf("Event(acme, 3) = %v", err)
		}
		ids := []string{event("acme", 1).ID, event("acme", 3).ID}
		if m, err := tx.LookupIDs(ctx, "acme", ids); err != nil || len(m) != 2 {
			t.Errorf("LookupIDs(acme, %q) = %v, %v, want both", ids, m, err)
		}
		return nil
	})
}

package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// tile returns the hash tile at level l, number n, width w.
func tile(l int, n int64, w int) tlog.Tile {
	return tlog.Tile{H: 8, L: l, N: n, W: w}
}

func tiles(t ...tlog.Tile) []tlog.Tile { return t }

// tileData returns made-up data for t: w hashes, hash i the same whatever
// the width, as tiles of one tree are.
func tileData(org string, t tlog.Tile) []byte {
	var b []byte
	for i := range t.W {
		b = append(b, hash(org+"/"+tlog.Tile{H: t.H, L: t.L, N: t.N, W: i + 1}.Path())...)
	}
	return b
}

// checkpoint returns a made-up checkpoint of org at size.
func checkpoint(org string, size int64) store.Checkpoint {
	return store.Checkpoint{
		Size:     size,
		Note:     []byte("stele.example/" + org + "\n" + string(rune('0'+size%10)) + "\n\n— stele sig\n"),
		SignedAt: base.Add(time.Duration(size)*time.Second + 987654321),
	}
}

// checkpoints returns all of org's checkpoints.
func checkpoints(ctx context.Context, r store.Reader, org string) ([]store.Checkpoint, error) {
	var list []store.Checkpoint
	err := r.Checkpoints(ctx, org, func(c store.Checkpoint) error {
		c.Note = bytes.Clone(c.Note)
		list = append(list, c)
		return nil
	})
	return list, err
}

func sameCheckpoint(a, b store.Checkpoint) bool {
	return a.Size == b.Size && bytes.Equal(a.Note, b.Note) &&
		a.SignedAt.Equal(b.SignedAt) && a.SignedAt.Location() == time.UTC
}

func sizes(list []store.Checkpoint) []int64 {
	s := make([]int64, len(list))
	for i, c := range list {
		s[i] = c.Size
	}
	return s
}

// testHeads checks that LockHead creates an empty log once and SetHead
// records the head, and that a log comes into being only on commit.
func testHeads(t *testing.T, open Opener) {
	s := openStore(t, open, "heads")
	err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockHead(ctx, "ghost"); err != nil {
			t.Errorf("LockHead(ghost) = %v", err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("ReadWrite = %v, want boom", err)
	}
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for range 2 {
			if h, err := tx.LockHead(ctx, "acme"); err != nil || h != (store.Head{}) {
				t.Errorf("LockHead(acme) = %v, %v, want an empty head", h, err)
			}
		}
		return nil
	})
	read(t, s, func(ctx context.Context, r store.Reader) error {
		if h, err := r.Head(ctx, "acme"); err != nil || h != (store.Head{}) {
			t.Errorf("Head(acme) = %v, %v, want an empty head", h, err)
		}
		if h, err := r.Head(ctx, "ghost"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Head(ghost) = %v, %v, want ErrNotFound", h, err)
		}
		if orgs, err := r.Orgs(ctx); err != nil || !slices.Equal(orgs, []string{"acme"}) {
			t.Errorf("Orgs() = %q, %v, want [acme]", orgs, err)
		}
		return nil
	})
	for _, h := range []store.Head{
		{Size: 1, Root: rootOf("acme", 1)},
		{Size: 1000, Root: rootOf("acme", 1000)},
		{Size: 1 << 40, Root: tlog.Hash{}},
		{Size: 0, Root: tlog.Hash{}},
	} {
		write(t, s, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.LockHead(ctx, "acme"); err != nil {
				return err
			}
			return tx.SetHead(ctx, "acme", h)
		})
		read(t, s, func(ctx context.Context, r store.Reader) error {
			if got, err := r.Head(ctx, "acme"); err != nil || got != h {
				t.Errorf("after SetHead(acme, %v): Head(acme) = %v, %v", h, got, err)
			}
			return nil
		})
		write(t, s, func(ctx context.Context, tx store.Tx) error {
			if got, err := tx.LockHead(ctx, "acme"); err != nil || got != h {
				t.Errorf("after SetHead(acme, %v): LockHead(acme) = %v, %v", h, got, err)
			}
			return nil
		})
	}
}

// testTiles checks that a tile's widest data wins, that a read may get
// data wider than asked, and that missing or too narrow is ErrNotFound.
func testTiles(t *testing.T, open Opener) {
	s := openStore(t, open, "tiles")
	appendLog(t, s, "acme", nil)
	appendLog(t, s, "other", nil)
	put := func(org string, ts ...tlog.Tile) {
		t.Helper()
		write(t, s, func(ctx context.Context, tx store.Tx) error {
			data := make([][]byte, len(ts))
			for i, tl := range ts {
				data[i] = tileData(org, tl)
			}
			return tx.PutTiles(ctx, org, ts, data)
		})
	}
	put("acme", tile(0, 0, 3), tile(0, 1, 256), tile(1, 0, 1))
	put("acme", tile(0, 0, 5))                  // wider replaces narrower
	put("acme", tile(0, 0, 2), tile(1, 0, 1))   // narrower never replaces wider
	put("other", tile(0, 0, 1), tile(0, 2, 8))  // other organizations keep their own
	put("acme", tile(0, 1, 256), tile(0, 1, 3)) // a full tile stays full

	read(t, s, func(ctx context.Context, r store.Reader) error {
		for _, tt := range []struct {
			org   string
			tiles []tlog.Tile
			want  []int // widths of the data; nil for ErrNotFound
		}{
			{"acme", tiles(), []int{}},
			{"acme", tiles(tile(0, 0, 5)), []int{5}},
			{"acme", tiles(tile(0, 0, 1)), []int{5}},
			{"acme", tiles(tile(0, 0, 6)), nil},
			{"acme", tiles(tile(0, 1, 256), tile(1, 0, 1), tile(0, 0, 4)), []int{256, 1, 5}},
			{"acme", tiles(tile(1, 0, 1), tile(0, 1, 256)), []int{1, 256}},
			{"acme", tiles(tile(0, 0, 3), tile(0, 0, 3)), []int{5, 5}},
			{"acme", tiles(tile(0, 0, 1), tile(0, 2, 1)), nil},
			{"acme", tiles(tile(1, 0, 2)), nil},
			{"acme", tiles(tile(2, 0, 1)), nil},
			{"other", tiles(tile(0, 0, 1)), []int{1}},
			{"other", tiles(tile(0, 0, 2)), nil},
			{"other", tiles(tile(0, 1, 1)), nil},
			{"other", tiles(tile(0, 2, 8)), []int{8}},
			{"acme", tiles(tile(0, 2, 1)), nil},
			{"nobody", tiles(tile(0, 0, 1)), nil},
		} {
			data, err := r.Tiles(ctx, tt.org, tt.tiles)
			if tt.want == nil {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Tiles(%s, %v) = %d tiles, %v, want ErrNotFound", tt.org, tt.tiles, len(data), err)
				}
				continue
			}
			if err != nil || len(data) != len(tt.want) {
				t.Errorf("Tiles(%s, %v) = %d tiles, %v, want %d", tt.org, tt.tiles, len(data), err, len(tt.want))
				continue
			}
			for i, tl := range tt.tiles {
				tl.W = tt.want[i]
				if want := tileData(tt.org, tl); !bytes.Equal(data[i], want) {
					t.Errorf("Tiles(%s, %v) [%d] = %d bytes, want %v's %d", tt.org, tt.tiles, i, len(data[i]), tl.Path(), len(want))
				}
			}
		}
		return nil
	})
}

// testCheckpoints checks that checkpoints come back in size order, exactly
// as stored, and that one at a size is never replaced.
func testCheckpoints(t *testing.T, open Opener) {
	s := openStore(t, open, "checkpoints")
	appendLog(t, s, "acme", nil)
	appendLog(t, s, "other", nil)
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, size := range []int64{5, 1, 1000, 0, 12} {
			if err := tx.PutCheckpoint(ctx, "acme", checkpoint("acme", size)); err != nil {
				return err
			}
		}
		return tx.PutCheckpoint(ctx, "other", checkpoint("other", 7))
	})
	for _, size := range []int64{5, 0} {
		err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
			c := checkpoint("acme", size)
			c.Note = []byte("forged")
			err := tx.PutCheckpoint(ctx, "acme", c)
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("PutCheckpoint(acme, size %d) again = %v, want ErrConflict", size, err)
			}
			return err
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("ReadWrite = %v, want ErrConflict", err)
		}
	}
	read(t, s, func(ctx context.Context, r store.Reader) error {
		list, err := checkpoints(ctx, r, "acme")
		if want := []int64{0, 1, 5, 12, 1000}; err != nil || !slices.Equal(sizes(list), want) {
			t.Errorf("Checkpoints(acme) = %v, %v, want sizes %v", sizes(list), err, want)
		}
		for _, c := range list {
			if want := checkpoint("acme", c.Size); !sameCheckpoint(c, want) {
				t.Errorf("Checkpoints(acme): %+v, want %+v", c, want)
			}
		}
		if c, err := r.LatestCheckpoint(ctx, "acme"); err != nil || !sameCheckpoint(c, checkpoint("acme", 1000)) {
			t.Errorf("LatestCheckpoint(acme) = %+v, %v, want size 1000", c, err)
		}
		if c, err := r.LatestCheckpoint(ctx, "other"); err != nil || !sameCheckpoint(c, checkpoint("other", 7)) {
			t.Errorf("LatestCheckpoint(other) = %+v, %v, want size 7", c, err)
		}
		for _, tt := range []struct {
			org  string
			size int64
			ok   bool
		}{
			{"acme", 0, true},
			{"acme", 5, true},
			{"acme", 12, true},
			{"acme", 6, false},
			{"acme", 7, false},
			{"other", 7, true},
			{"other", 5, false},
			{"nobody", 5, false},
		} {
			c, err := r.Checkpoint(ctx, tt.org, tt.size)
			switch {
			case tt.ok && (err != nil || !sameCheckpoint(c, checkpoint(tt.org, tt.size))):
				t.Errorf("Checkpoint(%s, %d) = %+v, %v, want the stored one", tt.org, tt.size, c, err)
			case !tt.ok && !errors.Is(err, store.ErrNotFound):
				t.Errorf("Checkpoint(%s, %d) = %+v, %v, want ErrNotFound", tt.org, tt.size, c, err)
			}
		}
		calls := 0
		err = r.Checkpoints(ctx, "acme", func(store.Checkpoint) error {
			calls++
			return errBoom
		})
		if !errors.Is(err, errBoom) || calls != 1 {
			t.Errorf("Checkpoints(acme) with fn failing = %v after %d calls, want boom after 1", err, calls)
		}
		return nil
	})
}

// testIsolation checks that organizations with the same seqs, ids, tiles
// and checkpoint sizes see only their own.
func testIsolation(t *testing.T, open Opener) {
	s := openStore(t, open, "isolation")
	orgs := []string{"acme", "acme2", "Acme", "acm"}
	for i, org := range orgs {
		list := eventsOf(org, span(0, int64(3+i))...)
		for _, e := range list {
			e.ID = "same-id-" + string(rune('0'+e.Seq))
		}
		appendLog(t, s, org, list)
		write(t, s, func(ctx context.Context, tx store.Tx) error {
			tl := tile(0, 0, 1+i)
			if err := tx.PutTiles(ctx, org, tiles(tl), [][]byte{tileData(org, tl)}); err != nil {
				return err
			}
			return tx.PutCheckpoint(ctx, org, checkpoint(org, 2))
		})
	}
	read(t, s, func(ctx context.Context, r store.Reader) error {
		for i, org := range orgs {
			n := int64(3 + i)
			if h, err := r.Head(ctx, org); err != nil || h != (store.Head{Size: n, Root: rootOf(org, n)}) {
				t.Errorf("Head(%s) = %v, %v, want size %d", org, h, err, n)
			}
			list, err := events(ctx, r, org, 0, 100)
			if err != nil || !slices.Equal(seqs(list), span(0, n)) {
				t.Errorf("Events(%s, 0, 100) = %v, %v, want %v", org, seqs(list), err, span(0, n))
			}
			for _, e := range list {
				if e.Org != org || e.Salt == nil || !bytes.Equal(e.Salt, event(org, e.Seq).Salt) {
					t.Errorf("Events(%s): seq %d is of %q", org, e.Seq, e.Org)
				}
			}
			if e, err := r.Event(ctx, org, n-1); err != nil || e.Org != org || e.Actor != event(org, n-1).Actor {
				t.Errorf("Event(%s, %d) = %+v, %v, want %s's", org, n-1, e, err, org)
			}
			if e, err := r.Event(ctx, org, n); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Event(%s, %d) = %+v, %v, want ErrNotFound", org, n, e, err)
			}
			ids := []string{"same-id-0", "same-id-" + string(rune('0'+n-1)), "same-id-" + string(rune('0'+n))}
			if m, err := r.LookupIDs(ctx, org, ids); err != nil || len(m) != 2 || m[ids[1]] != n-1 {
				t.Errorf("LookupIDs(%s, %q) = %v, %v, want the first two", org, ids, m, err)
			}
			tl := tile(0, 0, 1+i)
			if d, err := r.Tiles(ctx, org, tiles(tl)); err != nil || !bytes.Equal(d[0], tileData(org, tl)) {
				t.Errorf("Tiles(%s, %v) = %x, %v, want %s's", org, tl, d, err, org)
			}
			if d, err := r.Tiles(ctx, org, tiles(tile(0, 0, 2+i))); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Tiles(%s, %v) = %x, %v, want ErrNotFound", org, tile(0, 0, 2+i), d, err)
			}
			if c, err := r.LatestCheckpoint(ctx, org); err != nil || !sameCheckpoint(c, checkpoint(org, 2)) {
				t.Errorf("LatestCheckpoint(%s) = %+v, %v, want %s's", org, c, err, org)
			}
		}
		return nil
	})
}

// testOrgs checks that Orgs lists every organization with a log, sorted
// as Go sorts strings (bytewise).
func testOrgs(t *testing.T, open Opener) {
	s := openStore(t, open, "orgs")
	orgs := []string{"b", "a", "B", "a-1", "ä", "org 10", "org 9", "A", "a_1", "Zoo", "z"}
	for _, org := range orgs {
		appendLog(t, s, org, nil)
	}
	want := slices.Clone(orgs)
	sort.Strings(want)
	read(t, s, func(ctx context.Context, r store.Reader) error {
		if got, err := r.Orgs(ctx); err != nil || !slices.Equal(got, want) {
			t.Errorf("Orgs() = %q, %v, want %q", got, err, want)
		}
		return nil
	})
}

// testWritesNeedALog checks (implied) that writes name an organization
// whose log LockHead created, and that Append keeps events in their own
// organization.
func testWritesNeedALog(t *testing.T, open Opener) {
	s := openStore(t, open, "writes-need-a-log")
	appendLog(t, s, "acme", eventsOf("acme", 0))
	for _, tt := range []struct {
		name string
		f    func(ctx context.Context, tx store.Tx) error
		want error // nil for any error
	}{
		{"Append(nobody)", func(ctx context.Context, tx store.Tx) error {
			return tx.Append(ctx, "nobody", eventsOf("nobody", 0))
		}, store.ErrNotFound},
		{"SetHead(nobody)", func(ctx context.Context, tx store.Tx) error {
			return tx.SetHead(ctx, "nobody", store.Head{Size: 1, Root: rootOf("nobody", 1)})
		}, store.ErrNotFound},
		{"PutTiles(nobody)", func(ctx context.Context, tx store.Tx) error {
			tl := tile(0, 0, 1)
			return tx.PutTiles(ctx, "nobody", tiles(tl), [][]byte{tileData("nobody", tl)})
		}, store.ErrNotFound},
		{"PutCheckpoint(nobody)", func(ctx context.Context, tx store.Tx) error {
			return tx.PutCheckpoint(ctx, "nobody", checkpoint("nobody", 1))
		}, store.ErrNotFound},
		{"Append(acme, other's event)", func(ctx context.Context, tx store.Tx) error {
			return tx.Append(ctx, "acme", eventsOf("other", 1))
		}, nil},
	} {
		err := s.ReadWrite(t.Context(), tt.f)
		if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, err, tt.want)
		}
	}
	read(t, s, func(ctx context.Context, r store.Reader) error {
		if orgs, err := r.Orgs(ctx); err != nil || !slices.Equal(orgs, []string{"acme"}) {
			t.Errorf("Orgs() = %q, %v, want [acme]", orgs, err)
		}
		if list, err := events(ctx, r, "acme", 0, 10); err != nil || !slices.Equal(seqs(list), []int64{0}) {
			t.Errorf("Events(acme, 0, 10) = %v, %v, want [0]", seqs(list), err)
		}
		return nil
	})
}

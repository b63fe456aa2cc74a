package ledger

import (
	"context"
	"fmt"

	"github.com/steleaudit/stele/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is the height of stored hash tiles: 2^8 hashes a tile, as in
// C2SP tlog-tiles. Only the bottom row of each tile is stored; the rows
// above it are recomputed on read.
const tileHeight = 8

// A tileHashes reads an organization's stored tree hashes (tlog's stored
// hash indexes) from its tiles, overlaid with hashes computed in the
// current batch and not yet written. It is used by one goroutine.
type tileHashes struct {
	ctx   context.Context
	r     store.Reader
	org   string
	fresh map[int64]tlog.Hash // stored hash index → hash, this batch
	tiles map[[2]int64][]byte // (level, n) → tile data read from the store
}

func newTileHashes(ctx context.Context, r store.Reader, org string) *tileHashes {
	return &tileHashes{ctx: ctx, r: r, org: org, tiles: map[[2]int64][]byte{}}
}

// ReadHashes implements tlog.HashReader.
func (th *tileHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if h, ok := th.fresh[idx]; ok {
			out[i] = h
			continue
		}
		t := tlog.TileForIndex(tileHeight, idx)
		data, err := th.tile(t)
		if err != nil {
			return nil, err
		}
		t.W = len(data) / tlog.HashSize
		if out[i], err = tlog.HashFromTile(t, data, idx); err != nil {
			return nil, fmt.Errorf("couldn't read hash %d of %s: %w", idx, th.org, err)
		}
	}
	return out, nil
}

// tile returns the stored data of t, at least t.W hashes wide.
func (th *tileHashes) tile(t tlog.Tile) ([]byte, error) {
	key := [2]int64{int64(t.L), t.N}
	if data, ok := th.tiles[key]; ok && len(data) >= t.W*tlog.HashSize {
		return data, nil
	}
	data, err := th.r.Tiles(th.ctx, th.org, []tlog.Tile{t})
	if err != nil {
		return nil, fmt.Errorf("couldn't read tile %s of %s: %w", t.Path(), th.org, err)
	}
	th.tiles[key] = data[0]
	return data[0], nil
}

// leafHash returns the stored hash of leaf seq.
func (th *tileHashes) leafHash(seq int64) (tlog.Hash, error) {
	hs, err := th.ReadHashes([]int64{tlog.StoredHashIndex(0, seq)})
	if err != nil {
		return tlog.Hash{}, err
	}
	return hs[0], nil
}

package ledger

import (
	"bytes"
	"context"
	"fmt"
	"maps"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
	"golang.org/x/mod/sumdb/tlog"
)

// lookupIDs looks up, in every log of batch at once, the ids of its
// records that the ledger didn't make: org → id → seq of those stored.
func lookupIDs(ctx context.Context, tx store.Tx, batch []*request) (map[string]map[string]int64, error) {
	ids := map[string][]string{}
	for _, req := range batch {
		for j, r := range req.recs {
			if !req.minted[j] {
				ids[req.org] = append(ids[req.org], r.ID)
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	stored, err := tx.LookupAllIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("couldn't look up event ids: %w", err)
	}
	return stored, nil
}

// appendOrg appends the records of org's requests in batch (at indexes
// reqs) to org's log, whose head tx has locked and whose stored ids
// lookupIDs found, fills in their results, and returns org's new tree
// head. Requests refused for this org alone (a rolled-back log) get their
// error in results; an error returned aborts the whole batch.
func (s *sequencer) appendOrg(ctx context.Context, tx store.Tx, org string, head store.Head, stored map[string]int64, reqs []int, batch []*request, results []result, edges map[string]*edge) (store.Head, error) {
	signed, err := s.signedSize(ctx, tx, org)
	if err != nil {
		return head, err
	}
	if head.Size < signed {
		s.l.log.Error("log is smaller than its last signed checkpoint; refusing to append",
			"org", org, "tree_size", head.Size, "checkpoint_size", signed)
		for _, i := range reqs {
			results[i].err = fmt.Errorf("%w: %s has %d leaves, checkpoint signed at %d", ErrRollback, org, head.Size, signed)
		}
		return head, nil
	}

	n := 0
	for _, i := range reqs {
		n += len(batch[i].recs)
	}

	th := newTileHashes(ctx, tx, org)
	th.fresh = make(map[int64]tlog.Hash, 2*n)
	if e := s.edges[org]; e != nil && e.size == head.Size {
		// The tiles this sequencer last wrote for a tree of this size are
		// what is stored: trees only grow, so an equal size means no one
		// appended since.
		maps.Copy(th.tiles, e.tiles)
	}
	first := make(map[string]Receipt, n) // by id: this batch's or the stored answer
	var events []*store.Event
	size := head.Size
	for _, i := range reqs {
		req := batch[i]
		receipts := make([]Receipt, len(req.recs))
		for j, r := range req.recs {
			if rc, ok := first[r.ID]; ok {
				rc.Duplicate = true
				receipts[j] = rc
				continue
			}
			if seq, ok := stored[r.ID]; ok {
				rc, err := storedReceipt(ctx, tx, th, org, seq, r)
				if err != nil {
					return head, err
				}
				first[r.ID] = rc
				receipts[j] = rc
				continue
			}
			hashes, err := tlog.StoredHashesForRecordHash(size, req.hashes[j], th)
			if err != nil {
				return head, fmt.Errorf("couldn't hash leaf %d of %s: %w", size, org, err)
			}
			base := tlog.StoredHashIndex(0, size)
			for k, h := range hashes {
				th.fresh[base+int64(k)] = h
			}
			rc := Receipt{ID: r.ID, Seq: size, LeafHash: req.hashes[j], ReceivedAt: r.ReceivedAt}
			first[r.ID] = rc
			receipts[j] = rc
			events = append(events, &store.Event{Seq: size, Record: *r})
			size++
		}
		results[i].receipts = receipts
	}
	for _, i := range reqs {
		results[i].size = size
	}
	if size == head.Size {
		return head, nil // all duplicates
	}

	if err := tx.Append(ctx, org, events); err != nil {
		return head, fmt.Errorf("couldn't append to %s: %w", org, err)
	}
	tiles := tlog.NewTiles(tileHeight, head.Size, size)
	data := make([][]byte, len(tiles))
	for i, t := range tiles {
		if data[i], err = tlog.ReadTileData(t, th); err != nil {
			return head, fmt.Errorf("couldn't build tile %s of %s: %w", t.Path(), org, err)
		}
	}
	if err := tx.PutTiles(ctx, org, tiles, data); err != nil {
		return head, fmt.Errorf("couldn't store tiles of %s: %w", org, err)
	}
	for i, t := range tiles {
		th.tiles[[2]int64{int64(t.L), t.N}] = data[i]
	}
	edges[org] = rightEdge(th.tiles, size)
	root, err := tlog.TreeHash(size, th)
	if err != nil {
		return head, fmt.Errorf("couldn't compute the root of %s: %w", org, err)
	}
	head = store.Head{Size: size, Root: root}
	if err := tx.SetHead(ctx, org, head); err != nil {
		return head, fmt.Errorf("couldn't store the head of %s: %w", org, err)
	}
	return head, nil
}

// storedReceipt rebuilds the receipt of org's stored event at seq, whose
// id is r's. It is a duplicate unless it is r itself, stored by a try
// whose outcome was unknown: then it has r's salt, 16 random bytes.
func storedReceipt(ctx context.Context, tx store.Tx, th *tileHashes, org string, seq int64, r *verify.Record) (Receipt, error) {
	e, err := tx.Event(ctx, org, seq)
	if err != nil {
		return Receipt{}, fmt.Errorf("couldn't read %s event %d: %w", org, seq, err)
	}
	h, err := th.leafHash(seq)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{ID: e.ID, Seq: seq, LeafHash: h, ReceivedAt: e.ReceivedAt, Duplicate: !bytes.Equal(e.Salt, r.Salt)}, nil
}

// An edge is the stored tiles at the right edge of a tree of some size:
// what appending to it reads.
type edge struct {
	size  int64
	tiles map[[2]int64][]byte // (level, n) → data
}

// rightEdge keeps, of tiles, those at the right edge of the tree of size
// leaves: at each level, the last tile and the one before it.
func rightEdge(tiles map[[2]int64][]byte, size int64) *edge {
	e := &edge{size: size, tiles: map[[2]int64][]byte{}}
	for k, data := range tiles {
		last := (size >> (k[0] * tileHeight)) >> tileHeight
		if k[1] >= last-1 {
			e.tiles[k] = data
		}
	}
	return e
}

package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/steleaudit/stele/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrBadRange means a proof was asked for sizes or indexes the log cannot
// prove: beyond its size, or out of order.
var ErrBadRange = errors.New("ledger: no such proof")

// An InclusionProof shows the leaf at Seq is in the tree of TreeSize leaves.
type InclusionProof struct {
	Seq      int64
	TreeSize int64
	LeafHash tlog.Hash
	Hashes   []tlog.Hash
}

// ProveInclusion proves org's leaf seq is in its tree of size leaves.
func (l *Ledger) ProveInclusion(ctx context.Context, org string, seq, size int64) (*InclusionProof, error) {
	p := &InclusionProof{Seq: seq, TreeSize: size}
	err := l.st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		if err := checkSizes(ctx, r, org, seq+1, size); err != nil {
			return err
		}
		th := newTileHashes(ctx, r, org)
		var err error
		if p.LeafHash, err = th.leafHash(seq); err != nil {
			return err
		}
		p.Hashes, err = tlog.ProveRecord(size, seq, th)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ProveConsistency proves org's tree of from leaves is a prefix of its tree
// of to leaves.
func (l *Ledger) ProveConsistency(ctx context.Context, org string, from, to int64) ([]tlog.Hash, error) {
	var hashes []tlog.Hash
	err := l.st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		if err := checkSizes(ctx, r, org, from, to); err != nil {
			return err
		}
		var err error
		hashes, err = tlog.ProveTree(to, from, newTileHashes(ctx, r, org))
		return err
	})
	return hashes, err
}

// checkSizes checks 1 <= lo <= hi <= org's tree size.
func checkSizes(ctx context.Context, r store.Reader, org string, lo, hi int64) error {
	head, err := r.Head(ctx, org)
	if err != nil {
		return err
	}
	if lo < 1 || lo > hi || hi > head.Size {
		return fmt.Errorf("%w: sizes %d..%d in a tree of %d", ErrBadRange, lo, hi, head.Size)
	}
	return nil
}

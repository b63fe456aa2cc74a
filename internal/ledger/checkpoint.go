package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
	"golang.org/x/mod/sumdb/note"
)

// sign signs org's tree head, locked in tx, and stores the checkpoint.
// It returns the checkpoint, or the stored one when another ledger on the
// store (another server) has signed this tree already, or nil when there
// is nothing to sign. It refuses (logging, not failing the batch) to sign
// a tree smaller than one signed before. The last checkpoint is read
// under the head's lock, not from s's memory: another ledger may have
// signed since.
func (s *sequencer) sign(ctx context.Context, tx store.Tx, org string, heads map[string]store.Head, now time.Time) (*store.Checkpoint, error) {
	head := heads[org] // locked
	last, err := tx.LatestCheckpoint(ctx, org)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("couldn't read the latest checkpoint of %s: %w", org, err)
	case head.Size < last.Size:
		s.l.log.Error("refusing to sign a tree smaller than its last checkpoint",
			"org", org, "tree_size", head.Size, "checkpoint_size", last.Size)
		return nil, nil
	case head.Size == last.Size:
		return &last, nil
	}
	if head.Size == 0 {
		return nil, nil
	}
	text := verify.Checkpoint{Origin: s.l.key.Origin(org), Size: head.Size, Root: head.Root}.Format()
	msg, err := note.Sign(&note.Note{Text: string(text)}, s.l.key.Signer)
	if err != nil {
		return nil, fmt.Errorf("couldn't sign the checkpoint of %s: %w", org, err)
	}
	cp := store.Checkpoint{Size: head.Size, Note: msg, SignedAt: now.UTC()}
	if err := tx.PutCheckpoint(ctx, org, cp); err != nil {
		return nil, fmt.Errorf("couldn't store the checkpoint of %s: %w", org, err)
	}
	return &cp, nil
}

// checkpoints holds the latest published checkpoint of each log, and wakes
// those waiting for a new one.
type checkpoints struct {
	mu      sync.Mutex
	latest  map[string]store.Checkpoint // guarded by mu
	changed chan struct{}               // guarded by mu; closed and replaced on publish
}

func (c *checkpoints) init() {
	c.latest = map[string]store.Checkpoint{}
	c.changed = make(chan struct{})
}

// publish makes cp visible; it must already be durable.
func (c *checkpoints) publish(org string, cp store.Checkpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.latest[org]; !ok || cp.Size > old.Size {
		c.latest[org] = cp
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *checkpoints) get(org string) (store.Checkpoint, bool, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, ok := c.latest[org]
	return cp, ok, c.changed
}

// LatestCheckpoint returns org's latest signed checkpoint, or
// store.ErrNotFound if none was signed yet. It reads the store, not what
// this ledger signed: another ledger on the store may have signed since.
func (l *Ledger) LatestCheckpoint(ctx context.Context, org string) (store.Checkpoint, error) {
	var cp store.Checkpoint
	err := l.st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		var err error
		cp, err = r.LatestCheckpoint(ctx, org)
		return err
	})
	return cp, err
}

// CheckpointAt returns org's checkpoint signed at exactly size, or
// store.ErrNotFound.
func (l *Ledger) CheckpointAt(ctx context.Context, org string, size int64) (store.Checkpoint, error) {
	var cp store.Checkpoint
	err := l.st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		var err error
		cp, err = r.Checkpoint(ctx, org, size)
		return err
	})
	return cp, err
}

// WaitCheckpoint returns the first checkpoint of org covering at least size
// leaves, waiting for it to be signed (within CheckpointInterval of the
// append, while the ledger runs).
func (l *Ledger) WaitCheckpoint(ctx context.Context, org string, size int64) (store.Checkpoint, error) {
	for {
		cp, ok, changed := l.cps.get(org)
		if !ok {
			var err error
			cp, err = l.LatestCheckpoint(ctx, org)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return cp, err
			}
		}
		if cp.Size >= size && cp.Note != nil {
			return cp, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return store.Checkpoint{}, ctx.Err()
		case <-l.done:
			return store.Checkpoint{}, ErrClosed
		}
	}
}

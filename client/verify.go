package client

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/steleaudit/stele/verify"
)

// CheckInclusion checks, offline, that e is in the log whose signed
// checkpoint cp (opened with verify.OpenCheckpoint) p proves it against:
// it recomputes e's leaf hash from its content and salts, and checks the
// proof up to cp's root.
func CheckInclusion(e *Event, p *InclusionProof, cp verify.Checkpoint) error {
	leaf, err := verify.LeafHash(&e.Record)
	if err != nil {
		return fmt.Errorf("event %d: %w", e.Seq, err)
	}
	if !bytes.Equal(leaf[:], p.LeafHash) {
		return fmt.Errorf("event %d: its content hashes to a leaf other than the proof's", e.Seq)
	}
	if p.Seq != e.Seq || p.TreeSize != cp.Size {
		return fmt.Errorf("event %d: the proof is for seq %d in a tree of %d, not this event in the checkpoint's %d", e.Seq, p.Seq, p.TreeSize, cp.Size)
	}
	hashes, err := hashArrays(p.Hashes)
	if err != nil {
		return err
	}
	if err := verify.Inclusion(hashes, e.Seq, cp.Size, cp.Root, leaf); err != nil {
		return fmt.Errorf("event %d: %w", e.Seq, err)
	}
	return nil
}

// CheckConsistency checks, offline, that p proves the log of checkpoint
// old is a prefix of that of checkpoint new.
func CheckConsistency(p *ConsistencyProof, old, new verify.Checkpoint) error {
	if p.From != old.Size || p.To != new.Size {
		return fmt.Errorf("the proof is from %d to %d, not from %d to %d", p.From, p.To, old.Size, new.Size)
	}
	hashes, err := hashArrays(p.Hashes)
	if err != nil {
		return err
	}
	return verify.Consistency(hashes, old.Size, new.Size, old.Root, new.Root)
}

func hashArrays(hs [][]byte) ([][32]byte, error) {
	out := make([][32]byte, len(hs))
	for i, h := range hs {
		if len(h) != 32 {
			return nil, errors.New("a proof hash is not 32 bytes")
		}
		out[i] = [32]byte(h)
	}
	return out, nil
}

package verify

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// maxProofLen bounds proofs: no tree of up to 2^63 leaves needs more.
const maxProofLen = 64

// maxTreeSize bounds tree sizes: tlog's proof checks never return for a
// larger tree (its maxpow2 loops forever above 2^62), and no log gets near.
const maxTreeSize = 1 << 62

// Inclusion checks that proof shows the leaf with hash leafHash at index in
// the tree of size leaves whose root is root (RFC 9162 section 2.1.3).
func Inclusion(proof [][32]byte, index, size int64, root, leafHash [32]byte) error {
	if index < 0 || size <= 0 || index >= size {
		return fmt.Errorf("verify: leaf index %d is outside a tree of size %d", index, size)
	}
	if size > maxTreeSize {
		return fmt.Errorf("verify: tree size %d is too large", size)
	}
	if len(proof) > maxProofLen {
		return errors.New("verify: inclusion proof is too long")
	}
	p := make(tlog.RecordProof, len(proof))
	for i := range proof {
		p[i] = proof[i]
	}
	if err := tlog.CheckRecord(p, size, root, index, leafHash); err != nil {
		return fmt.Errorf("verify: inclusion proof: %w", err)
	}
	return nil
}

// Consistency checks that proof shows the tree of oldSize leaves with root
// oldRoot is a prefix of the tree of newSize leaves with root newRoot
// (RFC 9162 section 2.1.4). Equal sizes need an empty proof and equal roots.
func Consistency(proof [][32]byte, oldSize, newSize int64, oldRoot, newRoot [32]byte) error {
	if oldSize <= 0 || oldSize > newSize {
		return fmt.Errorf("verify: no consistency proof from size %d to size %d", oldSize, newSize)
	}
	if newSize > maxTreeSize {
		return fmt.Errorf("verify: tree size %d is too large", newSize)
	}
	if len(proof) > maxProofLen {
		return errors.New("verify: consistency proof is too long")
	}
	if oldSize == newSize {
		if len(proof) != 0 || oldRoot != newRoot {
			return errors.New("verify: consistency proof: trees of equal size differ")
		}
		return nil
	}
	p := make(tlog.TreeProof, len(proof))
	for i := range proof {
		p[i] = proof[i]
	}
	if err := tlog.CheckTree(p, newSize, newRoot, oldSize, oldRoot); err != nil {
		return fmt.Errorf("verify: consistency proof: %w", err)
	}
	return nil
}

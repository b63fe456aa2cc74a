package verify_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steleaudit/stele/verify"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/tlog"
)

// treeSize is the size of the test tree; every size up to it is checked.
const treeSize = 1000

// leafText is the data of leaf i of every test tree (and of testdata/roots.txt).
func leafText(i int64) []byte { return fmt.Appendf(nil, "stele test leaf %d", i) }

// A testTree is a log of treeSize leaves built two ways: with tlog, as Stele
// builds it (stored hashes in memory), and with transparency-dev/merkle's
// in-memory tree, an independent RFC 6962 implementation.
type testTree struct {
	stored []tlog.Hash    // tlog's stored hashes
	leaves []tlog.Hash    // leaf hashes
	roots  []tlog.Hash    // roots[n] is tlog.TreeHash(n)
	ref    *testonly.Tree // transparency-dev/merkle's tree of the same leaves
}

func (t *testTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	h := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.stored)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		h[i] = t.stored[x]
	}
	return h, nil
}

var theTree = sync.OnceValue(func() *testTree {
	t := &testTree{ref: testonly.New(rfc6962.DefaultHasher)}
	for i := range int64(treeSize) {
		h, err := tlog.StoredHashes(i, leafText(i), t)
		if err != nil {
			panic(err)
		}
		t.stored = append(t.stored, h...)
		t.leaves = append(t.leaves, tlog.RecordHash(leafText(i)))
		t.ref.AppendData(leafText(i))
	}
	for n := range int64(treeSize + 1) {
		r, err := tlog.TreeHash(n, t)
		if err != nil {
			panic(err)
		}
		t.roots = append(t.roots, r)
	}
	return t
})

// leafHash returns the hash of the tree's leaf i, or of a leaf that is in
// no test tree when i is out of range.
func (t *testTree) leafHash(i int64) [32]byte {
	if i >= 0 && i < treeSize {
		return t.leaves[i]
	}
	return tlog.RecordHash(fmt.Appendf(nil, "no such leaf %d", i))
}

// root returns the root of the tree's first n leaves, or a hash that is no
// test tree's root when n is out of range.
func (t *testTree) root(n int64) [32]byte {
	if n >= 0 && n <= treeSize {
		return t.roots[n]
	}
	return sha256.Sum256(fmt.Appendf(nil, "no such tree %d", n))
}

func (t *testTree) proveRecord(tb testing.TB, index, size int64) [][32]byte {
	tb.Helper()
	p, err := tlog.ProveRecord(size, index, t)
	if err != nil {
		tb.Fatalf("ProveRecord(%d, %d): %v", size, index, err)
	}
	return hashes(p)
}

func (t *testTree) proveTree(tb testing.TB, oldSize, newSize int64) [][32]byte {
	tb.Helper()
	p, err := tlog.ProveTree(newSize, oldSize, t)
	if err != nil {
		tb.Fatalf("ProveTree(%d, %d): %v", newSize, oldSize, err)
	}
	return hashes(p)
}

func hashes[H ~[32]byte](p []H) [][32]byte {
	out := make([][32]byte, len(p))
	for i, h := range p {
		out[i] = h
	}
	return out
}

func toSlices(p [][32]byte) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

func fromSlices(tb testing.TB, p [][]byte) [][32]byte {
	out := make([][32]byte, len(p))
	for i := range p {
		if len(p[i]) != 32 {
			tb.Fatalf("hash %d of proof is %d bytes", i, len(p[i]))
		}
		out[i] = [32]byte(p[i])
	}
	return out
}

// refInclusion and refConsistency are transparency-dev/merkle's verdicts.
func refInclusion(p [][32]byte, index, size int64, root, leaf [32]byte) error {
	return proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(index), uint64(size), leaf[:], toSlices(p), root[:])
}

func refConsistency(p [][32]byte, oldSize, newSize int64, oldRoot, newRoot [32]byte) error {
	return proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(oldSize), uint64(newSize), toSlices(p), oldRoot[:], newRoot[:])
}

// sampledPairs returns every pair a <= b of sizes up to 64 (a from lo),
// and above 64 a sample of pairs for every b up to treeSize.
func sampledPairs(lo int64) [][2]int64 {
	rng := rand.New(rand.NewPCG(1, 2))
	var pairs [][2]int64
	for b := int64(1); b <= treeSize; b++ {
		if b <= 64 {
			for a := lo; a <= b; a++ {
				pairs = append(pairs, [2]int64{a, b})
			}
			continue
		}
		as := []int64{lo, lo + 1, b / 3, b / 2, b - 2, b - 1, b, lo + rng.Int64N(b-lo+1), lo + rng.Int64N(b-lo+1)}
		for p := int64(1); p < b; p *= 2 {
			as = append(as, p)
		}
		slices.Sort(as)
		for _, a := range slices.Compact(as) {
			if a >= lo && a <= b {
				pairs = append(pairs, [2]int64{a, b})
			}
		}
	}
	return pairs
}

// TestRootsAgainstReference compares tlog's root of every size up to
// treeSize with transparency-dev/merkle's.
func TestRootsAgainstReference(t *testing.T) {
	tr := theTree()
	for n := int64(0); n <= treeSize; n++ {
		if got, want := tr.roots[n][:], tr.ref.HashAt(uint64(n)); !bytes.Equal(got, want) {
			t.Errorf("TreeHash(%d) = %x, transparency-dev/merkle says %x", n, got, want)
		}
	}
	if got, want := tr.roots[0], sha256.Sum256(nil); got != want {
		t.Errorf("TreeHash(0) = %x, want SHA-256 of nothing %x", got[:], want)
	}
	if got, want := tr.roots[1], tr.leaves[0]; got != want {
		t.Errorf("TreeHash(1) = %x, want the leaf hash %x", got[:], want[:])
	}
}

const rootsFile = "testdata/roots.txt"

// TestRootsKnownAnswers pins the roots of testdata/roots.txt.
func TestRootsKnownAnswers(t *testing.T) {
	tr := theTree()
	var b bytes.Buffer
	fmt.Fprintf(&b, "# RFC 6962 roots of the trees whose leaf i (from 0) is the ASCII text\n")
	fmt.Fprintf(&b, "# %q, for i = 0, 1, ...: size, then root hash in hex.\n", "stele test leaf i")
	fmt.Fprintf(&b, "# Leaf hash SHA-256(0x00 || leaf), node hash SHA-256(0x01 || left || right).\n")
	for _, n := range []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1000} {
		fmt.Fprintf(&b, "%d %s\n", n, hex.EncodeToString(tr.roots[n][:]))
	}
	if *update {
		if err := os.WriteFile(rootsFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(rootsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checked := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		size, root, ok := strings.Cut(line, " ")
		n, err := strconv.ParseInt(size, 10, 64)
		if !ok || err != nil || n < 0 || n > treeSize {
			t.Fatalf("%s: bad line %q", rootsFile, line)
		}
		// Recompute from the leaf text alone, as a reader of the file would.
		h, err := tlog.TreeHash(n, tr)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(h[:]) != root {
			t.Errorf("root of size %d = %s, %s says %s", n, hex.EncodeToString(h[:]), rootsFile, root)
		}
		if !bytes.Equal(tr.ref.HashAt(uint64(n)), h[:]) {
			t.Errorf("root of size %d = %x, transparency-dev/merkle says %x", n, h[:], tr.ref.HashAt(uint64(n)))
		}
		checked++
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if checked != 18 {
		t.Errorf("%s has %d roots, want 18", rootsFile, checked)
	}
}

// TestInclusionAgainstReference checks that for every sampled (index, size)
// tlog's proof is transparency-dev/merkle's, and that both verifiers accept
// it.
func TestInclusionAgainstReference(t *testing.T) {
	tr := theTree()
	for _, pair := range sampledPairs(0) {
		index, size := pair[0], pair[1]
		if index == size {
			continue
		}
		p := tr.proveRecord(t, index, size)
		ref, err := tr.ref.InclusionProof(uint64(index), uint64(size))
		if err != nil {
			t.Fatal(err)
		}
		if refp := fromSlices(t, ref); !slices.Equal(p, refp) {
			t.Errorf("inclusion proof of %d in %d: tlog gives %x, transparency-dev/merkle %x", index, size, p, refp)
			if err := verify.Inclusion(refp, index, size, tr.roots[size], tr.leaves[index]); err != nil {
				t.Errorf("Inclusion(transparency-dev/merkle's proof of %d in %d): %v", index, size, err)
			}
		}
		if err := verify.Inclusion(p, index, size, tr.roots[size], tr.leaves[index]); err != nil {
			t.Errorf("Inclusion(proof of %d in %d): %v", index, size, err)
		}
		if err := refInclusion(p, index, size, tr.roots[size], tr.leaves[index]); err != nil {
			t.Errorf("transparency-dev/merkle rejects the proof of %d in %d: %v", index, size, err)
		}
	}
}

// TestConsistencyAgainstReference does the same for (old, new) pairs.
func TestConsistencyAgainstReference(t *testing.T) {
	tr := theTree()
	for _, pair := range sampledPairs(1) {
		oldSize, newSize := pair[0], pair[1]
		p := tr.proveTree(t, oldSize, newSize)
		ref, err := tr.ref.ConsistencyProof(uint64(oldSize), uint64(newSize))
		if err != nil {
			t.Fatal(err)
		}
		if refp := fromSlices(t, ref); !slices.Equal(p, refp) {
			t.Errorf("consistency proof %d → %d: tlog gives %x, transparency-dev/merkle %x", oldSize, newSize, p, refp)
			if err := verify.Consistency(refp, oldSize, newSize, tr.roots[oldSize], tr.roots[newSize]); err != nil {
				t.Errorf("Consistency(transparency-dev/merkle's proof %d → %d): %v", oldSize, newSize, err)
			}
		}
		if err := verify.Consistency(p, oldSize, newSize, tr.roots[oldSize], tr.roots[newSize]); err != nil {
			t.Errorf("Consistency(proof %d → %d): %v", oldSize, newSize, err)
		}
		if err := refConsistency(p, oldSize, newSize, tr.roots[oldSize], tr.roots[newSize]); err != nil {
			t.Errorf("transparency-dev/merkle rejects the proof %d → %d: %v", oldSize, newSize, err)
		}
	}
}

// mutationSizes are the tree sizes whose proofs get every mutation: powers
// of two and their neighbours, where off-by-one errors live.
var mutationSizes = []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 511, 512, 513, 999, 1000}

// mutations returns every proof one edit away from p: each single bit
// flipped, a hash dropped, added, duplicated or swapped with its neighbour.
func mutations(p [][32]byte) [][][32]byte {
	var out [][][32]byte
	for i := range p {
		for bit := range 256 {
			q := slices.Clone(p)
			q[i][bit/8] ^= 1 << (bit % 8)
			out = append(out, q)
		}
		out = append(out, slices.Delete(slices.Clone(p), i, i+1))
		out = append(out, slices.Insert(slices.Clone(p), i, p[i]))
		if i+1 < len(p) && p[i] != p[i+1] {
			q := slices.Clone(p)
			q[i], q[i+1] = q[i+1], q[i]
			out = append(out, q)
		}
	}
	for i := 0; i <= len(p); i++ {
		out = append(out, slices.Insert(slices.Clone(p), i, [32]byte{}))
	}
	if len(p) > 1 {
		q := slices.Clone(p)
		slices.Reverse(q)
		out = append(out, q)
	}
	return out
}

// flips returns h with each single bit flipped in turn.
func flips(h [32]byte) [][32]byte {
	out := make([][32]byte, 0, 256)
	for bit := range 256 {
		g := h
		g[bit/8] ^= 1 << (bit % 8)
		out = append(out, g)
	}
	return out
}

// TestInclusionMutations checks that no one-edit change of a valid
// inclusion proof, leaf hash, root or index is accepted.
func TestInclusionMutations(t *testing.T) {
	tr := theTree()
	for _, size := range mutationSizes {
		indexes := []int64{0, size / 2, size - 1}
		if size <= 17 {
			indexes = nil
			for i := range size {
				indexes = append(indexes, i)
			}
		}
		for _, index := range slices.Compact(indexes) {
			root, leaf := tr.roots[size], tr.leaves[index]
			p := tr.proveRecord(t, index, size)
			reject := func(what string, p [][32]byte, index, size int64, root, leaf [32]byte) {
				t.Helper()
				if err := verify.Inclusion(p, index, size, root, leaf); err == nil {
					t.Errorf("Inclusion accepts the proof of %d in %d with %s", index, size, what)
				}
				if err := refInclusion(p, index, size, root, leaf); err == nil {
					t.Errorf("transparency-dev/merkle accepts the proof of %d in %d with %s", index, size, what)
				}
			}
			for _, q := range mutations(p) {
				reject(fmt.Sprintf("proof %x", q), q, index, size, root, leaf)
			}
			for _, r := range flips(root) {
				reject("a bit of the root flipped", p, index, size, r, leaf)
			}
			for _, l := range flips(leaf) {
				reject("a bit of the leaf hash flipped", p, index, size, root, l)
			}
			for other := range size {
				if other != index {
					reject(fmt.Sprintf("index %d", other), p, other, size, root, leaf)
					reject(fmt.Sprintf("leaf %d's hash", other), p, index, size, root, tr.leaves[other])
				}
			}
			if size > 1 { // else the empty proof is the proof, and the root is the leaf
				reject("an empty proof", nil, index, size, root, leaf)
				reject("the root as the leaf", p, index, size, root, root)
			}
		}
	}
}

// TestConsistencyMutations checks that no one-edit change of a valid
// consistency proof, either root or the old size is accepted.
func TestConsistencyMutations(t *testing.T) {
	tr := theTree()
	for _, newSize := range mutationSizes {
		olds := []int64{1, newSize / 2, newSize - 1, newSize}
		if newSize <= 17 {
			olds = nil
			for o := int64(1); o <= newSize; o++ {
				olds = append(olds, o)
			}
		}
		for _, oldSize := range slices.Compact(olds) {
			if oldSize < 1 {
				continue
			}
			oldRoot, newRoot := tr.roots[oldSize], tr.roots[newSize]
			p := tr.proveTree(t, oldSize, newSize)
			reject := func(what string, p [][32]byte, oldSize, newSize int64, oldRoot, newRoot [32]byte) {
				t.Helper()
				if err := verify.Consistency(p, oldSize, newSize, oldRoot, newRoot); err == nil {
					t.Errorf("Consistency accepts %d → %d with %s", oldSize, newSize, what)
				}
				if err := refConsistency(p, oldSize, newSize, oldRoot, newRoot); err == nil {
					t.Errorf("transparency-dev/merkle accepts %d → %d with %s", oldSize, newSize, what)
				}
			}
			for _, q := range mutations(p) {
				reject(fmt.Sprintf("proof %x", q), q, oldSize, newSize, oldRoot, newRoot)
			}
			for _, r := range flips(oldRoot) {
				reject("a bit of the old root flipped", p, oldSize, newSize, r, newRoot)
			}
			for _, r := range flips(newRoot) {
				reject("a bit of the new root flipped", p, oldSize, newSize, oldRoot, r)
			}
			for other := int64(1); other <= newSize; other++ {
				if other != oldSize {
					reject(fmt.Sprintf("old size %d", other), p, other, newSize, oldRoot, newRoot)
					reject(fmt.Sprintf("the old root of size %d", other), p, oldSize, newSize, tr.roots[other], newRoot)
				}
			}
			if oldSize < newSize {
				reject("an empty proof", nil, oldSize, newSize, oldRoot, newRoot)
				reject("the roots swapped", p, oldSize, newSize, newRoot, oldRoot)
			}
		}
	}
}

// TestProofBounds checks the sizes and lengths the verifier refuses
// whatever the hashes.
func TestProofBounds(t *testing.T) {
	tr := theTree()
	r5, r6 := tr.roots[5], tr.roots[6]
	one := tr.proveTree(t, 5, 6)
	for _, tt := range []struct {
		name             string
		proof            [][32]byte
		oldSize, newSize int64
		oldRoot, newRoot [32]byte
	}{
		{"(0, 0)", nil, 0, 0, tr.roots[0], tr.roots[0]},
		{"(-1, 0)", nil, -1, 0, tr.roots[0], tr.roots[0]},
		{"(0, 5): nothing to prove about an empty tree", nil, 0, 5, tr.roots[0], r5},
		{"(-1, 5)", nil, -1, 5, r5, r5},
		{"(5, -1)", nil, 5, -1, r5, r5},
		{"old > new", one, 6, 5, r6, r5},
		{"old > new, empty proof", nil, 6, 5, r6, r5},
		{"old == new, different roots", nil, 5, 5, r5, r6},
		{"old == new, equal roots, a proof", [][32]byte{r5}, 5, 5, r5, r5},
		{"(MinInt64, MaxInt64)", one, math.MinInt64, math.MaxInt64, r5, r6},
		{"(5, MaxInt64)", one, 5, math.MaxInt64, r5, r6},
		{"(MaxInt64, MaxInt64)", nil, math.MaxInt64, math.MaxInt64, r5, r6},
		{"65 hashes", make([][32]byte, 65), 5, 6, r5, r6},
		{"1000 hashes", make([][32]byte, 1000), 1, 1 << 62, r5, r6},
		{"huge tree, one hash", one, 1, 1<<62 + 1, r5, r6},
		{"huge tree, 62 hashes", make([][32]byte, 62), 1<<62 - 1, math.MaxInt64, r5, r6},
	} {
		if err := within(t, func() error {
			return verify.Consistency(tt.proof, tt.oldSize, tt.newSize, tt.oldRoot, tt.newRoot)
		}); err == nil {
			t.Errorf("Consistency %s: accepted", tt.name)
		}
	}
	if err := verify.Consistency(nil, 5, 5, r5, r5); err != nil {
		t.Errorf("Consistency(5 → 5, equal roots, no proof): %v", err)
	}

	leaf := tr.leaves[0]
	for _, tt := range []struct {
		name        string
		proof       [][32]byte
		index, size int64
		root        [32]byte
	}{
		{"size 0", nil, 0, 0, tr.roots[0]},
		{"size -1", nil, 0, -1, tr.roots[0]},
		{"index -1", nil, -1, 1, tr.roots[1]},
		{"index == size", nil, 1, 1, tr.roots[1]},
		{"index > size", nil, 7, 5, r5},
		{"MinInt64", nil, math.MinInt64, math.MinInt64, r5},
		{"MaxInt64", tr.proveRecord(t, 0, 5), 0, math.MaxInt64, r5},
		{"65 hashes", make([][32]byte, 65), 0, 5, r5},
		{"1000 hashes", make([][32]byte, 1000), 0, 1 << 62, r5},
		{"huge tree, one hash", make([][32]byte, 1), 0, 1<<62 + 1, r5},
		{"huge tree, 63 hashes", make([][32]byte, 63), 1 << 62, math.MaxInt64, r5},
	} {
		if err := within(t, func() error {
			return verify.Inclusion(tt.proof, tt.index, tt.size, tt.root, leaf)
		}); err == nil {
			t.Errorf("Inclusion %s: accepted", tt.name)
		}
	}

	// The largest trees that are accepted still get an answer at once.
	for _, size := range []int64{1 << 62, 1<<62 - 1} {
		if err := within(t, func() error {
			return verify.Inclusion(make([][32]byte, 62), size-1, size, r5, leaf)
		}); err == nil {
			t.Errorf("Inclusion at size %d: accepted", size)
		}
		if err := within(t, func() error {
			return verify.Consistency(make([][32]byte, 62), size/3, size, r5, r6)
		}); err == nil {
			t.Errorf("Consistency to size %d: accepted", size)
		}
	}
}

// within runs f and fails t if it does not return within a few seconds.
func within(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("proof check did not return within 5s")
		return nil
	}
}

// TestDuplicatedLastLeaf checks the tree does not pad odd levels by
// duplication (CVE-2012-2459): [a, b, c] and [a, b, c, c] have different
// roots, and c is not proven at index 3 of the three-leaf tree.
func TestDuplicatedLastLeaf(t *testing.T) {
	a, b, c := tlog.RecordHash([]byte("a")), tlog.RecordHash([]byte("b")), tlog.RecordHash([]byte("c"))
	stored := memoryTree{}
	for i, h := range []tlog.Hash{a, b, c, c} {
		hs, err := tlog.StoredHashesForRecordHash(int64(i), h, stored)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	r3, err := tlog.TreeHash(3, stored)
	if err != nil {
		t.Fatal(err)
	}
	r4, err := tlog.TreeHash(4, stored)
	if err != nil {
		t.Fatal(err)
	}
	if r3 == r4 {
		t.Fatalf("root of [a b c] = root of [a b c c] = %x", r3[:])
	}
	if want := tlog.NodeHash(tlog.NodeHash(a, b), c); r3 != want {
		t.Errorf("root of [a b c] = %x, want H(H(a,b),c) = %x", r3[:], want[:])
	}
	p, err := tlog.ProveRecord(4, 3, stored)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{3, 4} {
		if err := verify.Inclusion(hashes(p), 3, size, r3, c); err == nil {
			t.Errorf("Inclusion(c at 3 of %d, root of [a b c]): accepted", size)
		}
	}
	if err := verify.Inclusion(hashes(p), 3, 4, r4, c); err != nil {
		t.Errorf("Inclusion(c at 3 of [a b c c]): %v", err)
	}
	// And the two trees are not consistent in the wrong direction.
	q, err := tlog.ProveTree(4, 3, stored)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify.Consistency(hashes(q), 3, 4, r3, r4); err != nil {
		t.Errorf("Consistency([a b c] → [a b c c]): %v", err)
	}
	if err := verify.Consistency(hashes(q), 3, 3, r4, r3); err == nil {
		t.Errorf("Consistency([a b c c] as size 3): accepted")
	}
}

type memoryTree []tlog.Hash

func (m memoryTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	h := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		h[i] = m[x]
	}
	return h, nil
}

// TestInteriorNodeAsLeaf checks the second-preimage attack RFC 6962's
// domain separation prevents: an interior node's two children, presented as
// one 64-byte leaf, are not proven anywhere, even where the node's own hash
// (which no leaf data can produce) would be.
func TestInteriorNodeAsLeaf(t *testing.T) {
	tr := theTree()
	const size = 512
	root := tr.roots[size]
	for _, level := range []int{1, 2, 3, 8} {
		width := int64(1) << level
		for _, k := range []int64{0, 1, size/width/2 - 1, size/width - 1} {
			left := tlog.Hash(tr.subtree(k*width, k*width+width/2))
			right := tlog.Hash(tr.subtree(k*width+width/2, (k+1)*width))
			node := tlog.NodeHash(left, right)
			if node != tr.subtree(k*width, (k+1)*width) {
				t.Fatalf("node %d at level %d: hash mismatch", k, level)
			}
			fake := tlog.RecordHash(append(left[:], right[:]...)) // the 64-byte "leaf"
			p := tr.proveRecord(t, k*width, size)[level:]         // the node's path to the root

			// The path is right: with the node's hash as a leaf hash, the
			// tree cut off at this level would verify.
			if err := verify.Inclusion(p, k, size/width, root, node); err != nil {
				t.Fatalf("node %d at level %d: the attack's path is wrong: %v", k, level, err)
			}
			if err := verify.Inclusion(p, k, size/width, root, fake); err == nil {
				t.Errorf("Inclusion accepts the children of node %d at level %d as leaf %d of %d", k, level, k, size/width)
			}
			for index := range int64(size) {
				if err := verify.Inclusion(tr.proveRecord(t, index, size), index, size, root, fake); err == nil {
					t.Errorf("Inclusion accepts the children of node %d at level %d as leaf %d", k, level, index)
				}
			}
		}
	}
}

// subtree returns the hash of the complete subtree over leaves [lo, hi).
func (t *testTree) subtree(lo, hi int64) [32]byte {
	if hi-lo == 1 {
		return t.leaves[lo]
	}
	mid := lo + (hi-lo)/2
	return tlog.NodeHash(t.subtree(lo, mid), t.subtree(mid, hi))
}

func proofBytes(p [][32]byte) []byte {
	var b []byte
	for _, h := range p {
		b = append(b, h[:]...)
	}
	return b
}

func parseProof(b []byte) [][32]byte {
	p := make([][32]byte, len(b)/32)
	for i := range p {
		p[i] = [32]byte(b[32*i:])
	}
	return p
}

// FuzzInclusion compares Inclusion with transparency-dev/merkle's verifier
// on any index, size, proof, leaf and root, where leaf and root are picked
// by number from the test tree (a number outside it picks a hash in no
// tree). When size and root match, only the one true proof of the true leaf
// may pass.
//
// Intended differences, where merkle accepts and we do not: sizes above
// 2^62 (tlog cannot handle them; no log gets near) and proofs of more than
// 64 hashes. Negative numbers are not valid input for merkle at all.
func FuzzInclusion(f *testing.F) {
	tr := theTree()
	for _, c := range [][2]int64{{0, 1}, {0, 2}, {1, 2}, {2, 3}, {4, 7}, {5, 8}, {100, 513}, {999, 1000}, {0, 1000}} {
		f.Add(c[0], c[1], c[0], c[1], proofBytes(tr.proveRecord(f, c[0], c[1])))
	}
	f.Add(int64(0), int64(4), int64(0), int64(3), proofBytes(tr.proveRecord(f, 0, 3)))
	f.Add(int64(-1), int64(1), int64(0), int64(1), []byte{})
	f.Add(int64(0), int64(1<<62+1), int64(0), int64(1), make([]byte, 32))
	f.Fuzz(func(t *testing.T, index, size, leafIndex, rootSize int64, proofData []byte) {
		p := parseProof(proofData)
		leaf, root := tr.leafHash(leafIndex), tr.root(rootSize)
		err := verify.Inclusion(p, index, size, root, leaf)
		ours := err == nil
		if index >= 0 && size >= 0 {
			ref := refInclusion(p, index, size, root, leaf)
			intended := ref == nil && (size > 1<<62 || len(p) > 64)
			if ours != (ref == nil) && !intended {
				t.Fatalf("Inclusion(%x, %d, %d) = %v, transparency-dev/merkle says %v", p, index, size, err, ref)
			}
		} else if ours {
			t.Fatalf("Inclusion(%x, %d, %d) accepted", p, index, size)
		}
		if 0 <= index && index < size && size <= treeSize && rootSize == size {
			want := leafIndex == index && slices.Equal(p, tr.proveRecord(t, index, size))
			if ours != want {
				t.Fatalf("Inclusion(%x, leaf %d at %d of %d) = %v, want accepted %v", p, leafIndex, index, size, err, want)
			}
		}
	})
}

// FuzzConsistency does the same for consistency proofs. Intended
// differences: we refuse an old size of 0 (a proof from the empty tree
// proves nothing, and no checkpoint of it is signed), sizes above 2^62 and
// proofs of more than 64 hashes.
func FuzzConsistency(f *testing.F) {
	tr := theTree()
	for _, c := range [][2]int64{{1, 1}, {1, 2}, {2, 3}, {3, 7}, {4, 8}, {5, 8}, {7, 8}, {100, 513}, {512, 1000}, {999, 1000}} {
		f.Add(c[0], c[1], c[0], c[1], proofBytes(tr.proveTree(f, c[0], c[1])))
	}
	f.Add(int64(0), int64(5), int64(0), int64(5), []byte{})
	f.Add(int64(1), int64(1<<62+1), int64(1), int64(2), proofBytes(tr.proveTree(f, 1, 2)))
	f.Fuzz(func(t *testing.T, oldSize, newSize, oldRootSize, newRootSize int64, proofData []byte) {
		p := parseProof(proofData)
		oldRoot, newRoot := tr.root(oldRootSize), tr.root(newRootSize)
		err := verify.Consistency(p, oldSize, newSize, oldRoot, newRoot)
		ours := err == nil
		if oldSize >= 0 && newSize >= 0 {
			ref := refConsistency(p, oldSize, newSize, oldRoot, newRoot)
			intended := ref == nil && (oldSize == 0 || newSize > 1<<62 || len(p) > 64)
			if ours != (ref == nil) && !intended {
				t.Fatalf("Consistency(%x, %d, %d) = %v, transparency-dev/merkle says %v", p, oldSize, newSize, err, ref)
			}
		} else if ours {
			t.Fatalf("Consistency(%x, %d, %d) accepted", p, oldSize, newSize)
		}
		if 1 <= oldSize && oldSize <= newSize && newSize <= treeSize && oldRootSize == oldSize && newRootSize == newSize {
			want := slices.Equal(p, tr.proveTree(t, oldSize, newSize))
			if ours != want {
				t.Fatalf("Consistency(%x, %d → %d) = %v, want accepted %v", p, oldSize, newSize, err, want)
			}
		}
	})
}

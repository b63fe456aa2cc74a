package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// A Problem is one thing Check found wrong with a log.
type Problem struct {
	Org    string
	Seq    int64 // the first event concerned, or -1
	Reason string
}

func (p Problem) String() string {
	if p.Seq < 0 {
		return fmt.Sprintf("org %s: %s", p.Org, p.Reason)
	}
	return fmt.Sprintf("org %s seq %d: %s", p.Org, p.Seq, p.Reason)
}

// A CheckSummary counts what Check looked at.
type CheckSummary struct {
	Orgs, Events, Checkpoints int64
	Problems                  int64
}

// checkChunk is how many events Check reads and hashes at a time.
const checkChunk = 4096

// Check verifies every log in st from first principles: it recomputes each
// leaf from the stored record, rebuilds each tree, compares every stored
// tree hash and tree head with the rebuilt tree, and checks every stored
// checkpoint's signature (by verifierKey) and root. It calls report for
// each problem, naming the org and seq, and never skips over a gap. Memory
// stays flat in the number of events (it grows with checkpoints: 40 bytes
// each). The error is for failures to read, not for problems found.
func Check(ctx context.Context, st store.Store, verifierKey string, report func(Problem)) (CheckSummary, error) {
	var sum CheckSummary
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return sum, fmt.Errorf("couldn't read the verifier key: %w", err)
	}
	var orgs []string
	err = st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		orgs, err = r.Orgs(ctx)
		return err
	})
	if err != nil {
		return sum, fmt.Errorf("couldn't list logs: %w", err)
	}
	count := func(p Problem) { sum.Problems++; report(p) }
	for _, org := range orgs {
		err := st.Read(ctx, func(ctx context.Context, r store.Reader) error {
			c := &orgCheck{ctx: ctx, st: st, r: r, org: org, verifierKey: verifierKey, name: v.Name(), report: count}
			return c.run(&sum)
		})
		if err != nil {
			return sum, fmt.Errorf("couldn't check %s: %w", org, err)
		}
		sum.Orgs++
	}
	return sum, nil
}

// An orgCheck checks one organization's log within one read snapshot.
type orgCheck struct {
	ctx         context.Context
	st          store.Store
	r           store.Reader
	org         string
	verifierKey string
	name        string
	report      func(Problem)

	head    store.Head
	cps     []checkedCheckpoint // signed checkpoints not yet compared, by size
	tree    treeBuilder
	tiles   map[int][]byte // level → stored data of the tile being compared
	tileN   map[int]int64  // level → which tile that is
	lastBad int64          // the last seq found bad at the leaf level
}

type checkedCheckpoint struct {
	size int64
	root tlog.Hash
}

func (c *orgCheck) problem(seq int64, format string, args ...any) {
	c.report(Problem{Org: c.org, Seq: seq, Reason: fmt.Sprintf(format, args...)})
}

func (c *orgCheck) run(sum *CheckSummary) error {
	var err error
	if c.head, err = c.r.Head(c.ctx, c.org); err != nil {
		return err
	}
	if err := c.readCheckpoints(sum); err != nil {
		return err
	}
	c.tiles, c.tileN, c.lastBad = map[int][]byte{}, map[int]int64{}, -1
	c.tree.onNode = c.compareNode
	slots, stop := c.readChunks()
	defer stop()
	for range (c.head.Size + checkChunk - 1) / checkChunk {
		ch := <-<-slots
		if ch.err != nil {
			return ch.err
		}
		c.checkChunk(ch, sum)
	}
	if root := c.tree.root(); root != c.head.Root {
		c.problem(-1, "stored tree head (size %d) does not match the events", c.head.Size)
	}
	for _, cp := range c.cps { // none were reached by the walk
		c.problem(-1, "checkpoint at size %d is beyond the tree of size %d (truncated log?)", cp.size, c.head.Size)
	}
	extra := 0
	err = c.r.Events(c.ctx, c.org, c.head.Size, math.MaxInt64, func(e *store.Event) error {
		if extra++; extra <= 100 {
			c.problem(e.Seq, "event beyond the tree of size %d", c.head.Size)
		}
		return nil
	})
	if extra > 100 {
		c.problem(-1, "%d more events beyond the tree", extra-100)
	}
	return err
}

// readCheckpoints checks each stored checkpoint's signature and form, and
// keeps its size and root to compare with the rebuilt tree.
func (c *orgCheck) readCheckpoints(sum *CheckSummary) error {
	origin := c.name + "/org/" + c.org
	return c.r.Checkpoints(c.ctx, c.org, func(cp store.Checkpoint) error {
		sum.Checkpoints++
		parsed, err := verify.OpenCheckpoint(cp.Note, c.verifierKey, origin)
		switch {
		case err != nil:
			c.problem(-1, "checkpoint at size %d: %v", cp.Size, err)
		case parsed.Size != cp.Size:
			c.problem(-1, "checkpoint stored at size %d says size %d", cp.Size, parsed.Size)
		case parsed.Size == 0:
			c.problem(-1, "checkpoint of an empty tree")
		default:
			c.cps = append(c.cps, checkedCheckpoint{size: parsed.Size, root: parsed.Root})
		}
		return nil
	})
}

// A chunk is checkChunk consecutive events, read and hashed.
type chunk struct {
	from   int64
	recs   []*verify.Record // nil where no event is stored
	faults map[int64]string
	hashes []tlog.Hash
	errs   []error // why a record could not be encoded
	err    error   // why the chunk could not be read
}

// readChunks reads and hashes the events of the tree in chunks, on every
// core, and hands out the chunks' slots in order. Each chunk is read in a
// read transaction of its own: stored events never change, so every
// snapshot since the head was read agrees on them (if one did not, the
// events would disagree with the tree, which Check reports). stop
// releases the readers.
func (c *orgCheck) readChunks() (slots <-chan chan *chunk, stop func()) {
	ctx, cancel := context.WithCancel(c.ctx)
	workers := runtime.GOMAXPROCS(0)
	type job struct {
		from int64
		slot chan *chunk
	}
	jobs := make(chan job)
	ordered := make(chan chan *chunk, 2*workers) // bounds the chunks in memory
	go func() {
		defer close(jobs)
		for from := int64(0); from < c.head.Size; from += checkChunk {
			slot := make(chan *chunk, 1)
			select {
			case ordered <- slot:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{from, slot}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		go func() {
			for j := range jobs {
				j.slot <- c.readChunk(ctx, j.from)
			}
		}()
	}
	return ordered, cancel
}

// readChunk reads the events from seq from on, and hashes them.
func (c *orgCheck) readChunk(ctx context.Context, from int64) *chunk {
	to := min(from+checkChunk, c.head.Size)
	ch := &chunk{from: from, recs: make([]*verify.Record, to-from), faults: map[int64]string{}}
	ch.err = c.st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		return r.Events(ctx, c.org, from, to, func(e *store.Event) error {
			if e.Seq < from || e.Seq >= to || ch.recs[e.Seq-from] != nil {
				return fmt.Errorf("store returned seq %d for range %d..%d", e.Seq, from, to)
			}
			ch.recs[e.Seq-from] = cloneRecord(&e.Record)
			if e.Fault != "" {
				ch.faults[e.Seq] = e.Fault
			}
			return nil
		})
	})
	ch.hashes = make([]tlog.Hash, len(ch.recs))
	ch.errs = make([]error, len(ch.recs))
	for i, r := range ch.recs {
		if r != nil {
			ch.hashes[i], ch.errs[i] = verify.LeafHash(r)
		}
	}
	return ch
}

// checkChunk feeds a chunk's leaves to the tree in order, reporting the
// events that are missing, damaged or cannot be encoded.
func (c *orgCheck) checkChunk(ch *chunk, sum *CheckSummary) {
	for i, r := range ch.recs {
		seq := ch.from + int64(i)
		h := ch.hashes[i]
		switch {
		case r == nil:
			c.bad(seq, "event is missing")
			h = c.storedLeaf(seq)
		case ch.faults[seq] != "":
			c.bad(seq, "stored event is damaged: %s", ch.faults[seq])
			h = c.storedLeaf(seq)
		case ch.errs[i] != nil:
			c.bad(seq, "event cannot be encoded: %v", ch.errs[i])
			h = c.storedLeaf(seq)
		case r.Org != c.org:
			c.bad(seq, "event belongs to org %q", r.Org)
		}
		if r != nil {
			sum.Events++
		}
		c.tree.add(h)
		c.checkpointsAt(c.tree.n)
	}
}

func (c *orgCheck) bad(seq int64, format string, args ...any) {
	c.lastBad = seq
	c.problem(seq, format, args...)
}

// storedLeaf returns the stored leaf hash at seq, so a missing or broken
// record is reported once rather than again for every tree hash above it.
func (c *orgCheck) storedLeaf(seq int64) tlog.Hash {
	data := c.tile(0, seq>>tileHeight)
	j := int(seq & (1<<tileHeight - 1))
	var h tlog.Hash
	if len(data) >= (j+1)*tlog.HashSize {
		copy(h[:], data[j*tlog.HashSize:])
	}
	return h
}

// checkpointsAt compares the checkpoints of size n with the rebuilt root.
func (c *orgCheck) checkpointsAt(n int64) {
	for len(c.cps) > 0 && c.cps[0].size == n {
		if c.cps[0].root != c.tree.root() {
			c.problem(n-1, "signed checkpoint at size %d does not match the events", n)
		}
		c.cps = c.cps[1:]
	}
}

// compareNode compares a rebuilt tree node with the stored hash, for the
// levels tiles store (multiples of tileHeight).
func (c *orgCheck) compareNode(level int, index int64, h tlog.Hash) {
	if level%tileHeight != 0 {
		return
	}
	tl := level / tileHeight
	data := c.tile(tl, index>>tileHeight)
	j := int(index & (1<<tileHeight - 1))
	first := index << level
	if len(data) == 0 {
		return // a missing tile, reported once by tile
	}
	if len(data) >= (j+1)*tlog.HashSize && bytes.Equal(data[j*tlog.HashSize:(j+1)*tlog.HashSize], h[:]) {
		return
	}
	switch {
	case level == 0:
		c.bad(first, "leaf hash does not match the stored tree")
	case c.lastBad >= first:
		// explained by a leaf already reported
	default:
		c.problem(first, "stored tree hash over seqs %d..%d does not match the events", first, first+1<<level-1)
	}
}

// tile returns the stored data of tile (level, n), as wide as the tree
// says it is. A missing or wrong-width tile is reported once.
func (c *orgCheck) tile(level int, n int64) []byte {
	if c.tileN[level] == n && c.tiles[level] != nil {
		return c.tiles[level]
	}
	w := min(int64(1)<<tileHeight, c.head.Size>>(level*tileHeight)-n<<tileHeight)
	t := tlog.Tile{H: tileHeight, L: level, N: n, W: int(max(w, 1))}
	data, err := c.r.Tiles(c.ctx, c.org, []tlog.Tile{t})
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.problem(n<<(level*tileHeight+tileHeight), "stored tree hashes %s are missing", t.Path())
		data = [][]byte{{}}
	case err != nil:
		c.problem(-1, "couldn't read tile %s: %v", t.Path(), err)
		data = [][]byte{{}}
	case len(data[0]) > t.W*tlog.HashSize:
		c.problem(n<<(level*tileHeight+tileHeight), "stored tree hashes %s are wider than the tree of size %d (truncated log?)", t.Path(), c.head.Size)
	}
	c.tiles[level], c.tileN[level] = data[0], n
	return data[0]
}

// A treeBuilder rebuilds an RFC 6962 tree leaf by leaf, keeping only the
// roots of its complete subtrees.
type treeBuilder struct {
	n      int64 // leaves added
	stack  []tlog.Hash
	levels []int
	onNode func(level int, index int64, h tlog.Hash)
}

func (b *treeBuilder) add(leaf tlog.Hash) {
	b.onNode(0, b.n, leaf)
	b.stack, b.levels = append(b.stack, leaf), append(b.levels, 0)
	for k := len(b.stack); k >= 2 && b.levels[k-1] == b.levels[k-2]; k-- {
		h := tlog.NodeHash(b.stack[k-2], b.stack[k-1])
		level := b.levels[k-1] + 1
		b.stack, b.levels = append(b.stack[:k-2], h), append(b.levels[:k-2], level)
		b.onNode(level, b.n>>level, h)
	}
	b.n++
}

func (b *treeBuilder) root() tlog.Hash {
	if len(b.stack) == 0 {
		return tlog.Hash{}
	}
	h := b.stack[len(b.stack)-1]
	for i := len(b.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(b.stack[i], h)
	}
	return h
}

func cloneRecord(r *verify.Record) *verify.Record {
	c := *r
	c.Details = bytes.Clone(r.Details)
	c.Salt = bytes.Clone(r.Salt)
	c.Personal = slices.Clone(r.Personal)
	if r.Commitments != nil {
		c.Commitments = make(map[string][]byte, len(r.Commitments))
		for k, v := range r.Commitments {
			c.Commitments[k] = bytes.Clone(v)
		}
	}
	return &c
}

// parallel calls f(0..n-1) spread over every core.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}

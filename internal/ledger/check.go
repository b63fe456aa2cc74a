package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
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

// checkChunk is how many events Check reads and hashes at a time: small
// enough that a small log still keeps every core busy, big enough that the
// read transaction each one takes costs little.
const checkChunk = 1024

// Check verifies every log in st from first principles: it recomputes each
// leaf from the stored record, rebuilds each tree, compares every stored
// tree hash and tree head with the rebuilt tree, and checks every stored
// checkpoint's signature (by verifierKey) and root. It calls report for
// each problem, naming the org and seq, and never skips over a gap. Memory
// stays flat in the number of events (it grows with checkpoints: 40 bytes
// each, and with organizations). The error is for failures to read, not
// for problems found.
//
// Every core reads and hashes events, in chunks, while one goroutine
// rebuilds the trees in order; the chunks run on from one log to the next,
// so many small logs keep the cores as busy as one large one.
func Check(ctx context.Context, st store.Store, verifierKey string, report func(Problem)) (CheckSummary, error) {
	var sum CheckSummary
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return sum, fmt.Errorf("couldn't read the verifier key: %w", err)
	}
	var logs []logSize
	err = st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		orgs, err := r.Orgs(ctx)
		if err != nil {
			return err
		}
		for _, org := range orgs {
			h, err := r.Head(ctx, org)
			if err != nil {
				return err
			}
			logs = append(logs, logSize{org, h.Size})
		}
		return nil
	})
	if err != nil {
		return sum, fmt.Errorf("couldn't list logs: %w", err)
	}
	chunks, stop := readChunks(ctx, st, logs)
	defer stop()
	count := func(p Problem) { sum.Problems++; report(p) }
	for _, l := range logs {
		err := st.Read(ctx, func(ctx context.Context, r store.Reader) error {
			c := &orgCheck{ctx: ctx, r: r, org: l.org, verifierKey: verifierKey, name: v.Name(), report: count}
			return c.run(&sum, l.size, chunks)
		})
		if err != nil {
			return sum, fmt.Errorf("couldn't check %s: %w", l.org, err)
		}
		sum.Orgs++
	}
	return sum, nil
}

// A logSize is an organization's log and its size when Check began.
type logSize struct {
	org  string
	size int64
}

// An orgCheck checks one organization's log within one read snapshot.
type orgCheck struct {
	ctx         context.Context
	r           store.Reader
	org         string
	verifierKey string
	name        string
	report      func(Problem)

	head    store.Head
	cps     []checkedCheckpoint // signed checkpoints not yet compared, by size
	tree    treeBuilder
	tiles   map[int][]byte           // level → stored data of the tile being compared
	tileN   map[int]int64            // level → which tile that is
	ahead   map[int]map[int64][]byte // level → n → data of tiles read ahead
	lastBad int64                    // the last seq found bad at the leaf level
}

type checkedCheckpoint struct {
	size int64
	root tlog.Hash
}

func (c *orgCheck) problem(seq int64, format string, args ...any) {
	c.report(Problem{Org: c.org, Seq: seq, Reason: fmt.Sprintf(format, args...)})
}

// run checks the log against its head in this snapshot. The first size
// events (the log's size when Check began) come hashed from chunks, read
// in snapshots of their own: stored events never change, so every
// snapshot since agrees on them (if one did not, the events would disagree
// with the tree, which run reports). Events appended since, it reads here.
func (c *orgCheck) run(sum *CheckSummary, size int64, chunks <-chan chan *chunk) error {
	var err error
	if c.head, err = c.r.Head(c.ctx, c.org); err != nil {
		return err
	}
	if c.head.Size < size {
		for range chunkCount(size) { // not needed, but they are in line
			<-<-chunks
		}
		c.problem(-1, "tree head went from size %d to %d during the check", size, c.head.Size)
		return nil
	}
	if err := c.readCheckpoints(sum); err != nil {
		return err
	}
	c.tiles, c.tileN, c.ahead, c.lastBad = map[int][]byte{}, map[int]int64{}, map[int]map[int64][]byte{}, -1
	c.tree.onNode = c.compareNode
	for range chunkCount(size) {
		ch := <-<-chunks
		if ch.err != nil {
			return ch.err
		}
		c.checkChunk(ch, sum)
	}
	for from := size; from < c.head.Size; from += checkChunk {
		ch := readChunk(c.ctx, c.r, c.org, from, min(from+checkChunk, c.head.Size))
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

func chunkCount(size int64) int64 { return (size + checkChunk - 1) / checkChunk }

// readCheckpoints checks each stored checkpoint's signature and form, and
// keeps its size and root to compare with the rebuilt tree.
func (c *orgCheck) readCheckpoints(sum *CheckSummary) error {
	want := origin(c.name, c.org)
	return c.r.Checkpoints(c.ctx, c.org, func(cp store.Checkpoint) error {
		sum.Checkpoints++
		parsed, err := verify.OpenCheckpoint(cp.Note, c.verifierKey, want)
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
	events int64           // how many are stored
	hashes []tlog.Hash     // their leaf hashes
	bad    map[int]badLeaf // by index in the chunk: what is wrong
	err    error           // why the chunk could not be read
}

// A badLeaf is an event Check reports when it reaches its seq.
type badLeaf struct {
	reason string
	stored bool // use the stored leaf hash: the event has none to trust
}

// readChunks reads and hashes the first size events of each log, in
// chunks, on every core, and hands out the chunks' slots in order, log
// after log. Each chunk is read in a read transaction of its own. stop
// ends the reading and waits for the readers to return.
func readChunks(ctx context.Context, st store.Store, logs []logSize) (slots <-chan chan *chunk, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	type job struct {
		org      string
		from, to int64
		slot     chan *chunk
	}
	jobs := make(chan job)
	ordered := make(chan chan *chunk, 2*workers) // bounds the chunks in memory
	wg.Go(func() {
		defer close(jobs)
		for _, l := range logs {
			for from := int64(0); from < l.size; from += checkChunk {
				j := job{l.org, from, min(from+checkChunk, l.size), make(chan *chunk, 1)}
				select {
				case ordered <- j.slot:
				case <-ctx.Done():
					return
				}
				select {
				case jobs <- j:
				case <-ctx.Done():
					return
				}
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				var ch *chunk
				err := st.Read(ctx, func(ctx context.Context, r store.Reader) error {
					ch = readChunk(ctx, r, j.org, j.from, j.to)
					return nil
				})
				if err != nil {
					ch = &chunk{from: j.from, err: err}
				}
				j.slot <- ch
			}
		})
	}
	return ordered, func() { cancel(); wg.Wait() }
}

// readChunk reads org's events from seq from to seq to, and hashes them as
// they come: only the hashes and what is wrong outlive the read.
func readChunk(ctx context.Context, r store.Reader, org string, from, to int64) *chunk {
	ch := &chunk{from: from, hashes: make([]tlog.Hash, to-from), bad: map[int]badLeaf{}}
	seen := make([]bool, to-from)
	ch.err = r.Events(ctx, org, from, to, func(e *store.Event) error {
		if e.Seq < from || e.Seq >= to || seen[e.Seq-from] {
			return fmt.Errorf("store returned seq %d for range %d..%d", e.Seq, from, to)
		}
		i := int(e.Seq - from)
		seen[i] = true
		ch.events++
		if e.Fault != "" {
			ch.bad[i] = badLeaf{"stored event is damaged: " + e.Fault, true}
			return nil
		}
		var err error
		if ch.hashes[i], err = verify.LeafHash(&e.Record); err != nil {
			ch.bad[i] = badLeaf{fmt.Sprintf("event cannot be encoded: %v", err), true}
		} else if e.Org != org {
			ch.bad[i] = badLeaf{fmt.Sprintf("event belongs to org %q", e.Org), false}
		}
		return nil
	})
	for i, ok := range seen {
		if !ok {
			ch.bad[i] = badLeaf{"event is missing", true}
		}
	}
	return ch
}

// checkChunk feeds a chunk's leaves to the tree in order, reporting the
// events that are missing, damaged or cannot be encoded.
func (c *orgCheck) checkChunk(ch *chunk, sum *CheckSummary) {
	sum.Events += ch.events
	for i, h := range ch.hashes {
		seq := ch.from + int64(i)
		if b, ok := ch.bad[i]; ok {
			c.bad(seq, "%s", b.reason)
			if b.stored {
				h = c.storedLeaf(seq)
			}
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
	t := tlog.Tile{H: tileHeight, L: level, N: n, W: int(max(c.tileWidth(level, n), 1))}
	data, err := c.readTile(t)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.problem(n<<(level*tileHeight+tileHeight), "stored tree hashes %s are missing", t.Path())
		data = []byte{}
	case err != nil:
		c.problem(-1, "couldn't read tile %s: %v", t.Path(), err)
		data = []byte{}
	case len(data) > t.W*tlog.HashSize:
		c.problem(n<<(level*tileHeight+tileHeight), "stored tree hashes %s are wider than the tree of size %d (truncated log?)", t.Path(), c.head.Size)
	}
	c.tiles[level], c.tileN[level] = data, n
	return data
}

// tileWidth returns how many hashes of tile (level, n) the tree has: a
// full tile's worth, fewer at the tree's right edge, none beyond it.
func (c *orgCheck) tileWidth(level int, n int64) int64 {
	return min(int64(1)<<tileHeight, c.head.Size>>(level*tileHeight)-n<<tileHeight)
}

// tilesAhead is how many tiles of a level readTile reads at a time.
const tilesAhead = 16

// readTile returns the stored data of t. It reads the tiles of t's level
// from t on in one query, keeping the rest for the next calls; when one of
// them is missing or unreadable, it reads t alone, to say whether t is.
func (c *orgCheck) readTile(t tlog.Tile) ([]byte, error) {
	if data, ok := c.ahead[t.L][t.N]; ok {
		delete(c.ahead[t.L], t.N)
		return data, nil
	}
	ts := []tlog.Tile{t}
	for n := t.N + 1; n < t.N+tilesAhead && c.tileWidth(t.L, n) > 0; n++ {
		ts = append(ts, tlog.Tile{H: tileHeight, L: t.L, N: n, W: int(c.tileWidth(t.L, n))})
	}
	data, err := c.r.Tiles(c.ctx, c.org, ts)
	if err != nil && len(ts) > 1 {
		ts = ts[:1]
		data, err = c.r.Tiles(c.ctx, c.org, ts)
	}
	if err != nil {
		return nil, err
	}
	c.ahead[t.L] = map[int64][]byte{}
	for i, t := range ts[1:] {
		c.ahead[t.L][t.N] = data[i+1]
	}
	return data[0], nil
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

// Package ledger keeps each organization's tamper-evident log: it assigns
// leaf indexes, maintains the RFC 6962 Merkle trees, group-commits batches
// across organizations, signs checkpoints and proves inclusion and
// consistency. It is the only writer of events, tree hashes and checkpoints.
package ledger

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
	"golang.org/x/mod/sumdb/tlog"
)

var (
	// ErrUnavailable means the store failed the commit. When the failure
	// passes (store.ErrTransient), a later retry with the same ids may
	// succeed and stores nothing twice; otherwise the ledger has stopped
	// writing (Failed) until it is reopened.
	ErrUnavailable = errors.New("ledger: storage unavailable")
	// ErrClosed means the ledger was closed.
	ErrClosed = errors.New("ledger: closed")
	// ErrBusy means the sequencer's queue is full: the caller should back
	// off and retry.
	ErrBusy = errors.New("ledger: busy")
)

// Config configures a Ledger. Zero values take the defaults shown.
type Config struct {
	Store store.Store
	Key   *Key
	Log   *slog.Logger // default: discard

	// MaxBatch is the most events committed in one transaction (4096).
	MaxBatch int
	// Linger is how long the sequencer waits for more requests once one
	// arrived, when the batch is not full (0: take what is queued, since
	// requests pile up anyway while a commit is in flight).
	Linger time.Duration
	// CheckpointInterval is the longest an append waits for a signed
	// checkpoint, and the shortest time between two checkpoints of one
	// organization (1s).
	CheckpointInterval time.Duration
	// CommitTimeout bounds one batch transaction (30s).
	CommitTimeout time.Duration
	// MaxQueue is the most requests waiting for the sequencers; more are
	// refused with ErrBusy (1024).
	MaxQueue int
	// Writers is how many sequencers commit at once, each the batches of
	// its own share of the organizations (1). More help a store that
	// runs write transactions side by side, as PostgreSQL does, under the
	// load of many organizations; SQLite runs one at a time.
	Writers int
	// Now returns the current time (time.Now).
	Now func() time.Time
	// OnCommit, if set, is called by the sequencer after each of its
	// transactions (batches, and checkpoints signed on their own),
	// committed or failed. It must return quickly.
	OnCommit func(CommitStats)
}

// CommitStats describes one batch transaction.
type CommitStats struct {
	Requests int           // appends answered by the batch
	Events   int           // events appended (duplicates not counted)
	Duration time.Duration // from the start of the transaction to its durable commit
	Err      error         // why it failed, if it did
}

// A Ledger appends to and proves organizations' logs. Its methods are
// safe for concurrent use.
type Ledger struct {
	cfg  Config
	st   store.Store
	key  *Key
	log  *slog.Logger
	seqs []*sequencer  // each organization's is seqs[shard(org)]
	stop chan struct{} // closed by Close
	done chan struct{} // closed when every sequencer has drained and exited

	closeOnce sync.Once
	mu        sync.RWMutex // guards closed against sends on reqs
	closed    bool

	cps    checkpoints
	growth growth
	failed atomic.Bool // set once a commit failed in a way not known to pass
}

// A Receipt is the ledger's answer for one appended event.
type Receipt struct {
	ID         string
	Seq        int64
	LeafHash   tlog.Hash
	ReceivedAt time.Time
	Duplicate  bool // the id was already in the log; this is its first answer
}

// Open starts a ledger on cfg.Store. Logs whose trees grew past their last
// checkpoint (say, after a crash) are signed promptly.
func Open(ctx context.Context, cfg Config) (*Ledger, error) {
	if cfg.Store == nil || cfg.Key == nil {
		return nil, errors.New("ledger: Config needs a Store and a Key")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 4096
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = time.Second
	}
	if cfg.CommitTimeout <= 0 {
		cfg.CommitTimeout = 30 * time.Second
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = 1024
	}
	cfg.Writers = max(cfg.Writers, 1)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Ledger{
		cfg:  cfg,
		st:   cfg.Store,
		key:  cfg.Key,
		log:  cfg.Log,
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	l.cps.init()
	var orgs []string
	err := l.st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		var err error
		orgs, err = r.Orgs(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("couldn't list logs: %w", err)
	}
	shares := make([][]string, cfg.Writers)
	for _, org := range orgs {
		i := l.shard(org)
		shares[i] = append(shares[i], org)
	}
	var wg sync.WaitGroup
	for i := range cfg.Writers {
		s := newSequencer(l, max(cfg.MaxQueue/cfg.Writers, 1))
		l.seqs = append(l.seqs, s)
		wg.Go(func() { s.run(shares[i]) })
	}
	go func() {
		wg.Wait()
		l.growth.closeAll()
		close(l.done)
	}()
	return l, nil
}

// shard returns the index of org's sequencer.
func (l *Ledger) shard(org string) int {
	if l.cfg.Writers == 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(org))
	return int(h.Sum32() % uint32(l.cfg.Writers))
}

// Close stops accepting appends, commits what was queued, signs a final
// checkpoint for every log that grew, and returns. It does not close the
// store.
func (l *Ledger) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		close(l.stop)
		l.mu.Unlock()
	})
	<-l.done
	return nil
}

// Closed reports whether the ledger has stopped.
func (l *Ledger) Closed() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// Failed reports whether a commit failed in a way not known to pass,
// after which the ledger refuses every append with ErrUnavailable.
func (l *Ledger) Failed() bool { return l.failed.Load() }

// Key returns the ledger's signing key.
func (l *Ledger) Key() *Key { return l.key }

// Append adds recs to org's log, in order, and returns when they are
// durable: one receipt per record, and org's tree size after the batch.
// Append fills in each record's Org, ReceivedAt and Salt, and its ID when
// empty. A record whose ID the log already holds (or that repeats an
// earlier ID in recs) is not appended again: its receipt is the first
// one's, marked Duplicate.
//
// Once the batch is queued it is committed even if ctx ends; a caller that
// gives up may retry with the same IDs.
func (l *Ledger) Append(ctx context.Context, org string, recs []*verify.Record) ([]Receipt, int64, error) {
	if err := event.ValidOrg(org); err != nil {
		return nil, 0, err
	}
	if len(recs) == 0 {
		return nil, 0, errors.New("ledger: nothing to append")
	}
	req := &request{org: org, recs: recs, hashes: make([]tlog.Hash, len(recs)), minted: make([]bool, len(recs)), done: make(chan result, 1)}
	now := l.cfg.Now().UTC()
	salts := make([]byte, len(recs)*verify.SaltSize)
	rand.Read(salts)
	for i, r := range recs {
		r.Org = org
		r.ReceivedAt = now
		if r.ID == "" {
			r.ID, req.minted[i] = newID(now), true
		}
		r.Salt = salts[i*verify.SaltSize : (i+1)*verify.SaltSize : (i+1)*verify.SaltSize]
		r.Commitments = nil
	}
	// Leaves are hashed here, on the caller's goroutines and every core,
	// so the sequencer only places them.
	errs := make([]error, len(recs))
	hash := func(i int) { req.hashes[i], errs[i] = verify.LeafHash(recs[i]) }
	if len(recs) >= 64 {
		parallel(len(recs), hash)
	} else {
		for i := range recs {
			hash(i)
		}
	}
	for i, err := range errs {
		if err != nil {
			return nil, 0, fmt.Errorf("ledger: record %d: %w", i, err)
		}
	}
	if err := l.enqueue(ctx, req); err != nil {
		return nil, 0, err
	}
	select {
	case res := <-req.done:
		return res.receipts, res.size, res.err
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
}

func (l *Ledger) enqueue(ctx context.Context, req *request) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	select {
	case l.seqs[l.shard(req.org)].reqs <- req:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	default:
		return ErrBusy
	}
}

// QueueDepth returns how many appends are waiting for the sequencers.
func (l *Ledger) QueueDepth() int {
	n := 0
	for _, s := range l.seqs {
		n += len(s.reqs)
	}
	return n
}

// Head returns org's current tree head.
func (l *Ledger) Head(ctx context.Context, org string) (store.Head, error) {
	var h store.Head
	err := l.st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		var err error
		h, err = r.Head(ctx, org)
		return err
	})
	return h, err
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

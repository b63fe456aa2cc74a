package ledger

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrRollback means an organization's stored tree is smaller than a
// checkpoint already signed for it: the store was restored from an old
// backup or truncated. The ledger refuses to append to or sign that log.
var ErrRollback = errors.New("ledger: log is smaller than its last signed checkpoint")

type request struct {
	org    string
	recs   []*verify.Record
	hashes []tlog.Hash // leaf hashes of recs, computed by the caller
	// minted marks the records whose ID the ledger made: random UUIDv7s,
	// new to the log, so they need no idempotency lookup.
	minted []bool
	done   chan result // buffered: the sequencer never blocks on it
}

type result struct {
	receipts []Receipt
	size     int64
	err      error
}

// signState is what the sequencer knows of one log's checkpoints.
type signState struct {
	size int64     // size of the last signed checkpoint; -1 until read
	at   time.Time // when it was signed
}

// A sequencer is the one goroutine that writes its share of the
// organizations' logs (Config.Writers shares, by a hash of the name) to
// the store. It gathers their requests into batches and commits each
// batch in one transaction, signing due checkpoints in the same
// transaction. Shares are disjoint, so sequencers lock no head in common.
type sequencer struct {
	l      *Ledger
	reqs   chan *request         // its organizations' appends
	signs  map[string]*signState // owned by run
	grown  map[string]bool       // owned by run: logs grown past their last checkpoint
	edges  map[string]*edge      // owned by run: each log's last written tiles
	failed error                 // owned by run; once set, nothing more is written
	timer  *time.Timer           // fires when the next checkpoint is due
}

func newSequencer(l *Ledger, queue int) *sequencer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &sequencer{l: l, reqs: make(chan *request, queue), signs: map[string]*signState{}, grown: map[string]bool{}, edges: map[string]*edge{}, timer: t}
}

// run commits until the ledger stops; orgs are the logs of its share.
func (s *sequencer) run(orgs []string) {
	// Logs may have grown past their last checkpoint before a crash: look
	// at each in the first commit.
	for _, org := range orgs {
		s.grown[org] = true
	}
	s.commit(nil, false)
	for {
		batch, stopping := s.gather()
		s.commit(batch, stopping)
		if stopping {
			return
		}
		s.armTimer()
	}
}

// gather blocks until there is work: a request, a due checkpoint or a
// stop. It returns the requests queued by then, up to MaxBatch events.
func (s *sequencer) gather() (batch []*request, stopping bool) {
	select {
	case r := <-s.reqs:
		batch = append(batch, r)
	case <-s.timer.C:
	case <-s.l.stop:
		stopping = true
	}
	n := 0
	for _, r := range batch {
		n += len(r.recs)
	}
	var linger <-chan time.Time
	if s.l.cfg.Linger > 0 && !stopping {
		linger = time.After(s.l.cfg.Linger)
	}
	for n < s.l.cfg.MaxBatch {
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
			n += len(r.recs)
			continue
		default:
		}
		if linger == nil {
			break
		}
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
			n += len(r.recs)
			continue
		case <-linger:
		case <-s.l.stop:
		}
		break
	}
	return batch, stopping
}

// armTimer sets the timer for the earliest due checkpoint, if any.
func (s *sequencer) armTimer() {
	if len(s.grown) == 0 {
		return
	}
	var next time.Time
	for org := range s.grown {
		if at := s.state(org).at; next.IsZero() || at.Before(next) {
			next = at
		}
	}
	d := next.Add(s.l.cfg.CheckpointInterval).Sub(s.l.cfg.Now())
	s.timer.Reset(max(d, time.Millisecond))
}

// commitTries is how many times a batch is tried while the store's
// failures pass (store.ErrTransient), firstBackoff apart and then twice
// as long each time, before its callers get ErrUnavailable.
const (
	commitTries  = 3
	firstBackoff = 100 * time.Millisecond
)

// commit writes batch and the checkpoints that are due in one transaction,
// then answers every request. With final set, every grown log is signed.
//
// A failure that passes fails only the batch, after a few tries; any
// other fails the ledger: nothing more is written (Failed).
func (s *sequencer) commit(batch []*request, final bool) {
	if s.failed != nil || s.l.failed.Load() { // this sequencer's failure, or another's
		for _, r := range batch {
			r.done <- result{err: ErrUnavailable}
		}
		return
	}
	var err error
	backoff := firstBackoff
	for try := 1; ; try++ {
		if err = s.try(batch, final); err == nil {
			return
		}
		if !passing(err) {
			s.failed = err
			s.l.failed.Store(true)
			s.l.log.Error("ledger commit failed; refusing further writes", "err", err, "requests", len(batch))
			break
		}
		s.forget(batch)
		if try == commitTries || !errors.Is(err, store.ErrTransient) {
			s.l.log.Warn("ledger commit failed; its requests are refused", "err", err, "requests", len(batch), "tries", try)
			break
		}
		time.Sleep(backoff)
		backoff *= 2
	}
	for _, r := range batch {
		r.done <- result{err: fmt.Errorf("%w: %v", ErrUnavailable, err)}
	}
}

// passing reports whether a failed commit may succeed if tried again: the
// store says its failure passes, or the commit ran out of time (and so
// was rolled back, or its outcome is unknown).
func passing(err error) bool {
	return errors.Is(err, store.ErrTransient) || errors.Is(err, context.DeadlineExceeded)
}

// forget drops what the sequencer remembers of the store after a commit
// whose outcome is unknown: it may have committed. Every record of batch
// is then looked up by id when tried again, those whose ids the ledger
// made too, so a retry finds them if they were stored; a log the batch
// wrote to may have grown.
func (s *sequencer) forget(batch []*request) {
	clear(s.edges)
	clear(s.signs)
	for _, r := range batch {
		s.grown[r.org] = true
		clear(r.minted)
	}
}

// try commits batch and the due checkpoints in one transaction and, if it
// commits, answers every request.
func (s *sequencer) try(batch []*request, final bool) error {
	now := s.l.cfg.Now()
	orgs, groups := groupByOrg(batch)
	results := make([]result, len(batch))
	var signed []signedCheckpoint
	var settled []string // grown logs that need no checkpoint after all
	edges := map[string]*edge{}

	ctx, cancel := context.WithTimeout(context.Background(), s.l.cfg.CommitTimeout)
	defer cancel()
	start := time.Now()
	err := s.l.st.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		signed, settled = signed[:0], settled[:0]
		clear(edges)
		due := s.due(orgs, now, final)
		heads, err := lockHeads(ctx, tx, orgs, due)
		if err != nil {
			return err
		}
		stored, err := lookupIDs(ctx, tx, batch)
		if err != nil {
			return err
		}
		for _, org := range orgs {
			head, err := s.appendOrg(ctx, tx, org, heads[org], stored[org], groups[org], batch, results, edges)
			if err != nil {
				return err
			}
			heads[org] = head
		}
		for org := range due {
			cp, err := s.sign(ctx, tx, org, heads, now)
			if err != nil {
				return err
			}
			if cp == nil {
				settled = append(settled, org)
				continue
			}
			signed = append(signed, signedCheckpoint{org, *cp})
		}
		return nil
	})
	if s.l.cfg.OnCommit != nil {
		s.l.cfg.OnCommit(CommitStats{Requests: len(batch), Events: appended(results), Duration: time.Since(start), Err: err})
	}
	if err != nil {
		return err
	}
	for _, org := range orgs {
		s.grown[org] = true
	}
	s.keepEdges(edges)
	for _, org := range settled {
		delete(s.grown, org)
	}
	for _, cp := range signed {
		st := s.state(cp.org)
		st.size, st.at = cp.Size, cp.SignedAt
		delete(s.grown, cp.org)
		s.l.cps.publish(cp.org, cp.Checkpoint)
	}
	s.l.growth.grew(orgs)
	for i, r := range batch {
		r.done <- results[i]
	}
	return nil
}

// appended counts the events a batch added, duplicates left out.
func appended(results []result) int {
	n := 0
	for _, res := range results {
		for _, r := range res.receipts {
			if !r.Duplicate {
				n++
			}
		}
	}
	return n
}

// lockHeads locks the heads of the logs a commit writes, those of its
// batch and those due a checkpoint, all at once: the store locks them in
// the order of their names, as every ledger on it does, so that two never
// wait for each other (PostgreSQL would end one's transaction as a
// deadlock).
func lockHeads(ctx context.Context, tx store.Tx, orgs []string, due map[string]bool) (map[string]store.Head, error) {
	heads, err := tx.LockHeads(ctx, slices.Concat(orgs, slices.Collect(maps.Keys(due))))
	if err != nil {
		return nil, fmt.Errorf("couldn't lock the logs: %w", err)
	}
	return heads, nil
}

// due returns the logs to sign in this commit: those that grew, in this
// batch (orgs) or before, and were last signed at least
// CheckpointInterval ago (or any that grew, when final).
func (s *sequencer) due(orgs []string, now time.Time, final bool) map[string]bool {
	due := map[string]bool{}
	check := func(org string) {
		if final || now.Sub(s.state(org).at) >= s.l.cfg.CheckpointInterval {
			due[org] = true
		}
	}
	for org := range s.grown {
		check(org)
	}
	for _, org := range orgs {
		check(org)
	}
	return due
}

type signedCheckpoint struct {
	org string
	store.Checkpoint
}

func (s *sequencer) state(org string) *signState {
	st := s.signs[org]
	if st == nil {
		st = &signState{size: -1}
		s.signs[org] = st
	}
	return st
}

// groupByOrg returns the organizations of batch in order of first
// appearance, and the indexes of each one's requests.
func groupByOrg(batch []*request) ([]string, map[string][]int) {
	var orgs []string
	groups := map[string][]int{}
	for i, r := range batch {
		if _, ok := groups[r.org]; !ok {
			orgs = append(orgs, r.org)
		}
		groups[r.org] = append(groups[r.org], i)
	}
	return orgs, groups
}

// signedSize returns the size of org's last signed checkpoint, reading it
// from the store the first time.
func (s *sequencer) signedSize(ctx context.Context, tx store.Tx, org string) (int64, error) {
	st := s.state(org)
	if st.size >= 0 {
		return st.size, nil
	}
	cp, err := tx.LatestCheckpoint(ctx, org)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("couldn't read the latest checkpoint of %s: %w", org, err)
	}
	st.size, st.at = cp.Size, cp.SignedAt
	return cp.Size, nil
}

// maxEdges bounds how many logs' right-edge tiles the sequencer keeps.
const maxEdges = 4096

// keepEdges remembers the tiles just committed, forgetting others' when
// there are too many.
func (s *sequencer) keepEdges(edges map[string]*edge) {
	for org, e := range edges {
		s.edges[org] = e
	}
	for org := range s.edges {
		if len(s.edges) <= maxEdges {
			break
		}
		if _, fresh := edges[org]; !fresh {
			delete(s.edges, org)
		}
	}
}

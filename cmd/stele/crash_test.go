package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/store/pgtest"
	"github.com/steleaudit/stele/verify"
)

// Sizes of TestCrashMultiInstance: about 12 s of load on three servers.
const (
	crashWorkers = 6  // worker w shares its ids with worker w±3
	crashKills   = 20 // SIGKILLs, one server at a time
	crashMinCut  = 3  // kills that must have cut requests short
	crashBlock   = 6  // consecutive ids of one organization
)

// TestCrashMultiInstance runs three servers on one PostgreSQL database
// and SIGKILLs one of them, then restarts it on its address, again and
// again while workers send small batches through all three, each id
// sent by two workers. A worker retries a failed batch on the next
// server, as a client would, until it is acknowledged. Afterwards each
// log holds exactly the acknowledged events, once each, at the seqs of
// their receipts and with their leaf hashes, at seqs 0..n-1 (the first
// the organization's creation, as read once registering it logged it);
// the servers serve the same checkpoints, consistent with each other;
// and `stele verify --postgres` finds no problem.
func TestCrashMultiInstance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := pgtest.Schema(t)
	keyFile, key := sharedKey(t)
	insts := make([]*instance, 3)
	clients := make([]*client.Client, len(insts))
	for i := range insts {
		insts[i] = startInstance(t, i, "--postgres", pg, "--signing-key", keyFile)
		clients[i] = insts[i].c
	}
	orgs := []string{"acme", "globex", "initech"}
	acks := map[string]ack{}
	for _, org := range orgs {
		for _, e := range registerOrg(t, clients[0], org) { // acknowledged to the platform
			acks[org+"/"+e.ID] = ack{e.Seq, e.LeafHash}
		}
	}
	registered := len(acks)

	start := time.Now()
	l := &crashLoad{t: t, insts: insts, orgs: orgs, stop: make(chan struct{}),
		deadline: start.Add(45 * time.Second), acks: acks}
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Go(func() { l.work(w) })
	}
	stop := sync.OnceFunc(func() { close(l.stop); wg.Wait() })
	defer stop() // on t.Fatal too: no worker outlives the servers
	kills := l.killRepeatedly()
	stop()
	t.Logf("%d kills in %v, %d of them with requests in flight; %d of those cut some short",
		len(kills), time.Since(start).Round(time.Millisecond), countIf(kills, func(k kill) bool { return k.inflight > 0 }), l.cutKills(kills))
	t.Logf("%d batches (%d events) acknowledged, %d after a retry; %d events committed without an answer; %d sends failed: %d cut short by a kill, %d refused while down, %d answered with an error, %d other",
		l.batches.Load(), len(l.acks)-registered, l.retried.Load(), l.unanswered.Load(),
		l.cut.Load()+l.refused.Load()+l.answered.Load()+l.other.Load(), l.cut.Load(), l.refused.Load(), l.answered.Load(), l.other.Load())
	if t.Failed() {
		return
	}
	if n := l.cutKills(kills); n < crashMinCut {
		t.Errorf("only %d of %d kills cut requests short, want %d or more", n, len(kills), crashMinCut)
	}

	for _, org := range orgs {
		n := l.checkLog(clients[0], org)
		checkConsistent(t, clients, org, key.VerifierKey, n)
	}
	var out, errOut bytes.Buffer
	if err := runVerify(ctx, []string{"--postgres", pg, "--key", key.VerifierKey}, &out, &errOut); err != nil {
		t.Errorf("stele verify --postgres: %v\n%s%s", err, out.String(), errOut.String())
	}
}

// An instance is one server's address and log across the processes
// that serve it, one after another.
type instance struct {
	i       int
	addr    string
	dir     string
	logPath string
	args    []string
	c       *client.Client
	busy    chan struct{} // signalled when a request starts

	mu       sync.Mutex
	s        *testServer // the current process
	gen      int         // the current process's number, from 0
	killed   int         // the last process killed; -1: none
	inflight int         // requests sent and not answered
	cut      map[int]int // process → requests its kill cut short
}

// startInstance starts a server for t, which stops the last process
// serving it gracefully (and wants exit 0) when the test ends.
func startInstance(t *testing.T, i int, args ...string) *instance {
	t.Helper()
	in := &instance{i: i, dir: t.TempDir(), args: args, busy: make(chan struct{}, 1), killed: -1, cut: map[int]int{}}
	in.logPath = filepath.Join(in.dir, "server.log") // every process appends to it
	s, err := startServer(in.dir, "", in.logPath, args...)
	if err != nil {
		t.Fatal(err)
	}
	in.s, in.addr = s, s.addr
	if in.c, err = client.New(s.URL, testToken); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.mu.Lock()
		s := in.s
		in.mu.Unlock()
		select {
		case <-s.done:
		default:
			if err := s.stop(); err != nil {
				t.Errorf("server %d: %v", i, err)
			}
		}
		if t.Failed() {
			t.Logf("server %d:\n%s", i, s.output())
		}
	})
	return in
}

// begin counts a request to the current process and returns its number.
func (in *instance) begin() int {
	in.mu.Lock()
	in.inflight++
	gen := in.gen
	in.mu.Unlock()
	select {
	case in.busy <- struct{}{}:
	default:
	}
	return gen
}

// end counts a request to process gen answered, or failed with err;
// failed at the connection after gen was killed: cut short by the kill.
func (in *instance) end(gen int, err error) (cut bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.inflight--
	var apiErr *client.Error
	if err != nil && gen <= in.killed && !errors.Is(err, syscall.ECONNREFUSED) && !errors.As(err, &apiErr) {
		in.cut[gen]++
		return true
	}
	return false
}

// waitBusy waits up to d for a request in flight.
func (in *instance) waitBusy(d time.Duration) {
	timeout := time.After(d)
	for {
		in.mu.Lock()
		n := in.inflight
		in.mu.Unlock()
		if n > 0 {
			return
		}
		select {
		case <-in.busy:
		case <-timeout:
			return
		}
	}
}

// A kill is one SIGKILL of a process.
type kill struct {
	inst, gen, inflight int
}

// kill SIGKILLs the current process and waits for it to exit.
func (in *instance) kill() kill {
	in.mu.Lock()
	k := kill{inst: in.i, gen: in.gen, inflight: in.inflight}
	in.killed = in.gen
	s := in.s
	in.mu.Unlock()
	s.cmd.Process.Kill()
	<-s.done
	return k
}

// restart starts a new process on the instance's address.
func (in *instance) restart() error {
	s, err := startServer(in.dir, in.addr, in.logPath, in.args...)
	if err != nil {
		return err
	}
	in.mu.Lock()
	in.s = s
	in.gen++
	in.mu.Unlock()
	return nil
}

// An ack is the receipt of an acknowledged event.
type ack struct {
	seq  int64
	leaf []byte
}

// crashLoad is the state TestCrashMultiInstance's workers share.
type crashLoad struct {
	t        *testing.T
	insts    []*instance
	orgs     []string
	stop     chan struct{} // closed: finish the batch in hand and return
	deadline time.Time     // by which every batch must be acknowledged

	mu   sync.Mutex
	acks map[string]ack // org/id → its receipt, or as registering org logged it

	batches, retried, unanswered  atomic.Int64
	cut, refused, answered, other atomic.Int64
	answeredMu                    sync.Mutex
	answeredMsgs                  map[string]bool
}

// killRepeatedly kills one server after another, each while it has
// requests in flight, and restarts it, crashKills times.
func (l *crashLoad) killRepeatedly() []kill {
	var kills []kill
	for k := range crashKills {
		time.Sleep(time.Duration(300+rand.IntN(400)) * time.Millisecond) // load between kills
		in := l.insts[k%len(l.insts)]
		in.waitBusy(time.Second)
		kills = append(kills, in.kill())
		if err := in.restart(); err != nil {
			l.t.Errorf("server %d: restart after kill: %v", in.i, err)
			break
		}
	}
	return kills
}

// cutKills counts the kills that cut requests short.
func (l *crashLoad) cutKills(kills []kill) int {
	return countIf(kills, func(k kill) bool {
		in := l.insts[k.inst]
		in.mu.Lock()
		defer in.mu.Unlock()
		return in.cut[k.gen] > 0
	})
}

func countIf[T any](s []T, f func(T) bool) int {
	n := 0
	for _, v := range s {
		if f(v) {
			n++
		}
	}
	return n
}

// work sends batches of 1 to 4 events until told to stop. Ids go to
// the organizations crashBlock at a time, and a batch never spans two
// blocks. Workers w and w+3 send the ids of even blocks both
// ("p<pair>-<n>"), in batches of other sizes and mostly to other
// servers; those of odd blocks are the worker's own ("w<w>-<n>").
func (l *crashLoad) work(w int) {
	pair := w % (crashWorkers / 2)
	for i, round := 0, 0; ; round++ {
		select {
		case <-l.stop:
			return
		default:
		}
		n := min(1+(w+round)%4, crashBlock-i%crashBlock)
		org := l.orgs[(pair+i/crashBlock)%len(l.orgs)]
		own := i/crashBlock%2 == 1
		batch := make([]client.Entry, n)
		for j := range batch {
			id := fmt.Sprintf("p%d-%06d", pair, i+j)
			if own {
				id = fmt.Sprintf("w%d-%06d", w, i+j)
			}
			batch[j] = client.Entry{ID: id, Event: "auth.login", Actor: client.Actor{Email: fmt.Sprintf("pair%d@example.com", pair)}}
		}
		if !l.send(w+round+w/3, org, batch, own) {
			return
		}
		i += n
	}
}

// send sends batch to the servers in turn from the first'th until one
// acknowledges it, and records its receipts; own says no one else sends
// its ids. It returns false if none did by the deadline.
func (l *crashLoad) send(first int, org string, batch []client.Entry, own bool) bool {
	for attempt := 0; ; attempt++ {
		if time.Now().After(l.deadline) {
			l.t.Errorf("%s %s...: not acknowledged by the deadline", org, batch[0].ID)
			return false
		}
		if attempt > 0 && attempt%len(l.insts) == 0 {
			time.Sleep(20 * time.Millisecond) // every server failed it: back off
		}
		in := l.insts[(first+attempt)%len(l.insts)]
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		gen := in.begin()
		res, err := in.c.Send(ctx, org, batch...)
		cut := in.end(gen, err)
		cancel()
		if err == nil {
			l.acknowledge(org, batch, own, res, attempt)
			return true
		}
		l.failed(err, cut)
	}
}

// failed counts a failed send by its kind.
func (l *crashLoad) failed(err error, cut bool) {
	var apiErr *client.Error
	switch {
	case cut:
		l.cut.Add(1)
	case errors.Is(err, syscall.ECONNREFUSED):
		l.refused.Add(1)
	case errors.As(err, &apiErr):
		l.answered.Add(1)
		l.answeredMu.Lock()
		defer l.answeredMu.Unlock()
		if !l.answeredMsgs[apiErr.Error()] { // each kind once: a 503 is allowed, but say why
			if l.answeredMsgs == nil {
				l.answeredMsgs = map[string]bool{}
			}
			l.answeredMsgs[apiErr.Error()] = true
			l.t.Logf("a server answered: %v", apiErr)
		}
	default:
		l.other.Add(1)
		l.t.Logf("send failed: %v", err)
	}
}

// acknowledge checks the receipts of batch and records them: one per
// event, in order; the new ones at consecutive seqs (a batch commits
// whole); each id at the seq and leaf hash of its first receipt. A batch
// of ids no one else sends (own) has all its events new, or all
// duplicates of one earlier try's, at consecutive seqs.
func (l *crashLoad) acknowledge(org string, batch []client.Entry, own bool, res *client.SendResult, attempt int) {
	t := l.t
	l.batches.Add(1)
	if attempt > 0 {
		l.retried.Add(1)
	}
	if len(res.Events) != len(batch) {
		t.Errorf("%s: %d receipts for %d events", org, len(res.Events), len(batch))
		return
	}
	if own {
		for j, rc := range res.Events[1:] {
			if prev := res.Events[j]; rc.Seq != prev.Seq+1 || rc.Duplicate != prev.Duplicate {
				t.Errorf("%s: a batch half-written? receipts %+v", org, res.Events)
				break
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	next := int64(-1)
	for j, rc := range res.Events {
		if rc.ID != batch[j].ID {
			t.Errorf("%s: receipt %d is of %q, want %q", org, j, rc.ID, batch[j].ID)
			continue
		}
		k := org + "/" + rc.ID
		a, ok := l.acks[k]
		if rc.Duplicate && !ok {
			// Committed by a request whose answer no one had: a kill
			// lost it (or it is on its way to the other worker).
			l.unanswered.Add(1)
		}
		if !rc.Duplicate {
			if next >= 0 && rc.Seq != next {
				t.Errorf("%s %s: new at seq %d, after a new event at %d of the same batch", org, rc.ID, rc.Seq, next-1)
			}
			next = rc.Seq + 1
		}
		if ok && (a.seq != rc.Seq || !bytes.Equal(a.leaf, rc.LeafHash)) {
			t.Errorf("%s acknowledged at seq %d (leaf %x) and at seq %d (leaf %x)", k, a.seq, a.leaf, rc.Seq, rc.LeafHash)
			continue
		}
		l.acks[k] = ack{rc.Seq, rc.LeafHash}
	}
}

// checkLog reads org's log through c and checks it holds exactly the
// acknowledged events, once each, at seqs 0..n-1, whole (each record
// hashes to its receipt's leaf hash). It returns n.
func (l *crashLoad) checkLog(c *client.Client, org string) int64 {
	t := l.t
	t.Helper()
	events := readLog(t, c, org)
	n := int64(len(events))
	seqOf := map[string]int64{}
	for seq := range n {
		e, ok := events[seq]
		if !ok {
			t.Errorf("%s: seq %d missing of 0..%d", org, seq, n-1)
			continue
		}
		if prev, ok := seqOf[e.ID]; ok {
			t.Errorf("%s: %s at seqs %d and %d", org, e.ID, prev, seq)
		}
		seqOf[e.ID] = seq
		a, ok := l.acks[org+"/"+e.ID]
		if !ok {
			t.Errorf("%s: %s at seq %d was never acknowledged", org, e.ID, seq)
			continue
		}
		if h, err := verify.LeafHash(&e.Record); err != nil || !bytes.Equal(h[:], a.leaf) || !bytes.Equal(e.LeafHash, a.leaf) {
			t.Errorf("%s: %s at seq %d hashes to %x (%v), served as %x; acknowledged as %x", org, e.ID, seq, h, err, e.LeafHash, a.leaf)
		}
	}
	acked := 0
	for k, a := range l.acks {
		id, ok := strings.CutPrefix(k, org+"/")
		if !ok {
			continue
		}
		acked++
		if seq, ok := seqOf[id]; !ok {
			t.Errorf("%s acknowledged at seq %d is not in the log", k, a.seq)
		} else if seq != a.seq {
			t.Errorf("%s acknowledged at seq %d is at seq %d", k, a.seq, seq)
		}
	}
	t.Logf("%s: %d events, %d acknowledged", org, n, acked)
	return n
}

// readLog reads all of org's events through c, by seq.
func readLog(t *testing.T, c *client.Client, org string) map[int64]client.Event {
	t.Helper()
	events := map[int64]client.Event{}
	for opts := (client.ListOptions{Limit: 1000}); ; {
		page, err := c.ListEvents(context.Background(), org, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			if prev, ok := events[e.Seq]; ok {
				t.Errorf("%s: seq %d listed twice, as %s and %s", org, e.Seq, prev.ID, e.ID)
			}
			events[e.Seq] = e
		}
		if page.NextCursor == "" {
			return events
		}
		opts.Cursor = page.NextCursor
	}
}

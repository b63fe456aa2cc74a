package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/sqlite"
	"github.com/steleaudit/stele/verify"
	"golang.org/x/mod/sumdb/tlog"
)

// testKey is a fixed signing key, so failures are reproducible.
var testKey = func() *ledger.Key {
	k, err := ledger.ParseKey("PRIVATE+KEY+stele.test+33f04db1+AaiRhqrbbJoe3X+1aunqTMdmMw2SJmfTdmda7X/ecOaW")
	if err != nil {
		panic(err)
	}
	return k
}()

func openStore(t testing.TB, dir string, opts ...sqlite.Option) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "stele.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// newLedger opens a ledger on a fresh SQLite store and, when the test
// ends, closes it and checks every log with Check: the oracle.
func newLedger(t testing.TB, cfg ledger.Config) (*ledger.Ledger, store.Store) {
	t.Helper()
	dir := t.TempDir()
	if cfg.Store == nil {
		cfg.Store = openStore(t, dir)
	}
	cfg.Key = testKey
	l, err := ledger.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
		checkStore(t, cfg.Store)
		cfg.Store.Close()
	})
	return l, cfg.Store
}

// checkStore fails the test on any problem Check finds.
func checkStore(t testing.TB, st store.Store) ledger.CheckSummary {
	t.Helper()
	sum, err := ledger.Check(context.Background(), st, testKey.VerifierKey, func(p ledger.Problem) {
		t.Errorf("Check: %v", p)
	})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return sum
}

func rec(id, actor, ev string) *verify.Record {
	return &verify.Record{
		ID:        id,
		Timestamp: time.Date(2026, 1, 3, 14, 30, 0, 0, time.UTC),
		Event:     ev,
		Category:  "finding",
		Actor:     verify.Actor{Type: "user", Email: actor},
		Target:    verify.Target{ID: "finding-abc123"},
		IP:        "192.168.1.1",
		UserAgent: "Mozilla/5.0",
		Details:   []byte(`{"new_status":"fixed","old_status":"open"}`),
	}
}

func TestAppendProveVerify(t *testing.T) {
	ctx := context.Background()
	l, _ := newLedger(t, ledger.Config{})
	var all []ledger.Receipt
	for b := range 5 {
		var recs []*verify.Record
		for i := range 7 {
			recs = append(recs, rec(fmt.Sprintf("e-%d-%d", b, i), "alice@example.com", "finding.status_changed"))
		}
		rcs, size, err := l.Append(ctx, "acme", recs)
		if err != nil {
			t.Fatal(err)
		}
		if size != int64(7*(b+1)) {
			t.Errorf("Append size = %d, want %d", size, 7*(b+1))
		}
		for i, rc := range rcs {
			want, err := verify.LeafHash(recs[i])
			if err != nil {
				t.Fatal(err)
			}
			if rc.LeafHash != want || rc.Seq != int64(len(all)) || rc.Duplicate || rc.ID != recs[i].ID {
				t.Errorf("receipt %d = %+v, want seq %d leaf %x", len(all), rc, len(all), want)
			}
			all = append(all, rc)
		}
	}

	cp := waitCheckpoint(t, l, "acme", int64(len(all)))
	c, err := verify.OpenCheckpoint(cp.Note, testKey.VerifierKey, testKey.Origin("acme"))
	if err != nil {
		t.Fatal(err)
	}
	head, err := l.Head(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if c.Size != head.Size || c.Root != head.Root {
		t.Fatalf("checkpoint %d %x, head %d %x", c.Size, c.Root, head.Size, head.Root)
	}
	for _, rc := range all {
		p, err := l.ProveInclusion(ctx, "acme", rc.Seq, c.Size)
		if err != nil {
			t.Fatal(err)
		}
		if p.LeafHash != rc.LeafHash {
			t.Errorf("ProveInclusion(%d) leaf = %x, want %x", rc.Seq, p.LeafHash, rc.LeafHash)
		}
		if err := verify.Inclusion(hashes(p.Hashes), rc.Seq, c.Size, c.Root, rc.LeafHash); err != nil {
			t.Errorf("inclusion of %d: %v", rc.Seq, err)
		}
	}
	for from := int64(1); from <= c.Size; from++ {
		var old tlog.Hash
		if err := verifyRootAt(ctx, l, from, &old); err != nil {
			t.Fatal(err)
		}
		proof, err := l.ProveConsistency(ctx, "acme", from, c.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify.Consistency(hashes(proof), from, c.Size, old, c.Root); err != nil {
			t.Errorf("consistency %d..%d: %v", from, c.Size, err)
		}
	}
	for _, bad := range [][2]int64{{0, 3}, {5, 4}, {1, c.Size + 1}} {
		if _, err := l.ProveConsistency(ctx, "acme", bad[0], bad[1]); !errors.Is(err, ledger.ErrBadRange) {
			t.Errorf("ProveConsistency(%d, %d) = %v, want ErrBadRange", bad[0], bad[1], err)
		}
	}
	if _, err := l.ProveInclusion(ctx, "acme", c.Size, c.Size); !errors.Is(err, ledger.ErrBadRange) {
		t.Errorf("ProveInclusion(size, size) = %v, want ErrBadRange", err)
	}
}

// verifyRootAt computes the root of acme's first n leaves from inclusion
// proofs' leaf hashes, independently of the ledger's tree code.
func verifyRootAt(ctx context.Context, l *ledger.Ledger, n int64, root *tlog.Hash) error {
	var leaves []tlog.Hash
	for i := range n {
		p, err := l.ProveInclusion(ctx, "acme", i, n)
		if err != nil {
			return err
		}
		leaves = append(leaves, p.LeafHash)
	}
	*root = rootOf(leaves)
	return nil
}

// rootOf is RFC 6962's MTH, written out from the definition.
func rootOf(leaves []tlog.Hash) tlog.Hash {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return tlog.NodeHash(rootOf(leaves[:k]), rootOf(leaves[k:]))
}

func hashes(hs []tlog.Hash) [][32]byte {
	out := make([][32]byte, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

func waitCheckpoint(t testing.TB, l *ledger.Ledger, org string, size int64) store.Checkpoint {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cp, err := l.WaitCheckpoint(ctx, org, size)
	if err != nil {
		t.Fatalf("WaitCheckpoint(%s, %d): %v", org, size, err)
	}
	return cp
}

func TestIdempotency(t *testing.T) {
	ctx := context.Background()
	l, _ := newLedger(t, ledger.Config{})
	first, _, err := l.Append(ctx, "acme", []*verify.Record{rec("a", "x@example.com", "auth.login"), rec("b", "x@example.com", "auth.login")})
	if err != nil {
		t.Fatal(err)
	}
	// The same ids again, in another order, with a repeat inside the batch
	// and one new id: only the new one becomes a leaf.
	again, size, err := l.Append(ctx, "acme", []*verify.Record{
		rec("b", "x@example.com", "auth.login"), rec("c", "x@example.com", "auth.login"),
		rec("a", "y@example.com", "auth.logout"), rec("c", "x@example.com", "auth.login"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if size != 3 {
		t.Errorf("size = %d, want 3", size)
	}
	want := []struct {
		seq int64
		dup bool
		rc  ledger.Receipt
	}{{1, true, first[1]}, {2, false, ledger.Receipt{}}, {0, true, first[0]}, {2, true, again[1]}}
	for i, w := range want {
		got := again[i]
		if got.Seq != w.seq || got.Duplicate != w.dup {
			t.Errorf("receipt %d = seq %d dup %v, want seq %d dup %v", i, got.Seq, got.Duplicate, w.seq, w.dup)
		}
		if w.dup && (got.LeafHash != w.rc.LeafHash || !got.ReceivedAt.Equal(w.rc.ReceivedAt)) {
			t.Errorf("receipt %d = %+v, want the first answer %+v", i, got, w.rc)
		}
	}
	// Ids are per org: the same id in another org is a new leaf.
	other, _, err := l.Append(ctx, "globex", []*verify.Record{rec("a", "x@example.com", "auth.login")})
	if err != nil {
		t.Fatal(err)
	}
	if other[0].Duplicate || other[0].Seq != 0 {
		t.Errorf("other org's receipt = %+v, want a new leaf 0", other[0])
	}
}

// TestConcurrentAppends sends from many goroutines to a few orgs, with ids
// repeated across goroutines, and checks every org's log is dense and each
// id has exactly one leaf, with one sequencer and with several.
func TestConcurrentAppends(t *testing.T) {
	for _, writers := range []int{1, 3} {
		t.Run(fmt.Sprintf("writers=%d", writers), func(t *testing.T) { testConcurrentAppends(t, writers) })
	}
}

func testConcurrentAppends(t *testing.T, writers int) {
	ctx := context.Background()
	l, st := newLedger(t, ledger.Config{Writers: writers})
	const callers, each = 32, 40
	orgs := []string{"acme", "globex", "initech", "umbrella", "stark"} // hashed into all 3 shares
	var mu sync.Mutex
	seqOf := map[string]int64{} // org/id → seq
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				org := orgs[(c+i)%len(orgs)]
				id := fmt.Sprintf("id-%d", (c*each+i)%(callers*each/2)) // every id sent twice
				rcs, _, err := l.Append(ctx, org, []*verify.Record{rec(id, "bob@example.com", "project.created")})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				key := org + "/" + id
				if seq, ok := seqOf[key]; ok && seq != rcs[0].Seq {
					t.Errorf("%s got seqs %d and %d", key, seq, rcs[0].Seq)
				}
				seqOf[key] = rcs[0].Seq
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	perOrg := map[string]int64{}
	for key := range seqOf {
		org, _, _ := cut(key)
		perOrg[org]++
	}
	err := st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		for _, org := range orgs {
			h, err := r.Head(ctx, org)
			if err != nil {
				return err
			}
			if h.Size != perOrg[org] {
				t.Errorf("%s has %d leaves, want %d distinct ids", org, h.Size, perOrg[org])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, org := range orgs {
		waitCheckpoint(t, l, org, perOrg[org])
	}
}

func cut(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// TestCheckpointWithinInterval: every append is covered by a signed
// checkpoint within the interval, and an org is not signed more than once
// per interval while it keeps growing.
func TestCheckpointWithinInterval(t *testing.T) {
	ctx := context.Background()
	interval := 200 * time.Millisecond
	l, st := newLedger(t, ledger.Config{CheckpointInterval: interval})
	start := time.Now()
	var size int64
	for i := range 20 {
		_, n, err := l.Append(ctx, "acme", []*verify.Record{rec(fmt.Sprint(i), "a@example.com", "auth.login")})
		if err != nil {
			t.Fatal(err)
		}
		size = n
		time.Sleep(interval / 10)
	}
	cp := waitCheckpoint(t, l, "acme", size)
	if cp.Size != size {
		t.Errorf("checkpoint size = %d, want %d", cp.Size, size)
	}
	elapsed := time.Since(start)
	var count int
	var last time.Time
	err := st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		return r.Checkpoints(ctx, "acme", func(c store.Checkpoint) error {
			if !last.IsZero() && c.SignedAt.Sub(last) < interval {
				t.Errorf("checkpoints at %v and %v are closer than %v", last, c.SignedAt, interval)
			}
			last = c.SignedAt
			count++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if max := int(elapsed/interval) + 2; count > max || count < 2 {
		t.Errorf("%d checkpoints in %v, want 2..%d", count, elapsed, max)
	}
}

// failingStore fails every write once armed, like a full or broken disk.
type failingStore struct {
	store.Store
	mu   sync.Mutex
	fail bool
}

func (f *failingStore) ReadWrite(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail {
		return errors.New("disk I/O error")
	}
	return f.Store.ReadWrite(ctx, fn)
}

// TestFailClosed: after one failed commit the ledger acknowledges nothing,
// even once the store works again, to any organization, and what it
// acknowledged is intact.
func TestFailClosed(t *testing.T) {
	ctx := context.Background()
	fs := &failingStore{Store: openStore(t, t.TempDir())}
	l, _ := newLedger(t, ledger.Config{Store: fs, Writers: 4})
	if _, _, err := l.Append(ctx, "acme", []*verify.Record{rec("1", "a@example.com", "auth.login")}); err != nil {
		t.Fatal(err)
	}
	waitCheckpoint(t, l, "acme", 1)
	fs.mu.Lock()
	fs.fail = true
	fs.mu.Unlock()
	if _, _, err := l.Append(ctx, "acme", []*verify.Record{rec("2", "a@example.com", "auth.login")}); !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("Append on a failing store = %v, want ErrUnavailable", err)
	}
	fs.mu.Lock()
	fs.fail = false
	fs.mu.Unlock()
	for _, org := range []string{"acme", "globex", "initech", "cyberdyne"} { // hashed into all 4 shares
		if _, _, err := l.Append(ctx, org, []*verify.Record{rec("3", "a@example.com", "auth.login")}); !errors.Is(err, ledger.ErrUnavailable) {
			t.Fatalf("Append to %s after a failure = %v, want ErrUnavailable", org, err)
		}
	}
	h, err := l.Head(ctx, "acme")
	if err != nil || h.Size != 1 {
		t.Fatalf("head = %+v, %v; want size 1", h, err)
	}
}

// flakyStore fails writes as a database across a network does, with
// store.ErrTransient: its next refuse writes fail before they start,
// and its next lose commit but lose their answer.
type flakyStore struct {
	store.Store
	mu           sync.Mutex
	refuse, lose int
}

func (f *flakyStore) set(refuse, lose int) {
	f.mu.Lock()
	f.refuse, f.lose = refuse, lose
	f.mu.Unlock()
}

func (f *flakyStore) ReadWrite(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	f.mu.Lock()
	refuse, lose := f.refuse > 0, f.refuse == 0 && f.lose > 0
	if refuse {
		f.refuse--
	} else if lose {
		f.lose--
	}
	f.mu.Unlock()
	if refuse {
		return fmt.Errorf("%w: connection refused", store.ErrTransient)
	}
	err := f.Store.ReadWrite(ctx, fn)
	if err == nil && lose {
		return fmt.Errorf("%w: connection reset during commit", store.ErrTransient)
	}
	return err
}

// TestTransientFailure: while the store's failures pass, appends fail
// with ErrUnavailable and the ledger goes on; a commit whose answer was
// lost is found by the next try, ids the ledger made included, and
// nothing is stored twice.
func TestTransientFailure(t *testing.T) {
	ctx := context.Background()
	fs := &flakyStore{Store: openStore(t, t.TempDir())}
	l, _ := newLedger(t, ledger.Config{Store: fs})
	appendOne := func(r *verify.Record) (ledger.Receipt, error) {
		t.Helper()
		rcs, _, err := l.Append(ctx, "acme", []*verify.Record{r})
		if err != nil {
			return ledger.Receipt{}, err
		}
		return rcs[0], nil
	}

	fs.set(100, 0) // down for every try
	if _, err := appendOne(rec("1", "a@example.com", "auth.login")); !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("Append while the store is down = %v, want ErrUnavailable", err)
	}
	if l.Failed() {
		t.Fatal("the ledger failed for good on a failure that passes")
	}
	fs.set(0, 0)
	if rc, err := appendOne(rec("1", "a@example.com", "auth.login")); err != nil || rc.Seq != 0 || rc.Duplicate {
		t.Fatalf("Append once the store is back = %+v, %v; want seq 0, new", rc, err)
	}

	// The first try commits and loses its answer; the second finds its
	// records stored, by their ids, and they are no duplicates.
	fs.set(0, 1)
	rcs, size, err := l.Append(ctx, "acme", []*verify.Record{rec("2", "a@example.com", "auth.login"), rec("", "a@example.com", "auth.login")})
	if err != nil {
		t.Fatal(err)
	}
	for i, rc := range rcs {
		if rc.Seq != int64(1+i) || rc.Duplicate {
			t.Errorf("receipt %d after a lost answer = %+v; want seq %d, new", i, rc, 1+i)
		}
	}
	if size != 3 {
		t.Errorf("size after a lost answer = %d, want 3", size)
	}

	// Every try commits or would, and loses its answer: the caller hears
	// ErrUnavailable, and its retry with the same id stores nothing more.
	fs.set(0, 100)
	if _, err := appendOne(rec("3", "a@example.com", "auth.login")); !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("Append with every answer lost = %v, want ErrUnavailable", err)
	}
	fs.set(0, 0)
	if rc, err := appendOne(rec("3", "a@example.com", "auth.login")); err != nil || rc.Seq != 3 || !rc.Duplicate {
		t.Fatalf("retry of an append whose answer was lost = %+v, %v; want seq 3, duplicate", rc, err)
	}
	if cp := waitCheckpoint(t, l, "acme", 4); cp.Size != 4 {
		t.Errorf("checkpoint size = %d, want 4", cp.Size)
	}
}

// TestCloseDrains: appends queued when Close is called are committed and
// covered by a final checkpoint.
func TestCloseDrains(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	defer st.Close()
	l, err := ledger.Open(ctx, ledger.Config{Store: st, Key: testKey, CheckpointInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for i := range 50 {
		wg.Go(func() {
			_, _, err := l.Append(ctx, "acme", []*verify.Record{rec(fmt.Sprint(i), "a@example.com", "auth.login")})
			if err == nil {
				mu.Lock()
				acked++
				mu.Unlock()
			} else if !errors.Is(err, ledger.ErrClosed) {
				t.Error(err)
			}
		})
	}
	time.Sleep(5 * time.Millisecond)
	l.Close()
	wg.Wait()
	var cp store.Checkpoint
	err = st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		cp, err = r.LatestCheckpoint(ctx, "acme")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != int64(acked) {
		t.Errorf("final checkpoint size = %d, want %d acknowledged", cp.Size, acked)
	}
	checkStore(t, st)
}

// TestRefuseRollback: a store whose tree is smaller than a signed
// checkpoint (an old backup restored) is refused loudly, never re-signed.
func TestRefuseRollback(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	defer st.Close()
	l, err := ledger.Open(ctx, ledger.Config{Store: st, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, _, err := l.Append(ctx, "acme", []*verify.Record{rec(fmt.Sprint(i), "a@example.com", "auth.login")}); err != nil {
			t.Fatal(err)
		}
	}
	waitCheckpoint(t, l, "acme", 3)
	l.Close()
	// Roll the head back as an old backup would have it.
	err = st.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.SetHead(ctx, "acme", store.Head{Size: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err = ledger.Open(ctx, ledger.Config{Store: st, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, _, err := l.Append(ctx, "acme", []*verify.Record{rec("new", "a@example.com", "auth.login")}); !errors.Is(err, ledger.ErrRollback) {
		t.Fatalf("Append to a rolled-back log = %v, want ErrRollback", err)
	}
	// Other orgs are unaffected.
	if _, _, err := l.Append(ctx, "globex", []*verify.Record{rec("new", "a@example.com", "auth.login")}); err != nil {
		t.Fatalf("Append to another org: %v", err)
	}
	var problems int
	if _, err := ledger.Check(ctx, st, testKey.VerifierKey, func(p ledger.Problem) { problems++ }); err != nil {
		t.Fatal(err)
	}
	if problems == 0 {
		t.Error("Check found nothing wrong with a rolled-back log")
	}
}

// TestTileBoundaries appends batches of varied sizes across the tile
// boundaries at 256 and 512 leaves, so the sequencer's kept right-edge
// tiles are used and replaced, and checks proofs at and around those sizes
// against the tree rebuilt from the receipts.
func TestTileBoundaries(t *testing.T) {
	ctx := context.Background()
	l, _ := newLedger(t, ledger.Config{})
	var leaves []tlog.Hash
	for i, n := 0, 1; len(leaves) < 700; i, n = i+1, n%37+1 {
		var recs []*verify.Record
		for j := range n {
			recs = append(recs, rec(fmt.Sprintf("b%d-%d", i, j), "a@example.com", "auth.login"))
		}
		rcs, _, err := l.Append(ctx, "acme", recs)
		if err != nil {
			t.Fatal(err)
		}
		for _, rc := range rcs {
			leaves = append(leaves, rc.LeafHash)
		}
	}
	head, err := l.Head(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if head.Size != int64(len(leaves)) || head.Root != rootOf(leaves) {
		t.Fatalf("head = %d %x, want %d %x", head.Size, head.Root, len(leaves), rootOf(leaves))
	}
	for _, n := range []int64{1, 255, 256, 257, 511, 512, 513, head.Size} {
		for _, seq := range []int64{0, n / 2, n - 1} {
			p, err := l.ProveInclusion(ctx, "acme", seq, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := verify.Inclusion(hashes(p.Hashes), seq, n, rootOf(leaves[:n]), leaves[seq]); err != nil {
				t.Errorf("inclusion of %d in %d: %v", seq, n, err)
			}
		}
		proof, err := l.ProveConsistency(ctx, "acme", n, head.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify.Consistency(hashes(proof), n, head.Size, rootOf(leaves[:n]), head.Root); err != nil {
			t.Errorf("consistency %d..%d: %v", n, head.Size, err)
		}
	}
}

// TestMintedIDs: events sent without an id get distinct ids from the
// ledger, and sending one again with the id it was given is a duplicate.
func TestMintedIDs(t *testing.T) {
	ctx := context.Background()
	l, _ := newLedger(t, ledger.Config{})
	recs := []*verify.Record{rec("", "a@example.com", "auth.login"), rec("", "a@example.com", "auth.login")}
	rcs, _, err := l.Append(ctx, "acme", recs)
	if err != nil {
		t.Fatal(err)
	}
	if rcs[0].ID == "" || rcs[0].ID == rcs[1].ID || rcs[0].Duplicate || rcs[1].Duplicate {
		t.Fatalf("receipts = %+v, want two new, distinct ids", rcs)
	}
	again, size, err := l.Append(ctx, "acme", []*verify.Record{rec(rcs[1].ID, "a@example.com", "auth.login")})
	if err != nil {
		t.Fatal(err)
	}
	if size != 2 || !again[0].Duplicate || again[0].Seq != 1 || again[0].LeafHash != rcs[1].LeafHash {
		t.Errorf("resent with its minted id: %+v, size %d; want the duplicate of seq 1", again[0], size)
	}
}

// TestSharedStore runs two ledgers on one store, as two servers on one
// database: appends through both to the same logs, with ids sent to both,
// get dense seqs, one seq per id, and every append a checkpoint from
// either ledger, which never fail each other by signing a tree the other
// has signed.
func TestSharedStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	interval := 20 * time.Millisecond
	var ledgers [2]*ledger.Ledger
	for i := range ledgers {
		st := openStore(t, dir)
		l, err := ledger.Open(ctx, ledger.Config{Store: st, Key: testKey, CheckpointInterval: interval})
		if err != nil {
			t.Fatal(err)
		}
		ledgers[i] = l
		t.Cleanup(func() { st.Close() })
	}
	const callers, each = 8, 30
	orgs := []string{"acme", "globex"}
	var mu sync.Mutex
	seqOf := map[string]int64{} // org/id → seq
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				l, org := ledgers[(c+i)%2], orgs[i%2]
				id := fmt.Sprintf("id-%d", (c*each+i)%(callers*each/2)) // every id sent twice
				rcs, size, err := l.Append(ctx, org, []*verify.Record{rec(id, "bob@example.com", "project.created")})
				if err != nil {
					t.Error(err)
					return
				}
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				cp, err := l.WaitCheckpoint(wctx, org, size)
				cancel()
				if err != nil || cp.Size < rcs[0].Seq+1 {
					t.Errorf("%s %s: checkpoint %d, %v, want one covering seq %d", org, id, cp.Size, err, rcs[0].Seq)
				}
				mu.Lock()
				key := org + "/" + id
				if seq, ok := seqOf[key]; ok && seq != rcs[0].Seq {
					t.Errorf("%s got seqs %d and %d", key, seq, rcs[0].Seq)
				}
				seqOf[key] = rcs[0].Seq
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, l := range ledgers {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	}
	st := openStore(t, dir)
	defer st.Close()
	sum := checkStore(t, st)
	if want := int64(len(seqOf)); sum.Events != want {
		t.Errorf("Check found %d events, want %d distinct ids", sum.Events, want)
	}
}

// TestReopenWriters: a ledger reopened on a store with logs, with another
// number of sequencers, shares them out again and goes on appending to
// and signing each.
func TestReopenWriters(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	orgs := []string{"acme", "globex", "initech", "umbrella", "stark"}
	for round, writers := range []int{3, 2} {
		l, err := ledger.Open(ctx, ledger.Config{Store: st, Key: testKey, Writers: writers})
		if err != nil {
			t.Fatal(err)
		}
		for _, org := range orgs {
			if _, _, err := l.Append(ctx, org, []*verify.Record{rec(fmt.Sprint(round), "a@example.com", "auth.login")}); err != nil {
				t.Fatal(err)
			}
			waitCheckpoint(t, l, org, int64(round+1))
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	checkStore(t, st)
}

// TestCheckWhileAppending runs Check on a store that grows meanwhile:
// nothing reads as a problem. (Whether the appends land during a check
// depends on the scheduler; TestCheckGrownLog makes sure they do.)
func TestCheckWhileAppending(t *testing.T) {
	ctx := context.Background()
	l, st := newLedger(t, ledger.Config{})
	g := newGenerator(7, 5)
	for range 20 {
		if _, _, err := l.Append(ctx, g.org(), g.batch(300)); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	done := make(chan error)
	go func() {
		g := newGenerator(8, 5)
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, _, err := l.Append(ctx, g.org(), g.batch(1+rand.IntN(50))); err != nil {
				done <- err
				return
			}
		}
	}()
	for range 5 {
		if sum := checkStore(t, st); sum.Events < 6000 {
			t.Errorf("Check saw %d events, want 6000 or more", sum.Events)
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// growingStore runs grow once the first read ends: after Check took the
// sizes of the logs, before it reads them.
type growingStore struct {
	store.Store
	reads atomic.Int64
	grow  func()
}

func (s *growingStore) Read(ctx context.Context, f func(context.Context, store.Reader) error) error {
	err := s.Store.Read(ctx, f)
	if s.reads.Add(1) == 1 {
		s.grow()
	}
	return err
}

// TestCheckGrownLog: events appended after Check took the logs' sizes are
// checked too, in the snapshot of their tree.
func TestCheckGrownLog(t *testing.T) {
	ctx := context.Background()
	l, st := newLedger(t, ledger.Config{})
	g := newGenerator(10, 5)
	total := int64(0)
	appendAll := func(n int) {
		for i := range 5 {
			if _, _, err := l.Append(ctx, fmt.Sprintf("org-%04d", i), g.batch(n)); err != nil {
				t.Fatal(err)
			}
			total += int64(n)
		}
	}
	appendAll(2500)
	grown := &growingStore{Store: st, grow: func() { appendAll(1100) }}
	sum, err := ledger.Check(ctx, grown, testKey.VerifierKey, func(p ledger.Problem) { t.Errorf("Check: %v", p) })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events != total {
		t.Errorf("Check saw %d events, want %d", sum.Events, total)
	}
}

// shrinkingStore serves a log one event shorter after the first read of
// its head: a log truncated while Check runs.
type shrinkingStore struct {
	store.Store
	reads atomic.Int64
}

func (s *shrinkingStore) Read(ctx context.Context, f func(context.Context, store.Reader) error) error {
	return s.Store.Read(ctx, func(ctx context.Context, r store.Reader) error {
		return f(ctx, shrinkingReader{r, s})
	})
}

type shrinkingReader struct {
	store.Reader
	s *shrinkingStore
}

func (r shrinkingReader) Head(ctx context.Context, org string) (store.Head, error) {
	h, err := r.Reader.Head(ctx, org)
	if r.s.reads.Add(1) > 1 && err == nil {
		h.Size--
	}
	return h, err
}

// TestCheckShrinkingLog: a log whose head went back between the sizes
// Check took and its check of the log is one problem, said once.
func TestCheckShrinkingLog(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	l, err := ledger.Open(ctx, ledger.Config{Store: st, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Append(ctx, "acme", newGenerator(9, 1).batch(3000)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var problems []ledger.Problem
	_, err = ledger.Check(ctx, &shrinkingStore{Store: st}, testKey.VerifierKey, func(p ledger.Problem) { problems = append(problems, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Reason, "from size 3000 to 2999") {
		t.Errorf("problems = %v, want the one saying the head went back", problems)
	}
}

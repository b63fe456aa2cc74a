package ledger_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/sqlite"
	"github.com/steleaudit/stele/verify"
)

const benchBatch = 1000

// BenchmarkAppend measures durable in-process appends of 1000-event
// batches through the ledger: validation-free records in, fsync'd leaves,
// tree hashes, heads and checkpoints out.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	l, _ := newLedger(b, ledger.Config{})
	g := newGenerator(1, 100)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		org, recs := g.org(), g.batch(benchBatch)
		b.StartTimer()
		if _, _, err := l.Append(ctx, org, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendPipelined is BenchmarkAppend with two callers, as a
// server with concurrent requests has: one batch is hashed while another
// commits. MaxBatch keeps each transaction at 1000 events, the size
// BenchmarkPlainInsert commits.
func BenchmarkAppendPipelined(b *testing.B) {
	ctx := context.Background()
	l, _ := newLedger(b, ledger.Config{MaxBatch: benchBatch})
	var mu sync.Mutex
	g := newGenerator(1, 100)
	next := func() (string, []*verify.Record) {
		mu.Lock()
		defer mu.Unlock()
		return g.org(), g.batch(benchBatch)
	}
	batches := make(chan struct{}, b.N)
	for range b.N {
		batches <- struct{}{}
	}
	close(batches)
	b.ResetTimer()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range batches {
				org, recs := next()
				if _, _, err := l.Append(ctx, org, recs); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkPlainInsert is BenchmarkAppend's baseline: the same rows into
// the same schema in the same size of transaction, with none of the
// ledger's work (no commitments, hashing, tiles or checkpoints).
func BenchmarkPlainInsert(b *testing.B) {
	ctx := context.Background()
	st := openStore(b, b.TempDir())
	defer st.Close()
	g := newGenerator(1, 100)
	salt := make([]byte, verify.SaltSize)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		org, recs := g.org(), g.batch(benchBatch)
		b.StartTimer()
		now := time.Now().UTC()
		err := st.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
			head, err := tx.LockHead(ctx, org)
			if err != nil {
				return err
			}
			events := make([]*store.Event, len(recs))
			for i, r := range recs {
				r.Org, r.ReceivedAt, r.Salt = org, now, salt
				events[i] = &store.Event{Seq: head.Size + int64(i), Record: *r}
			}
			if err := tx.Append(ctx, org, events); err != nil {
				return err
			}
			return tx.SetHead(ctx, org, store.Head{Size: head.Size + int64(len(recs)), Root: head.Root})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendConcurrent: 64 callers appending one event each; group
// commit must put many of them into each fsync.
func BenchmarkAppendConcurrent(b *testing.B) {
	ctx := context.Background()
	var commits, events, busy atomic.Int64
	l, _ := newLedger(b, ledger.Config{OnCommit: func(s ledger.CommitStats) {
		commits.Add(1)
		events.Add(int64(s.Events))
		busy.Add(int64(s.Duration))
	}})
	var seed atomic.Uint64
	b.SetParallelism(64 / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := newGenerator(seed.Add(1), 100)
		for pb.Next() {
			if _, _, err := l.Append(ctx, g.org(), []*verify.Record{g.record()}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events.Load())/float64(commits.Load()), "events/commit")
	b.ReportMetric(float64(busy.Load())/float64(commits.Load())/1e6, "ms/commit")
}

// tempFixture is the directory checkFixture made, removed by TestMain.
var tempFixture string

// checkFixture is a store of checkFixtureSize events over 20 orgs, built
// once per benchmark binary run, or kept in $STELE_CHECK_FIXTURE (a
// directory, built there when it holds no store) to spare the next runs.
var checkFixture = sync.OnceValues(func() (string, error) {
	dir := os.Getenv("STELE_CHECK_FIXTURE")
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "stele.db")); err == nil {
			return dir, nil
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
	} else {
		var err error
		if dir, err = os.MkdirTemp("", "stele-check-bench"); err != nil {
			return "", err
		}
		tempFixture = dir
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "stele.db"))
	if err != nil {
		return "", err
	}
	defer st.Close()
	l, err := ledger.Open(ctx, ledger.Config{Store: st, Key: testKey})
	if err != nil {
		return "", err
	}
	g := newGenerator(2, 20)
	for range checkFixtureSize / benchBatch {
		if _, _, err := l.Append(ctx, g.org(), g.batch(benchBatch)); err != nil {
			return "", err
		}
	}
	return dir, l.Close()
})

const checkFixtureSize = 200_000

// BenchmarkCheck measures whole-store verification, and the peak heap it
// needs (which must not grow with the log).
func BenchmarkCheck(b *testing.B) {
	dir, err := checkFixture()
	if err != nil {
		b.Fatal(err)
	}
	st := openStore(b, dir, sqlite.WithoutTextIndex()) // as stele verify does
	defer st.Close()
	peak := watchHeap()
	b.ResetTimer()
	for range b.N {
		sum, err := ledger.Check(context.Background(), st, testKey.VerifierKey, func(p ledger.Problem) { b.Error(p) })
		if err != nil {
			b.Fatal(err)
		}
		if sum.Events != checkFixtureSize {
			b.Fatalf("checked %d events, want %d", sum.Events, checkFixtureSize)
		}
	}
	b.ReportMetric(float64(b.N*checkFixtureSize)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
}

// BenchmarkCheckRead reads the Check fixture's events as Check does, in
// chunks of 1024 on every core, each in a read transaction of its own,
// and does nothing with them: the store's part of BenchmarkCheck, which
// bounds it from above whatever the ledger's part costs.
func BenchmarkCheckRead(b *testing.B) {
	dir, err := checkFixture()
	if err != nil {
		b.Fatal(err)
	}
	st := openStore(b, dir, sqlite.WithoutTextIndex())
	defer st.Close()
	ctx := context.Background()
	orgs, err := store.ReadValue(ctx, st, func(ctx context.Context, r store.Reader) (map[string]int64, error) {
		names, err := r.Orgs(ctx)
		if err != nil {
			return nil, err
		}
		sizes := map[string]int64{}
		for _, org := range names {
			h, err := r.Head(ctx, org)
			if err != nil {
				return nil, err
			}
			sizes[org] = h.Size
		}
		return sizes, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	type chunk struct {
		org      string
		from, to int64
	}
	b.ResetTimer()
	for range b.N {
		chunks := make(chan chunk)
		var read atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for c := range chunks {
					n := int64(0)
					err := st.Read(ctx, func(ctx context.Context, r store.Reader) error {
						return r.Events(ctx, c.org, c.from, c.to, func(*store.Event) error { n++; return nil })
					})
					if err != nil {
						b.Error(err)
					}
					read.Add(n)
				}
			})
		}
		for org, size := range orgs {
			for from := int64(0); from < size; from += 1024 {
				chunks <- chunk{org, from, min(from+1024, size)}
			}
		}
		close(chunks)
		wg.Wait()
		if read.Load() != checkFixtureSize {
			b.Fatalf("read %d events, want %d", read.Load(), checkFixtureSize)
		}
	}
	b.ReportMetric(float64(b.N*checkFixtureSize)/b.Elapsed().Seconds(), "events/s")
}

// watchHeap samples the live heap until the returned function is called,
// which returns the largest sample.
func watchHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(stop); return peak.Load() }
}

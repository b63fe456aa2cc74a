package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/bits"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/simulate"
	"github.com/steleaudit/stele/internal/store/postgres"
)

// benchConfig is everything `stele bench` is configured by. Each field
// is a flag; URL, Token and Org fall back to STELE_* environment variables.
type benchConfig struct {
	// URL is the server's base URL (--url, STELE_URL).
	URL string
	// Token is an API key of Org with the events:write scope, or the
	// platform token (--token, STELE_TOKEN).
	Token string
	// Org is the organization whose log the events are appended to
	// (--org, STELE_ORG), or several, comma-separated: worker i sends to
	// the (i mod n)th, as a shared server's tenants do.
	Org string
	// Duration bounds the run (--duration). Zero means
	// 10s, or no bound when Count is set.
	Duration time.Duration
	// Count bounds the events sent (--count); zero: no
	// bound. With Duration too, the run ends at whichever comes first.
	Count int64
	// Concurrency is how many requests are in flight at once, each
	// worker sending one after another (--concurrency).
	Concurrency int
	// Batch is the events per request, 1 to event.MaxBatchEvents; 1
	// sends the single-event form (--batch).
	Batch int
	// Seed picks the simulated organizations' stories: worker i tells the
	// story of Seed+i (--seed). Event ids also carry a random
	// run id, so that a rerun appends rather than deduplicates.
	Seed uint64
	// JSON prints the summary as one JSON object (--json).
	JSON bool
	// CopyBaseline, a PostgreSQL URL, has the run end with a yardstick:
	// as many events made like the run's are copied with COPY into a
	// schema of their own in that database, and the run's rate is given
	// as a share of the copy's (--copy-baseline). Never from the
	// environment: it writes to the database.
	CopyBaseline string
	// CopyWait is how long the copy baseline waits for the database to go
	// quiet first (--copy-wait).
	CopyWait time.Duration
}

func (c *benchConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "server URL")
	fs.StringVar(&c.Token, "token", "", "API key with events:write, or the platform token")
	fs.StringVar(&c.Org, "org", "demo", "organization to send events to, or several, comma-separated, which the workers take turns at")
	fs.DurationVar(&c.Duration, "duration", 0, "how long to run (default 10s, or until --count events without it)")
	fs.Int64Var(&c.Count, "count", 0, "events to send (0: as many as --duration allows)")
	fs.IntVar(&c.Concurrency, "concurrency", 8, "requests in flight at once")
	fs.IntVar(&c.Batch, "batch", 100, fmt.Sprintf("events per request (1 to %d)", event.MaxBatchEvents))
	fs.Uint64Var(&c.Seed, "seed", 1, "seed of the simulated organizations' stories")
	fs.BoolVar(&c.JSON, "json", false, "print the summary as one JSON object")
	fs.StringVar(&c.CopyBaseline, "copy-baseline", "", "PostgreSQL URL: afterwards, COPY as many such events into a scratch schema there, and compare")
	fs.DurationVar(&c.CopyWait, "copy-wait", 2*time.Minute, "how long the copy baseline waits for the database to go quiet (no other session running a statement) first")
}

func (c *benchConfig) check() error {
	switch {
	case c.Token == "":
		return fmt.Errorf("%w: --token (or STELE_TOKEN) is required", errUsage)
	case slices.Contains(strings.Split(c.Org, ","), ""):
		return fmt.Errorf("%w: --org names an empty organization", errUsage)
	case c.Duration < 0, c.Count < 0:
		return fmt.Errorf("%w: --duration and --count may not be negative", errUsage)
	case c.Concurrency < 1:
		return fmt.Errorf("%w: --concurrency must be at least 1", errUsage)
	case c.Batch < 1 || c.Batch > event.MaxBatchEvents:
		return fmt.Errorf("%w: --batch must be 1 to %d", errUsage, event.MaxBatchEvents)
	}
	if c.Duration == 0 && c.Count == 0 {
		c.Duration = 10 * time.Second
	}
	return nil
}

// benchPool is how many events the workers of a run make before it
// starts, all together: each sends its share over and over, with fresh
// ids and timestamps, so that making events costs the timed run nothing
// and memory stays bounded however long it runs.
const benchPool = 16384

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg benchConfig
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.flags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cfg.check(); err != nil {
		return err
	}
	// Every worker keeps its connection: enough idle ones per host that
	// none is closed between two requests.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(tr.MaxIdleConns, cfg.Concurrency)
	tr.MaxIdleConnsPerHost = cfg.Concurrency
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	defer hc.CloseIdleConnections()
	c, err := client.New(cfg.URL, cfg.Token, client.WithHTTPClient(hc))
	if err != nil {
		return fmt.Errorf("%w: --url: %v", errUsage, err)
	}

	b := newBench(cfg, c)
	res := b.run(ctx, stderr)
	if cfg.CopyBaseline != "" && res.events > 0 && b.fatal == nil {
		if res.copy, err = b.copyBaseline(ctx, cfg.CopyBaseline, res.events); err != nil {
			return fmt.Errorf("copy baseline: %w", err)
		}
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(res.json()); err != nil {
			return err
		}
	} else {
		res.print(stdout, cfg)
	}
	switch {
	case b.fatal != nil:
		return b.fatal
	case res.requests == 0 && res.errors > 0:
		return fmt.Errorf("every request failed (%d)", res.errors)
	case res.requests == 0:
		return errors.New("no request completed")
	}
	return nil
}

// A bench is one run of `stele bench`.
type bench struct {
	cfg   benchConfig
	c     *client.Client
	runID string   // random, in every event id
	orgs  []string // cfg.Org's organizations

	left     atomic.Int64  // events not yet claimed by a worker, with cfg.Count
	stop     chan struct{} // closed when the time is up or on a fatal error
	stopOnce sync.Once
	fatal    error        // why stop was closed early; written before closing it
	conns    atomic.Int64 // connections opened, rather than reused
	stats    benchStats
}

func newBench(cfg benchConfig, c *client.Client) *bench {
	runID := fmt.Sprintf("%08x", rand.Uint32())
	b := &bench{cfg: cfg, c: c, runID: runID, orgs: strings.Split(cfg.Org, ","), stop: make(chan struct{})}
	b.left.Store(cfg.Count)
	return b
}

// run makes the workers' events, then sends them until the time is up, the
// count is sent, a fatal error or ctx is done, and returns the results.
func (b *bench) run(ctx context.Context, stderr io.Writer) benchResult {
	workers := make([]*benchWorker, b.cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { workers[i] = b.newWorker(i) })
	}
	wg.Wait()

	start := time.Now()
	if b.cfg.Duration > 0 {
		t := time.AfterFunc(b.cfg.Duration, func() { b.halt(nil) })
		defer t.Stop()
	}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if !info.Reused {
				b.conns.Add(1)
			}
		},
	})
	done := make(chan struct{})
	var shown sync.WaitGroup
	shown.Go(func() { b.progress(stderr, start, done) })
	for _, w := range workers {
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(done)
	shown.Wait()
	return b.stats.result(elapsed, b.conns.Load())
}

// halt ends the run: workers send no new request, and those in flight
// finish. A non-nil err is why, and becomes the command's error.
func (b *bench) halt(err error) {
	b.stopOnce.Do(func() {
		b.fatal = err
		close(b.stop)
	})
}

func (b *bench) stopped() bool {
	select {
	case <-b.stop:
		return true
	default:
		return false
	}
}

// claim returns how many events the next request sends, 0 when the
// count is all claimed.
func (b *bench) claim() int {
	if b.cfg.Count == 0 {
		return b.cfg.Batch
	}
	for {
		left := b.left.Load()
		if left <= 0 {
			return 0
		}
		n := min(left, int64(b.cfg.Batch))
		if b.left.CompareAndSwap(left, left-n) {
			return int(n)
		}
	}
}

// sleep waits d, or until the run or ctx ends; it reports whether the
// run goes on.
func (b *bench) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.stop:
	case <-ctx.Done():
	}
	return false
}

// A benchWorker sends one request after another. Only its goroutine
// uses it.
type benchWorker struct {
	b      *bench
	org    string         // where it sends
	pool   []client.Entry // its story's first events, sent over and over
	next   int            // index in pool of the next event to send
	id     []byte         // "bench-<run>-<worker>-", then the event's number
	prefix int            // length of the id's prefix
	n      uint64         // events made
	batch  []client.Entry // the request being sent
}

func (b *bench) newWorker(i int) *benchWorker {
	size := max(b.cfg.Batch, benchPool/b.cfg.Concurrency)
	if b.cfg.Count > 0 {
		size = int(min(int64(size), b.cfg.Count))
	}
	now := time.Now()
	sim := simulate.New(simulate.Config{Seed: b.cfg.Seed + uint64(i), Start: now})
	w := &benchWorker{b: b, org: b.orgs[i%len(b.orgs)], pool: make([]client.Entry, size), batch: make([]client.Entry, 0, b.cfg.Batch)}
	for j := range w.pool {
		w.pool[j] = sim.Next(now)
	}
	w.id = fmt.Appendf(nil, "bench-%s-%d-", b.runID, i)
	w.prefix = len(w.id)
	return w
}

// fill returns the next n events, with fresh ids and stamped now.
func (w *benchWorker) fill(n int, now time.Time) []client.Entry {
	w.batch = w.batch[:n]
	for i := range w.batch {
		e := w.pool[w.next]
		w.next = (w.next + 1) % len(w.pool)
		w.n++
		w.id = strconv.AppendUint(w.id[:w.prefix], w.n, 10)
		e.ID, e.Timestamp = string(w.id), now
		w.batch[i] = e
	}
	return w.batch
}

// run sends batches until the run ends. A failed request is counted and
// followed by a backoff (the server's Retry-After when it gave one); the
// same batch is sent again unless the server refused it for good (a 4xx
// other than 429), its ids making the retry harmless. A refused
// credential or organization ends the run.
func (w *benchWorker) run(ctx context.Context) {
	b := w.b
	var backoff time.Duration
	for !b.stopped() {
		n := b.claim()
		if n == 0 {
			return
		}
		batch := w.fill(n, time.Now())
		for {
			start := time.Now()
			res, err := b.c.Send(ctx, w.org, batch...)
			took := time.Since(start)
			if err == nil {
				b.stats.ok(took, len(res.Events))
				backoff = 0
				break
			}
			if ctx.Err() != nil {
				return // interrupted, not failed
			}
			b.stats.fail(errorCause(err))
			var e *client.Error
			isErr := errors.As(err, &e)
			if isErr && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || e.Status == http.StatusNotFound) {
				b.halt(err)
				return
			}
			backoff = min(max(2*backoff, 10*time.Millisecond), time.Second)
			wait := backoff
			if isErr && e.RetryAfter > 0 {
				wait = e.RetryAfter
			}
			// Jitter, so that workers refused together don't come back together.
			wait += time.Duration(float64(wait) * 0.2 * rand.Float64())
			if !b.sleep(ctx, wait) {
				return
			}
			if isErr && e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests {
				break
			}
		}
	}
}

// errorCause names what went wrong with a request, to count errors by:
// the status and error code of a server's refusal, or the transport's
// error without the request's URL.
func errorCause(err error) string {
	var e *client.Error
	if errors.As(err, &e) {
		return strconv.Itoa(e.Status) + " " + e.Code
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// benchStats are a run's counts so far, which workers add to and the
// progress line reads; mu guards them all.
type benchStats struct {
	mu       sync.Mutex
	events   int64            // acknowledged
	requests int64            // answered with success
	errors   int64            // requests failed
	causes   map[string]int64 // errors by errorCause
	latency  histogram        // of the requests answered with success
}

func (s *benchStats) ok(d time.Duration, events int) {
	s.mu.Lock()
	s.events += int64(events)
	s.requests++
	s.latency.record(d)
	s.mu.Unlock()
}

func (s *benchStats) fail(cause string) {
	s.mu.Lock()
	if s.causes == nil {
		s.causes = map[string]int64{}
	}
	s.errors++
	s.causes[cause]++
	s.mu.Unlock()
}

// benchResult is the outcome of a run.
type benchResult struct {
	events, requests, errors int64
	causes                   map[string]int64
	elapsed                  time.Duration
	p50, p95, p99, max       time.Duration
	conns                    int64
	copy                     postgres.Baseline // with --copy-baseline
}

func (s *benchStats) result(elapsed time.Duration, conns int64) benchResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return benchResult{
		events: s.events, requests: s.requests, errors: s.errors,
		causes: maps.Clone(s.causes), elapsed: elapsed, conns: conns,
		p50: s.latency.quantile(0.50), p95: s.latency.quantile(0.95),
		p99: s.latency.quantile(0.99), max: s.latency.max,
	}
}

func (r benchResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.events) / r.elapsed.Seconds()
}

// benchJSON is the summary --json prints.
type benchJSON struct {
	Events          int64   `json:"events"` // acknowledged
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	P50             float64 `json:"p50_ms"` // of requests
	P95             float64 `json:"p95_ms"`
	P99             float64 `json:"p99_ms"`
	Errors          int64   `json:"errors"` // failed requests
	// With --copy-baseline: the copy's rate, the run's as a share of it,
	// how long the copy waited for the database to go quiet, and whether
	// it did (if not, the copy shared the machine and the share is high).
	CopyRowsPerSecond float64 `json:"copy_rows_per_second,omitempty"`
	CopyShare         float64 `json:"copy_share,omitempty"`
	CopyWaited        float64 `json:"copy_waited_seconds,omitempty"`
	CopyQuiet         *bool   `json:"copy_quiet,omitempty"`
}

func (r benchResult) json() benchJSON {
	j := benchJSON{
		Events: r.events, Seconds: round(r.elapsed.Seconds(), 3), EventsPerSecond: round(r.rate(), 1),
		P50: ms(r.p50), P95: ms(r.p95), P99: ms(r.p99), Errors: r.errors,
	}
	if r.copy.Copied > 0 {
		j.CopyRowsPerSecond, j.CopyShare = round(r.copyRate(), 1), round(r.copyShare(), 3)
		j.CopyWaited, j.CopyQuiet = round(r.copy.Waited.Seconds(), 3), &r.copy.Quiet
	}
	return j
}

// copyRate is the copy baseline's events per second, 0 without one.
func (r benchResult) copyRate() float64 {
	if r.copy.Took <= 0 {
		return 0
	}
	return float64(r.copy.Copied) / r.copy.Took.Seconds()
}

// copyShare is the run's rate over the copy's, 0 without a baseline.
func (r benchResult) copyShare() float64 {
	if r.copyRate() == 0 {
		return 0
	}
	return r.rate() / r.copyRate()
}

func round(x float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(x*p) / p
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func (r benchResult) print(w io.Writer, cfg benchConfig) {
	fmt.Fprintf(w, "%d events in %.2fs: %.0f events/s\n", r.events, r.elapsed.Seconds(), r.rate())
	fmt.Fprintf(w, "%d requests of up to %d events, %d at a time, over %d connections\n", r.requests, cfg.Batch, cfg.Concurrency, r.conns)
	fmt.Fprintf(w, "latency per request: p50 %.2fms  p95 %.2fms  p99 %.2fms  max %.2fms\n", ms(r.p50), ms(r.p95), ms(r.p99), ms(r.max))
	fmt.Fprintf(w, "errors: %d\n", r.errors)
	if r.copy.Copied > 0 {
		fmt.Fprintf(w, "copy baseline: %d events in %.2fs: %.0f events/s; this run did %.0f%% of that\n",
			r.copy.Copied, r.copy.Took.Seconds(), r.copyRate(), 100*r.copyShare())
		if r.copy.Quiet {
			fmt.Fprintf(w, "  (copied once the database had gone quiet, %.1fs after the run)\n", r.copy.Waited.Seconds())
		} else {
			fmt.Fprintf(w, "  (the database was still busy %.1fs after the run: the copy shared the machine, so the share is too high)\n", r.copy.Waited.Seconds())
		}
	}
	causes := make([]string, 0, len(r.causes))
	for c := range r.causes {
		causes = append(causes, c)
	}
	slices.Sort(causes)
	for _, c := range causes {
		fmt.Fprintf(w, "  %6d  %s\n", r.causes[c], c)
	}
}

// progress shows the run's progress on stderr once a second until done
// is closed: overwriting one line on a terminal, a line a second otherwise.
func (b *bench) progress(stderr io.Writer, start time.Time, done <-chan struct{}) {
	tty := isTerminal(stderr)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last int64
	lastAt, width := start, 0
	for {
		select {
		case <-done:
			if tty && width > 0 {
				fmt.Fprintln(stderr)
			}
			return
		case now := <-t.C:
			b.stats.mu.Lock()
			events, errs, p99 := b.stats.events, b.stats.errors, b.stats.latency.quantile(0.99)
			b.stats.mu.Unlock()
			rate := float64(events-last) / now.Sub(lastAt).Seconds()
			last, lastAt = events, now
			line := fmt.Sprintf("bench: %3.0fs  %d events  %.0f events/s  p99 %.1fms  %d errors",
				now.Sub(start).Seconds(), events, rate, ms(p99), errs)
			if !tty {
				fmt.Fprintln(stderr, line)
				continue
			}
			pad := max(width-len(line), 0)
			width = len(line)
			fmt.Fprintf(stderr, "\r%s%s", line, strings.Repeat(" ", pad))
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// A histogram counts durations in buckets 1/128 of a power of two wide
// (one a nanosecond below 256ns), so that a quantile read from it is
// within 0.4% of the exact one, in 58 KiB however many it counts.
type histogram struct {
	counts [histBuckets]int64
	n      int64
	max    time.Duration
}

const (
	histSub     = 128          // buckets per power of two
	histBuckets = 57 * histSub // enough for any positive time.Duration
)

func histIndex(d time.Duration) int {
	v := uint64(max(d, 0))
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(v) - 8 // so that v>>shift is in [histSub, 2*histSub)
	return histSub + shift*histSub + int(v>>shift) - histSub
}

// histValue is the middle of bucket i.
func histValue(i int) time.Duration {
	if i < 2*histSub {
		return time.Duration(i)
	}
	shift := i/histSub - 1
	m := uint64(i%histSub + histSub)
	return time.Duration(m<<shift + 1<<(shift-1))
}

func (h *histogram) record(d time.Duration) {
	h.counts[histIndex(d)]++
	h.n++
	h.max = max(h.max, d)
}

// quantile returns the nearest-rank q-quantile, 0 when h is empty.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(h.n))), 1)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(histValue(i), h.max)
		}
	}
	return h.max
}

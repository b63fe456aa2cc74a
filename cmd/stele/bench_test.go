package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/server"
	"github.com/steleaudit/stele/internal/store/pgtest"
	"github.com/steleaudit/stele/internal/store/sqlite"
)

const benchPlatformToken = "stele_platform_benchbenchbenchbenchbenchbench"

// benchServer starts a real server over a real SQLite store, with an
// enterprise organization "bench", and returns its URL, an events:write
// key of the organization, and its ledger. When the test ends, the whole
// store is checked.
func benchServer(t *testing.T) (url, key string, led *ledger.Ledger) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stele.db"))
	if err != nil {
		t.Fatal(err)
	}
	sk, err := ledger.GenerateKey("stele.test")
	if err != nil {
		t.Fatal(err)
	}
	k, err := ledger.ParseKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	led, err = ledger.Open(ctx, ledger.Config{Store: st, Key: k})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, Ledger: led, PlatformToken: benchPlatformToken, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Drain()
		hs.Close()
		led.Close()
		if _, err := ledger.Check(ctx, st, k.VerifierKey, func(p ledger.Problem) { t.Errorf("Check: %v", p) }); err != nil {
			t.Errorf("Check: %v", err)
		}
		st.Close()
	})

	platform, err := client.New(hs.URL, benchPlatformToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := platform.CreateOrg(ctx, client.OrgCreate{ID: "bench", Name: "Bench", Plan: "enterprise"}); err != nil {
		t.Fatal(err)
	}
	ak, err := platform.CreateAPIKey(ctx, "bench", client.APIKeyCreate{Name: "bench", Scopes: []string{"events:write"}})
	if err != nil {
		t.Fatal(err)
	}
	return hs.URL, ak.Key, led
}

// size returns the size of org's log.
func size(t *testing.T, led *ledger.Ledger, org string) int64 {
	t.Helper()
	h, err := led.Head(context.Background(), org)
	if err != nil {
		t.Fatal(err)
	}
	return h.Size
}

func TestBench(t *testing.T) {
	url, key, led := benchServer(t)
	for _, tt := range []struct {
		name  string
		args  []string
		count int64 // the events wanted; 0: some
	}{
		{"count", []string{"--count", "2000", "--concurrency", "4", "--batch", "50"}, 2000},
		{"again", []string{"--count", "2000", "--concurrency", "4", "--batch", "50"}, 2000}, // new ids: appended, not deduplicated
		{"uneven", []string{"--count", "100", "--concurrency", "3", "--batch", "7"}, 100},
		{"duration", []string{"--batch", "1", "--duration", "1s"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := size(t, led, "bench")
			args := append([]string{"bench", "--url", url, "--token", key, "--org", "bench", "--json"}, tt.args...)
			var stdout, stderr bytes.Buffer
			start := time.Now()
			if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
				t.Fatalf("stele %s = exit %d, want 0; stderr:\n%s", strings.Join(args, " "), code, &stderr)
			}
			took := time.Since(start)
			var got benchJSON
			dec := json.NewDecoder(&stdout)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("stdout is not one benchJSON object: %v", err)
			}
			if dec.More() {
				t.Errorf("stdout has more than one JSON object")
			}
			if got.Errors != 0 {
				t.Errorf("errors = %d, want 0; stderr:\n%s", got.Errors, &stderr)
			}
			if tt.count > 0 && got.Events != tt.count {
				t.Errorf("events = %d, want %d", got.Events, tt.count)
			}
			if got.Events <= 0 || got.EventsPerSecond <= 0 || got.Seconds <= 0 {
				t.Errorf("events, events_per_second, seconds = %d, %v, %v, want > 0", got.Events, got.EventsPerSecond, got.Seconds)
			}
			if !(0 < got.P50 && got.P50 <= got.P95 && got.P95 <= got.P99) {
				t.Errorf("p50, p95, p99 = %v, %v, %v ms, want 0 < p50 <= p95 <= p99", got.P50, got.P95, got.P99)
			}
			if grew := size(t, led, "bench") - before; grew != got.Events {
				t.Errorf("the log grew by %d events, want events = %d", grew, got.Events)
			}
			if tt.count == 0 && (took < time.Second || took > 5*time.Second) {
				t.Errorf("--duration 1s took %v", took)
			}
		})
	}
}

func TestBenchFails(t *testing.T) {
	url, _, _ := benchServer(t)
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no token", []string{"--url", url}, 2, "--token"},
		{"batch too large", []string{"--url", url, "--token", "x", "--batch", "1001"}, 2, "--batch"},
		{"bad key", []string{"--url", url, "--token", "stele_key_nope", "--org", "bench", "--count", "10"}, 1, "401"},
		{"no server", []string{"--url", "http://127.0.0.1:1", "--token", "x", "--duration", "300ms"}, 1, "every request failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("STELE_TOKEN", "")
			var stdout, stderr bytes.Buffer
			args := append([]string{"bench"}, tt.args...)
			code := run(context.Background(), args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stele %s = exit %d, stderr %q; want exit %d, stderr with %q", strings.Join(args, " "), code, &stderr, tt.code, tt.want)
			}
		})
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := 1; i <= 100000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 50 * time.Millisecond},
		{0.95, 95 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{1, 100 * time.Millisecond},
	} {
		got := h.quantile(tt.q)
		if d := float64(got-tt.want) / float64(tt.want); d < -0.004 || d > 0.004 {
			t.Errorf("quantile(%v) = %v, want %v ± 0.4%%", tt.q, got, tt.want)
		}
	}
	for _, d := range []time.Duration{0, 1, 255, 256, 257, 1000, time.Second, time.Hour, 1<<63 - 1} {
		i := histIndex(d)
		if i < 0 || i >= histBuckets {
			t.Fatalf("histIndex(%v) = %d, out of [0, %d)", d, i, histBuckets)
		}
		if v := histValue(i); v != d && math.Abs(float64(v-d))/float64(d) > 0.004 {
			t.Errorf("histValue(histIndex(%v)) = %v, more than 0.4%% off", d, v)
		}
	}
}

// TestBenchCopyBaseline: --copy-baseline copies as many events as the
// run acknowledged into PostgreSQL and gives the run's rate as a share
// of the copy's.
func TestBenchCopyBaseline(t *testing.T) {
	pg := pgtest.Schema(t)
	url, key, _ := benchServer(t)
	args := []string{"bench", "--url", url, "--token", key, "--org", "bench", "--count", "500", "--batch", "50", "--json", "--copy-baseline", pg, "--copy-wait", "0"}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("stele bench --copy-baseline = exit %d, want 0; stderr:\n%s", code, &stderr)
	}
	var got benchJSON
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not a benchJSON object: %v", err)
	}
	want := got.EventsPerSecond / got.CopyRowsPerSecond
	if got.Events != 500 || got.CopyRowsPerSecond <= 0 || got.CopyShare <= 0 || math.Abs(got.CopyShare-want) > 0.01 {
		t.Errorf("events %d, copy_rows_per_second %v, copy_share %v; want 500, > 0, events_per_second / copy_rows_per_second = %v",
			got.Events, got.CopyRowsPerSecond, got.CopyShare, want)
	}
	// Not allowed to wait, it can't have seen the database quiet.
	if got.CopyQuiet == nil || *got.CopyQuiet {
		t.Errorf("copy_quiet = %v with --copy-wait 0, want false", got.CopyQuiet)
	}
}

// TestBenchOrgs: with several organizations, the workers take turns at
// them, and every event lands in one of their logs.
func TestBenchOrgs(t *testing.T) {
	url, _, led := benchServer(t)
	platform, err := client.New(url, benchPlatformToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := platform.CreateOrg(t.Context(), client.OrgCreate{ID: "bench2", Name: "Bench 2", Plan: "enterprise"}); err != nil {
		t.Fatal(err)
	}
	before, before2 := size(t, led, "bench"), size(t, led, "bench2")
	args := []string{"bench", "--url", url, "--token", benchPlatformToken, "--org", "bench,bench2", "--count", "1000",
		"--concurrency", "4", "--batch", "25", "--json"}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("stele %s = exit %d, want 0; stderr:\n%s", strings.Join(args, " "), code, &stderr)
	}
	a, b := size(t, led, "bench")-before, size(t, led, "bench2")-before2
	if a+b != 1000 || a == 0 || b == 0 {
		t.Errorf("the logs grew by %d and %d events, want 1000 between them, some each", a, b)
	}
	args[6] = "bench,,bench2"
	if code := run(context.Background(), args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "empty organization") {
		t.Errorf("--org with an empty name = exit %d, stderr %q; want 2 and a word on it", code, &stderr)
	}
}

package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/server"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/sqlite"
)

const platformToken = "stele_platform_testtesttesttesttesttesttesttest"

// A testServer is a real server on 127.0.0.1 over a real SQLite store.
// When the test ends, the ledger is closed and the whole store checked.
type testServer struct {
	t        testing.TB
	URL      string
	st       store.Store
	led      *ledger.Ledger
	srv      *server.Server
	platform *client.Client
	hc       *http.Client
}

type serverOpts struct {
	rateLimit float64
	rateBurst int
	maxQueue  int
	wrap      func(store.Store) store.Store // to make the store misbehave
	frames    []string                      // Config.FrameAncestors
	log       *slog.Logger                  // Config.Log
	dir       string                        // where the store is (default: a temporary directory)
	trusted   []netip.Prefix                // Config.TrustedProxies
}

func newTestServer(t testing.TB, opts ...serverOpts) *testServer {
	t.Helper()
	var o serverOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.rateLimit == 0 {
		o.rateLimit = -1
	}
	ctx := context.Background()
	if o.dir == "" {
		o.dir = t.TempDir()
	}
	st, err := sqlite.Open(ctx, filepath.Join(o.dir, "stele.db"))
	if err != nil {
		t.Fatal(err)
	}
	var led0 store.Store = st
	if o.wrap != nil {
		led0 = o.wrap(st)
	}
	key, err := ledger.ParseKey(testSigningKey(t))
	if err != nil {
		t.Fatal(err)
	}
	m := server.NewMetrics()
	led, err := ledger.Open(ctx, ledger.Config{Store: led0, Key: key, OnCommit: m.ObserveCommit, MaxQueue: o.maxQueue})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: led0, Ledger: led, PlatformToken: platformToken,
		RateLimit: o.rateLimit, RateBurst: o.rateBurst, Metrics: m, FrameAncestors: o.frames, Log: o.log, TrustedProxies: o.trusted})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	ts := &testServer{t: t, URL: hs.URL, st: st, led: led, srv: srv, hc: hs.Client()}
	ts.hc.Transport = validating(t, ts.hc.Transport)
	ts.platform = ts.client(platformToken)
	t.Cleanup(func() {
		srv.Drain()
		hs.Close()
		led.Close()
		sum, err := ledger.Check(ctx, st, key.VerifierKey, func(p ledger.Problem) { t.Errorf("Check: %v", p) })
		if err != nil {
			t.Errorf("Check: %v", err)
		}
		_ = sum
		st.Close()
	})
	return ts
}

var signingKey string

func testSigningKey(t testing.TB) string {
	if signingKey == "" {
		k, err := ledger.GenerateKey("stele.test")
		if err != nil {
			t.Fatal(err)
		}
		signingKey = k
	}
	return signingKey
}

// client returns an SDK client of the test server with token.
func (ts *testServer) client(token string) *client.Client {
	c, err := client.New(ts.URL, token, client.WithHTTPClient(ts.hc))
	if err != nil {
		ts.t.Fatal(err)
	}
	return c
}

// org registers an organization on plan and returns an admin client of
// it (a key with every scope).
func (ts *testServer) org(id, plan string) *client.Client {
	ts.t.Helper()
	ctx := context.Background()
	if _, err := ts.platform.CreateOrg(ctx, client.OrgCreate{ID: id, Name: "Org " + id, Plan: plan}); err != nil {
		ts.t.Fatal(err)
	}
	return ts.client(ts.key(id, "admin", "events:write", "events:read").Key)
}

// key creates an API key of org with scopes, with the platform token.
func (ts *testServer) key(org string, scopes ...string) *client.APIKey {
	ts.t.Helper()
	k, err := ts.platform.CreateAPIKey(context.Background(), org, client.APIKeyCreate{Name: "test key", Scopes: scopes})
	if err != nil {
		ts.t.Fatal(err)
	}
	return k
}

// A request is one raw HTTP request for table tests.
type request struct {
	method, path, token string
	body                string
	header              map[string]string
	gzip                bool
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
	err    client.ErrorDetail // when the body is an error envelope
}

func (ts *testServer) do(r request) response {
	ts.t.Helper()
	var body io.Reader
	if r.body != "" {
		b := []byte(r.body)
		if r.gzip {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(b)
			zw.Close()
			b = buf.Bytes()
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(r.method, ts.URL+r.path, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := ts.hc.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.StatusCode >= 400 {
		var eb client.ErrorBody
		if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			ts.t.Errorf("%s %s: %d answer is not an error envelope: %s", r.method, r.path, resp.StatusCode, b)
		}
		out.err = eb.Error
		if strings.Contains(string(b), "goroutine") || strings.Contains(string(b), ".go:") {
			ts.t.Errorf("%s %s: answer leaks internals: %s", r.method, r.path, b)
		}
	}
	return out
}

// tree returns org's tree size.
func (ts *testServer) treeSize(org string) int64 {
	ts.t.Helper()
	h, err := ts.led.Head(context.Background(), org)
	if err != nil {
		ts.t.Fatal(err)
	}
	return h.Size
}

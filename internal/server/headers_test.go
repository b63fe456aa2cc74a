package server_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/steleaudit/stele/internal/server"
)

// TestSecurityHeaders checks the headers every answer carries, found or
// not, signed in or not.
func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t)
	ts.org("acme", "enterprise")
	for _, req := range []request{
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/v1/orgs/acme", token: platformToken},
		{method: "GET", path: "/v1/orgs/acme"},
		{method: "GET", path: "/v1/nothing"},
		{method: "POST", path: "/v1/auth/login", body: `{"email":"a@example.com","password":"x"}`},
	} {
		r := ts.do(req)
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%s %s: %s = %q, want %q", req.method, req.path, k, got, want)
			}
		}
	}
}

// TestFrameAncestors checks that the origins allowed to frame pages are
// those configured, and that a configuration that is not a list of
// origins is refused.
func TestFrameAncestors(t *testing.T) {
	ts := newTestServer(t, serverOpts{frames: []string{"https://app.example.com", "http://localhost:3000"}})
	r := ts.do(request{method: "GET", path: "/healthz"})
	if got := r.header.Get("Content-Security-Policy"); got != "default-src 'none'; frame-ancestors https://app.example.com http://localhost:3000" {
		t.Errorf("Content-Security-Policy = %q", got)
	}
	if got := r.header.Get("X-Frame-Options"); got != "" {
		t.Errorf("X-Frame-Options = %q with frame ancestors allowed", got)
	}
	for _, bad := range []string{"app.example.com", "https://app.example.com/path", "https://a.example.com; script-src *",
		"javascript:alert(1)", "https://user@app.example.com", "'self'", "*", "https://app.example.com/"} {
		_, err := server.New(server.Config{Store: ts.st, Ledger: ts.led, PlatformToken: platformToken, FrameAncestors: []string{bad}})
		if err == nil || !strings.Contains(err.Error(), "frame ancestor") {
			t.Errorf("New(FrameAncestors: %q) = %v, want refused", bad, err)
		}
	}
}

// TestClientAddress checks the address events are logged with: the
// peer's, unless the peer is a trusted proxy, then the last address of
// X-Forwarded-For that is not a trusted proxy.
func TestClientAddress(t *testing.T) {
	for _, tt := range []struct {
		trusted []string
		xff     []string
		want    string
	}{
		{nil, nil, "127.0.0.1"},
		{nil, []string{"203.0.113.9"}, "127.0.0.1"}, // an untrusted peer's header is ignored
		{[]string{"127.0.0.0/8"}, nil, "127.0.0.1"},
		{[]string{"127.0.0.0/8"}, []string{"203.0.113.9"}, "203.0.113.9"},
		{[]string{"127.0.0.0/8"}, []string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"}, // the client's own claim is left of it
		{[]string{"127.0.0.0/8", "10.0.0.0/8"}, []string{"203.0.113.9, 10.1.2.3"}, "203.0.113.9"},
		{[]string{"127.0.0.0/8", "10.0.0.0/8"}, []string{"203.0.113.9", "10.1.2.3"}, "203.0.113.9"}, // two headers are one list
		{[]string{"127.0.0.0/8"}, []string{"2001:db8::1"}, "2001:db8::1"},
		{[]string{"127.0.0.0/8"}, []string{"203.0.113.9, not-an-ip"}, "127.0.0.1"},
	} {
		var prefixes []netip.Prefix
		for _, p := range tt.trusted {
			prefixes = append(prefixes, netip.MustParsePrefix(p))
		}
		ts := newTestServer(t, serverOpts{trusted: prefixes})
		ts.org("acme", "enterprise")
		req, _ := http.NewRequest("PATCH", ts.URL+"/v1/orgs/acme", strings.NewReader(`{"name":"Acme 2"}`))
		req.Header.Set("Authorization", "Bearer "+platformToken)
		req.Header.Set("Content-Type", "application/json")
		for _, x := range tt.xff {
			req.Header.Add("X-Forwarded-For", x)
		}
		resp, err := ts.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if e := ts.lastEvent("acme"); e.Event != "org.settings_changed" || e.IP != tt.want {
			t.Errorf("trusted %v, X-Forwarded-For %q: logged %s from %q, want from %q", tt.trusted, tt.xff, e.Event, e.IP, tt.want)
		}
	}
}

package server_test

import (
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

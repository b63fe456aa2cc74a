package server_test

import (
	"encoding/json"
	"testing"

	"github.com/steleaudit/stele/client"
)

// TestRetention checks the retention setting: the plan's default, a
// choice within the plan's bounds, refused beyond them or on a plan
// without audit logs, clamped when the plan shrinks, and every change
// logged as retention.changed with the old and new days.
func TestRetention(t *testing.T) {
	ts := newTestServer(t)
	ts.org("acme", "enterprise")
	ts.org("cheap", "startup")
	patch := func(org, body string) response {
		return ts.do(request{method: "PATCH", path: "/v1/orgs/" + org, token: platformToken, body: body})
	}
	days := func(r response) int {
		t.Helper()
		var o client.Org
		if r.status != 200 || json.Unmarshal(r.body, &o) != nil {
			t.Fatalf("answer = %d %s", r.status, r.body)
		}
		return o.RetentionDays
	}
	if d := days(ts.do(request{method: "GET", path: "/v1/orgs/acme", token: platformToken})); d != 730 {
		t.Errorf("enterprise default = %d days, want 730", d)
	}
	if d := days(ts.do(request{method: "GET", path: "/v1/orgs/cheap", token: platformToken})); d != 0 {
		t.Errorf("startup retention = %d days, want 0", d)
	}
	if d := days(patch("acme", `{"retention_days":2555}`)); d != 2555 {
		t.Errorf("after setting 7 years: %d days", d)
	}
	ts.checkLogged("acme", "retention.changed", "", `"old_days":730`, `"new_days":2555`)
	size := ts.treeSize("acme")
	days(patch("acme", `{"retention_days":2555}`))
	if ts.treeSize("acme") != size {
		t.Error("setting the same retention logged something")
	}
	for _, tt := range []struct{ org, body string }{
		{"acme", `{"retention_days":2556}`},
		{"acme", `{"retention_days":-1}`},
		{"cheap", `{"retention_days":30}`},
		{"acme", `{"plan":"professional","retention_days":365}`},
	} {
		if r := patch(tt.org, tt.body); r.status != 400 || r.err.Field != "retention_days" {
			t.Errorf("PATCH %s %s = %d %+v, want 400 on retention_days", tt.org, tt.body, r.status, r.err)
		}
	}
	// A smaller plan keeps events for its maximum at most.
	if d := days(patch("acme", `{"plan":"professional"}`)); d != 90 {
		t.Errorf("after moving to professional: %d days, want 90", d)
	}
	ts.checkLogged("acme", "retention.changed", "", `"old_days":2555`, `"new_days":90`)
	if d := days(patch("acme", `{"retention_days":30}`)); d != 30 {
		t.Errorf("after setting 30 days: %d", d)
	}
	if d := days(patch("acme", `{"retention_days":0}`)); d != 90 {
		t.Errorf("after going back to the default: %d, want 90", d)
	}
}

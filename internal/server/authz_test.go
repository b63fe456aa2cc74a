package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/store"
)

// The authorization matrix: every route of the router, called by every
// kind of credential, answers what this file's table says. The table
// states the policy on its own (what each route needs, what each
// credential holds), so that a change of routes.go that loosens it
// fails here.

// access is who may call a route, as the matrix states it.
type access int

const (
	anyone   access = iota // no credential needed
	platform               // the platform token only
	org                    // a credential of organization A with the permission
	whole                  // a person with a whole session
	half                   // a person with a session, whole or awaiting TOTP
)

// A matrixRow is one route: who may call it, what it needs, and the
// status it answers a caller allowed in (its request is built to answer
// the same status every time).
type matrixRow struct {
	pattern string
	access  access
	perm    auth.Permission // for org routes: "" for any member
	path    string          // with query, for the request
	body    string
	ok      int
}

// A credential is one kind of caller.
type credential struct {
	name  string
	kind  string            // none, bad, platform, key, session, pending
	org   string            // of a key or person
	perms []auth.Permission // what it may do in its org
	// header returns the request's credential headers, fresh for each
	// request (a session may be ended by the request).
	header func(t *testing.T) map[string]string
}

// expect returns the status c must get from row.
func (row matrixRow) expect(c credential) int {
	if row.access == anyone {
		return row.ok
	}
	switch {
	case c.kind == "none" || c.kind == "bad":
		return http.StatusUnauthorized
	case c.kind == "pending":
		if row.access == half {
			return row.ok
		}
		return http.StatusUnauthorized
	}
	switch row.access {
	case platform:
		if c.kind == "platform" {
			return row.ok
		}
		return http.StatusForbidden
	case whole, half:
		if c.kind == "session" {
			return row.ok
		}
		return http.StatusForbidden
	}
	if c.kind != "platform" && c.org != "acme" {
		return http.StatusNotFound // another organization's: it does not exist
	}
	if c.kind == "platform" || row.perm == "" || slices.Contains(c.perms, row.perm) {
		return row.ok
	}
	return http.StatusForbidden
}

func TestAuthorizationMatrix(t *testing.T) {
	ts := newTestServer(t)
	ts.org("acme", "enterprise")
	ts.org("globex", "enterprise")
	ctx := context.Background()
	now := time.Now()
	for i := range 3 {
		ts.do(request{method: "POST", path: "/v1/orgs/acme/events", token: platformToken, body: batch(entry(fmt.Sprint("seed-", i)))})
	}
	waitCheckpoint(t, ts, "acme")
	victimKey := ts.key("acme", "events:read").ID
	viewer := func(perms []auth.Permission, expired, revoked bool) (string, string) {
		token, v := auth.NewViewerToken("acme", "user-7@platform.example", perms, time.Now(), time.Hour)
		if expired {
			v.CreatedAt, v.ExpiresAt = now.Add(-2*time.Hour), now.Add(-time.Hour)
		}
		if revoked {
			v.RevokedAt = now
		}
		write(t, ts.st, func(ctx context.Context, tx store.Tx) error { return tx.CreateViewerToken(ctx, v) })
		return token, v.ID
	}
	_, victimViewer := viewer([]auth.Permission{auth.AuditRead}, false, false)
	revoked := ts.key("acme", "admin")
	if r := ts.do(request{method: "DELETE", path: "/v1/orgs/acme/api-keys/" + revoked.ID, token: platformToken}); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}

	// People of acme, one per role, and a custom role per permission; an
	// owner of globex; a member of acme whose membership changes hands.
	people := map[string]string{} // name → user id
	addPerson := func(orgID, name, role string) {
		id := auth.NewID("usr_")
		people[name] = id
		write(t, ts.st, func(ctx context.Context, tx store.Tx) error {
			if err := tx.CreateUser(ctx, store.User{ID: id, Email: name + "@example.com", Name: name, PasswordHash: "x", CreatedAt: now}); err != nil {
				return err
			}
			return tx.AddMember(ctx, store.Member{Org: orgID, UserID: id, Role: role, CreatedAt: now})
		})
	}
	for _, p := range auth.Permissions {
		role := "only-" + strings.ReplaceAll(string(p), ".", "-")
		write(t, ts.st, func(ctx context.Context, tx store.Tx) error {
			return tx.CreateRole(ctx, store.Role{Org: "acme", Name: role, Permissions: []string{string(p)}, CreatedAt: now})
		})
		addPerson("acme", role, role)
	}
	write(t, ts.st, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateRole(ctx, store.Role{Org: "acme", Name: "nothing", CreatedAt: now})
	})
	addPerson("acme", "nothing", "nothing")
	for _, role := range auth.BuiltinRoles {
		addPerson("acme", role, role)
	}
	addPerson("globex", "globex-owner", "owner")
	addPerson("acme", "victim", "member")

	session := func(name string, pending bool, expired bool) func(t *testing.T) map[string]string {
		return func(t *testing.T) map[string]string {
			token, s := auth.NewSession(people[name], pending, time.Now())
			if expired {
				s.CreatedAt, s.ExpiresAt = now.Add(-2*auth.SessionTTL), now.Add(-auth.SessionTTL)
			}
			write(t, ts.st, func(ctx context.Context, tx store.Tx) error { return tx.CreateSession(ctx, s) })
			return map[string]string{"Cookie": "stele_session=" + token, "X-CSRF-Token": auth.CSRFToken(token)}
		}
	}
	bearer := func(token string) func(*testing.T) map[string]string {
		return func(*testing.T) map[string]string { return map[string]string{"Authorization": "Bearer " + token} }
	}
	creds := []credential{
		{name: "none", kind: "none", header: func(*testing.T) map[string]string { return nil }},
		{name: "platform", kind: "platform", header: bearer(platformToken)},
		{name: "revoked key", kind: "bad", header: bearer(revoked.Key)},
		{name: "expired session", kind: "bad", header: session("owner", false, true)},
		{name: "pending session", kind: "pending", header: session("owner", true, false)},
		{name: "expired viewer token", kind: "bad", header: bearer(first(viewer([]auth.Permission{auth.AuditRead}, true, false)))},
		{name: "revoked viewer token", kind: "bad", header: bearer(first(viewer([]auth.Permission{auth.AuditRead}, false, true)))},
		{name: "acme viewer token", kind: "key", org: "acme", perms: []auth.Permission{auth.AuditRead, auth.AuditExport},
			header: bearer(first(viewer([]auth.Permission{auth.AuditRead, auth.AuditExport}, false, false)))},
		{name: "globex owner", kind: "session", org: "globex", perms: auth.Permissions, header: session("globex-owner", false, false)},
		{name: "globex key", kind: "key", org: "globex", perms: auth.ScopePermissions([]auth.Scope{auth.Admin}),
			header: bearer(ts.key("globex", "admin").Key)},
	}
	for _, role := range auth.BuiltinRoles {
		perms, _ := auth.BuiltinPermissions(role)
		creds = append(creds, credential{name: "acme " + role, kind: "session", org: "acme", perms: perms, header: session(role, false, false)})
	}
	creds = append(creds, credential{name: "acme role granting nothing", kind: "session", org: "acme", header: session("nothing", false, false)})
	for _, p := range auth.Permissions {
		role := "only-" + strings.ReplaceAll(string(p), ".", "-")
		creds = append(creds, credential{name: "acme role " + role, kind: "session", org: "acme", perms: []auth.Permission{p}, header: session(role, false, false)})
	}
	// What each scope grants, as the policy states it.
	scopePerms := map[auth.Scope][]auth.Permission{
		auth.EventsWrite:    {auth.EventsSend},
		auth.EventsRead:     {auth.AuditRead},
		auth.Export:         {auth.AuditExport},
		auth.AlertsManage:   {auth.AuditAlerts},
		auth.SettingsManage: {auth.AuditSettings},
		auth.Admin:          append([]auth.Permission{auth.EventsSend}, auth.Permissions...),
	}
	for _, s := range auth.Scopes {
		creds = append(creds, credential{name: "acme key " + string(s), kind: "key", org: "acme", perms: scopePerms[s],
			header: bearer(ts.key("acme", string(s)).Key)})
	}

	size := ts.treeSize("acme")
	rows := []matrixRow{
		{"GET /healthz", anyone, "", "/healthz", "", 200},
		{"GET /readyz", anyone, "", "/readyz", "", 200},
		{"GET /v1/openapi.json", anyone, "", "/v1/openapi.json", "", 200},
		{"GET /v1/verifier-key", anyone, "", "/v1/verifier-key", "", 200},
		{"GET /metrics", anyone, "", "/metrics", "", 200},
		{"POST /v1/auth/login", anyone, "", "/v1/auth/login", `{}`, 400},
		{"POST /v1/invitations/{token}/accept", anyone, "", "/v1/invitations/stele_invite_" + strings.Repeat("a", 32) + "/accept", `{"password":"x"}`, 404},

		{"POST /v1/auth/logout", half, "", "/v1/auth/logout", "", 204},
		{"POST /v1/auth/password", whole, "", "/v1/auth/password", `{"current_password":"x","new_password":"short"}`, 400},
		{"POST /v1/auth/mfa/enroll", whole, "", "/v1/auth/mfa/enroll", "", 200},
		{"POST /v1/auth/mfa/confirm", whole, "", "/v1/auth/mfa/confirm", `{"code":"12"}`, 400},
		{"GET /v1/me", whole, "", "/v1/me", "", 200},

		{"POST /v1/orgs", platform, "", "/v1/orgs", `{"id":"Not An Id","name":"x","plan":"free"}`, 400},
		{"GET /v1/orgs/{org}", org, "", "/v1/orgs/acme", "", 200},
		{"PATCH /v1/orgs/{org}", org, auth.AuditSettings, "/v1/orgs/acme", `{}`, 200},

		{"POST /v1/orgs/{org}/invitations", org, auth.MembersManage, "/v1/orgs/acme/invitations", `{"email":"x@example.com","role":""}`, 400},
		{"GET /v1/orgs/{org}/members", org, auth.MembersManage, "/v1/orgs/acme/members", "", 200},
		{"PATCH /v1/orgs/{org}/members/{id}", org, auth.MembersManage, "/v1/orgs/acme/members/" + people["victim"], `{"role":"member"}`, 200},
		{"DELETE /v1/orgs/{org}/members/{id}", org, auth.MembersManage, "/v1/orgs/acme/members/" + people["victim"], "", 204},
		{"POST /v1/orgs/{org}/roles", org, auth.MembersManage, "/v1/orgs/acme/roles", `{"name":"Bad Name","permissions":[]}`, 400},
		{"GET /v1/orgs/{org}/roles", org, auth.MembersManage, "/v1/orgs/acme/roles", "", 200},

		{"POST /v1/orgs/{org}/api-keys", org, auth.KeysManage, "/v1/orgs/acme/api-keys", `{"name":"k","scopes":[]}`, 400},
		{"GET /v1/orgs/{org}/api-keys", org, auth.KeysManage, "/v1/orgs/acme/api-keys", "", 200},
		{"DELETE /v1/orgs/{org}/api-keys/{id}", org, auth.KeysManage, "/v1/orgs/acme/api-keys/" + victimKey, "", 200},

		{"POST /v1/orgs/{org}/viewer-tokens", org, auth.KeysManage, "/v1/orgs/acme/viewer-tokens", `{"subject":"","ttl":"1h"}`, 400},
		{"DELETE /v1/orgs/{org}/viewer-tokens/{id}", org, auth.KeysManage, "/v1/orgs/acme/viewer-tokens/" + victimViewer, "", 200},

		{"POST /v1/orgs/{org}/events", org, auth.EventsSend, "/v1/orgs/acme/events", batch(`{"timestamp":"2026-01-03T14:30:00Z","actor":"alice@example.com","event":"auth.login"}`), 201},
		{"GET /v1/orgs/{org}/events", org, auth.AuditRead, "/v1/orgs/acme/events?limit=1", "", 200},
		{"GET /v1/orgs/{org}/events/stream", org, auth.AuditRead, "/v1/orgs/acme/events/stream", "", 200},
		{"GET /v1/orgs/{org}/events/facets", org, auth.AuditRead, "/v1/orgs/acme/events/facets", "", 200},
		{"GET /v1/orgs/{org}/events/histogram", org, auth.AuditRead, "/v1/orgs/acme/events/histogram", "", 200},
		{"GET /v1/orgs/{org}/events/{seq}", org, auth.AuditRead, "/v1/orgs/acme/events/0", "", 200},
		{"GET /v1/orgs/{org}/events/{seq}/leaf", org, auth.AuditRead, "/v1/orgs/acme/events/0/leaf", "", 200},

		{"GET /v1/orgs/{org}/checkpoint", org, auth.AuditRead, "/v1/orgs/acme/checkpoint", "", 200},
		{"GET /v1/orgs/{org}/proofs/inclusion", org, auth.AuditRead, fmt.Sprintf("/v1/orgs/acme/proofs/inclusion?seq=0&tree_size=%d", size), "", 200},
		{"GET /v1/orgs/{org}/proofs/consistency", org, auth.AuditRead, fmt.Sprintf("/v1/orgs/acme/proofs/consistency?from=1&to=%d", size), "", 200},
	}

	// Every route has a row, and every row a route.
	var patterns []string
	for _, rt := range routeTable(t) {
		patterns = append(patterns, rt.pattern)
		if !slices.ContainsFunc(rows, func(r matrixRow) bool { return r.pattern == rt.pattern }) {
			t.Errorf("route %s has no row in the authorization matrix", rt.pattern)
		}
	}
	for _, row := range rows {
		if !slices.Contains(patterns, row.pattern) {
			t.Errorf("matrix row %s is no route", row.pattern)
		}
	}

	for _, row := range rows {
		for _, c := range creds {
			// The victim is a member again, whatever the last call did.
			write(t, ts.st, func(ctx context.Context, tx store.Tx) error {
				if err := tx.AddMember(ctx, store.Member{Org: "acme", UserID: people["victim"], Role: "member", CreatedAt: now}); err != nil && !errors.Is(err, store.ErrConflict) {
					return err
				}
				return nil
			})
			want := row.expect(c)
			method, _, _ := strings.Cut(row.pattern, " ")
			got := ts.matrixCall(t, method, row.path, row.body, c.header(t))
			if got.status != want {
				t.Errorf("%s by %s = %d %s, want %d", row.pattern, c.name, got.status, got.body, want)
				continue
			}
			if want == http.StatusNotFound && row.access == org && strings.Contains(string(got.body), "acme") {
				t.Errorf("%s by %s: the 404 tells of acme: %s", row.pattern, c.name, got.body)
			}
		}
	}
	_ = ctx
}

// matrixCall makes one request and reads its status and, unless it is a
// stream, its body.
func (ts *testServer) matrixCall(t *testing.T, method, path, body string, header map[string]string) response {
	if !strings.HasSuffix(path, "/stream") {
		return ts.do(request{method: method, path: path, body: body, header: header})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close() // a stream: the status is all the matrix needs
	return response{status: resp.StatusCode}
}

// waitCheckpoint waits until org has a signed checkpoint.
func waitCheckpoint(t *testing.T, ts *testServer, org string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r := ts.do(request{method: "GET", path: "/v1/orgs/" + org + "/checkpoint", token: platformToken}); r.status == 200 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no checkpoint of %s within 10s", org)
}

// write runs f in a write transaction of st, failing t if it fails.
func write(t *testing.T, st store.Store, f func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := st.ReadWrite(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

func first[T, U any](t T, _ U) T { return t }

package server_test

import (
	"encoding/base32"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/totp"
)

// TestEveryChangeIsLogged calls every route that changes something, as
// the router lists them, and checks that each logged its event, with the
// acting person, key or platform as actor and the caller's address. A
// new route that changes something fails here until it logs, and has a
// step here.
func TestEveryChangeIsLogged(t *testing.T) {
	ts := newTestServer(t)
	ts.org("acme", "enterprise")
	alice := ts.join("acme", "alice@example.com", "owner", nil)
	const pw = "correct horse battery staple"
	bob := ts.join("acme", "bob@example.com", "member", alice)
	var bobID, keyID, viewerID, invitation, secret string

	type step struct {
		pattern string
		req     func() request
		status  int
		event   string // the event logged in acme (or in the new org, for POST /v1/orgs)
		actor   string // its actor's type
		after   func(r response)
	}
	steps := []step{
		{"POST /v1/orgs", func() request {
			return request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"globex","name":"Globex","plan":"enterprise"}`}
		}, 201, "org.created", "system", nil},
		{"PATCH /v1/orgs/{org}", func() request {
			return alice.as(request{method: "PATCH", path: "/v1/orgs/acme", body: `{"time_zone":"Europe/Paris"}`})
		}, 200, "org.settings_changed", "user", nil},
		{"POST /v1/orgs/{org}/invitations", func() request {
			return alice.as(request{method: "POST", path: "/v1/orgs/acme/invitations", body: `{"email":"carol@example.com","role":"member"}`})
		}, 201, "member.invited", "user", func(r response) {
			var inv client.Invitation
			json.Unmarshal(r.body, &inv)
			invitation = inv.Token
		}},
		{"POST /v1/invitations/{token}/accept", func() request {
			return request{method: "POST", path: "/v1/invitations/" + invitation + "/accept", body: `{"name":"Carol","password":"` + pw + `"}`}
		}, 200, "member.joined", "user", nil},
		{"GET /v1/orgs/{org}/members", func() request {
			return alice.as(request{method: "GET", path: "/v1/orgs/acme/members"})
		}, 200, "", "", func(r response) {
			var ml client.MemberList
			json.Unmarshal(r.body, &ml)
			for _, m := range ml.Members {
				if m.Email == "bob@example.com" {
					bobID = m.ID
				}
			}
		}},
		{"PATCH /v1/orgs/{org}/members/{id}", func() request {
			return alice.as(request{method: "PATCH", path: "/v1/orgs/acme/members/" + bobID, body: `{"role":"admin"}`})
		}, 200, "member.role_changed", "user", nil},
		{"DELETE /v1/orgs/{org}/members/{id}", func() request {
			return alice.as(request{method: "DELETE", path: "/v1/orgs/acme/members/" + bobID})
		}, 204, "member.removed", "user", nil},
		{"POST /v1/orgs/{org}/roles", func() request {
			return alice.as(request{method: "POST", path: "/v1/orgs/acme/roles", body: `{"name":"auditor","permissions":["audit.read"]}`})
		}, 201, "role.created", "user", nil},
		{"POST /v1/orgs/{org}/api-keys", func() request {
			return alice.as(request{method: "POST", path: "/v1/orgs/acme/api-keys", body: `{"name":"ci","scopes":["events:write"]}`})
		}, 201, "api_key.created", "user", func(r response) {
			var k client.APIKey
			json.Unmarshal(r.body, &k)
			keyID = k.ID
		}},
		{"DELETE /v1/orgs/{org}/api-keys/{id}", func() request {
			return alice.as(request{method: "DELETE", path: "/v1/orgs/acme/api-keys/" + keyID})
		}, 200, "api_key.revoked", "user", nil},
		{"POST /v1/orgs/{org}/viewer-tokens", func() request {
			return alice.as(request{method: "POST", path: "/v1/orgs/acme/viewer-tokens", body: `{"subject":"user-7@platform.example","ttl":"15m"}`})
		}, 201, "viewer_token.created", "user", func(r response) {
			var v client.ViewerToken
			json.Unmarshal(r.body, &v)
			viewerID = v.ID
		}},
		{"DELETE /v1/orgs/{org}/viewer-tokens/{id}", func() request {
			return alice.as(request{method: "DELETE", path: "/v1/orgs/acme/viewer-tokens/" + viewerID})
		}, 200, "viewer_token.revoked", "user", nil},
		{"POST /v1/orgs/{org}/events", func() request {
			return request{method: "POST", path: "/v1/orgs/acme/events", token: platformToken, body: batch(entry("sent"))}
		}, 201, "auth.login", "user", nil},
		{"POST /v1/auth/mfa/enroll", func() request {
			return alice.as(request{method: "POST", path: "/v1/auth/mfa/enroll"})
		}, 200, "auth.mfa_enrollment_started", "user", func(r response) {
			var e client.MFAEnrollment
			json.Unmarshal(r.body, &e)
			secret = e.Secret
		}},
		{"POST /v1/auth/mfa/confirm", func() request {
			s, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
			return alice.as(request{method: "POST", path: "/v1/auth/mfa/confirm", body: `{"code":"` + totp.Code(s, time.Now()) + `"}`})
		}, 200, "auth.mfa_enabled", "user", nil},
		{"POST /v1/auth/password", func() request {
			return alice.as(request{method: "POST", path: "/v1/auth/password", body: `{"current_password":"` + pw + `","new_password":"another good passphrase"}`})
		}, 204, "auth.password_changed", "user", nil},
		{"POST /v1/auth/logout", func() request {
			return bob.as(request{method: "POST", path: "/v1/auth/logout"})
		}, 204, "", "", nil}, // bob is no member anymore: logged nowhere (see below)
		{"POST /v1/auth/login", func() request {
			return request{method: "POST", path: "/v1/auth/login", body: `{"email":"carol@example.com","password":"` + pw + `"}`}
		}, 200, "auth.login", "user", nil},
	}
	done := map[string]bool{}
	for _, st := range steps {
		org := "acme"
		if st.pattern == "POST /v1/orgs" {
			org = "globex"
		}
		var size int64
		if org == "acme" {
			size = ts.treeSize(org)
		}
		req := st.req()
		req.header = withUA(req.header)
		r := ts.do(req)
		if r.status != st.status {
			t.Fatalf("%s = %d %s, want %d", st.pattern, r.status, r.body, st.status)
		}
		done[st.pattern] = true
		if st.after != nil {
			st.after(r)
		}
		if st.event == "" {
			continue
		}
		es := ts.events(org, size)
		i := slices.IndexFunc(es, func(e client.Event) bool { return e.Event == st.event })
		if i < 0 {
			t.Errorf("%s logged %d events, none %s", st.pattern, len(es), st.event)
			continue
		}
		if e := es[i]; st.pattern != "POST /v1/orgs/{org}/events" &&
			(e.Actor.Type != st.actor || e.IP != "127.0.0.1" || e.UserAgent != "audit-test") {
			t.Errorf("%s logged %s by %+v from %q %q, want a %s from 127.0.0.1", st.pattern, e.Event, e.Actor, e.IP, e.UserAgent, st.actor)
		}
	}
	// bob's logout is logged in each of his organizations, of which he
	// has none left; carol's is logged in acme.
	_, carol := ts.login("carol@example.com", pw, "")
	size := ts.treeSize("acme")
	if r := ts.do(carol.as(request{method: "POST", path: "/v1/auth/logout"})); r.status != 204 {
		t.Fatalf("logout = %d", r.status)
	}
	if es := ts.events("acme", size); len(es) != 1 || es[0].Event != "auth.logout" {
		t.Errorf("logout logged %+v", es)
	}

	for _, rt := range routeTable(t) {
		method, _, _ := strings.Cut(rt.pattern, " ")
		if method != http.MethodGet && !done[rt.pattern] {
			t.Errorf("route %s changes something and has no step here", rt.pattern)
		}
	}
}

// withUA adds the User-Agent the audit test checks events for.
func withUA(h map[string]string) map[string]string {
	out := map[string]string{"User-Agent": "audit-test"}
	for k, v := range h {
		out[k] = v
	}
	return out
}

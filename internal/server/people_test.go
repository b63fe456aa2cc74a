package server_test

import (
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/totp"
)

// A person is someone signed in to the test server: their session cookie
// and CSRF token.
type person struct {
	email, password string
	cookie, csrf    string
}

// as returns r sent by p: with p's session cookie, and its CSRF token.
func (p *person) as(r request) request {
	h := map[string]string{"Cookie": "stele_session=" + p.cookie}
	if p.csrf != "" {
		h["X-CSRF-Token"] = p.csrf
	}
	for k, v := range r.header {
		h[k] = v
	}
	r.header = h
	return r
}

// sessionCookie returns the session cookie an answer set, or "".
func sessionCookie(r response) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "stele_session" {
			return c
		}
	}
	return nil
}

// invite invites email into org with role, as token (a bearer token) or
// by (a person), and returns the invitation token.
func (ts *testServer) invite(org, email, role string, by *person) string {
	ts.t.Helper()
	req := request{method: "POST", path: "/v1/orgs/" + org + "/invitations", body: fmt.Sprintf(`{"email":%q,"role":%q}`, email, role)}
	if by == nil {
		req.token = platformToken
	} else {
		req = by.as(req)
	}
	r := ts.do(req)
	var inv client.Invitation
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &inv) != nil || inv.Token == "" {
		ts.t.Fatalf("invite %s to %s: %d %s", email, org, r.status, r.body)
	}
	if !strings.HasSuffix(inv.URL, "/invitations/"+inv.Token) || inv.Role != role {
		ts.t.Errorf("invitation = %+v", inv)
	}
	return inv.Token
}

// accept accepts the invitation token with a name and password.
func (ts *testServer) accept(token, name, password string) response {
	ts.t.Helper()
	return ts.do(request{method: "POST", path: "/v1/invitations/" + token + "/accept",
		body: fmt.Sprintf(`{"name":%q,"password":%q}`, name, password)})
}

// login signs in with email and password (and code, if not ""), and
// returns the answer and the person, signed in if it succeeded.
func (ts *testServer) login(email, password, code string) (response, *person) {
	ts.t.Helper()
	in, _ := json.Marshal(client.Login{Email: email, Password: password, TOTP: code})
	r := ts.do(request{method: "POST", path: "/v1/auth/login", body: string(in), header: map[string]string{"User-Agent": "people-test/1.0"}})
	p := &person{email: email, password: password}
	if c := sessionCookie(r); c != nil {
		p.cookie = c.Value
	}
	var si client.SignIn
	if r.status == http.StatusOK && json.Unmarshal(r.body, &si) == nil {
		p.csrf = si.CSRFToken
	}
	return r, p
}

// join invites email into org with role and signs them in.
func (ts *testServer) join(org, email, role string, by *person) *person {
	ts.t.Helper()
	const pw = "correct horse battery staple"
	if r := ts.accept(ts.invite(org, email, role, by), "Name of "+email, pw); r.status != http.StatusOK {
		if r.status != http.StatusOK {
			ts.t.Fatalf("accept: %d %s", r.status, r.body)
		}
	}
	r, p := ts.login(email, pw, "")
	if r.status != http.StatusOK {
		ts.t.Fatalf("login %s: %d %s", email, r.status, r.body)
	}
	return p
}

// lastEvent returns org's latest event.
func (ts *testServer) lastEvent(org string) client.Event {
	ts.t.Helper()
	es := ts.events(org, ts.treeSize(org)-1)
	return es[len(es)-1]
}

// checkLogged fails t unless org's latest event is of typ by actorEmail
// (or the platform, for ""), with details containing each of want.
func (ts *testServer) checkLogged(org, typ, actorEmail string, want ...string) {
	ts.t.Helper()
	e := ts.lastEvent(org)
	actorOK := e.Actor.Type == "user" && e.Actor.Email == actorEmail || actorEmail == "" && e.Actor.ID == "platform"
	if e.Event != typ || !actorOK {
		ts.t.Errorf("%s's last event = %s by %+v, want %s by %q", org, e.Event, e.Actor, typ, actorEmail)
	}
	for _, w := range want {
		if !strings.Contains(string(e.Details), w) {
			ts.t.Errorf("%s details = %s, want %s in them", typ, e.Details, w)
		}
	}
}

func check(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.err.Code != code {
		t.Errorf("%s = %d %s (%s), want %d %s", what, r.status, r.err.Code, r.body, status, code)
	}
}

// TestSignIn follows one person from invitation to sign-in with MFA,
// recovery codes, password change and sign-out, with the events each
// step logs.
func TestSignIn(t *testing.T) {
	ts := newTestServer(t)
	ts.org("acme", "enterprise")
	token := ts.invite("acme", "Alice@Example.com", "owner", nil)
	ts.checkLogged("acme", "member.invited", "", `"email":"alice@example.com"`, `"role":"owner"`)

	check(t, "accept(bad token)", ts.accept("stele_invite_"+strings.Repeat("a", 32), "Alice", "correct horse battery staple"), 404, "invitation_invalid")
	check(t, "accept(malformed token)", ts.accept("nope", "Alice", "correct horse battery staple"), 404, "invitation_invalid")
	check(t, "accept(short password)", ts.accept(token, "Alice", "short"), 400, "invalid_field")
	check(t, "accept(no name)", ts.accept(token, "", "correct horse battery staple"), 400, "invalid_field")
	const pw = "correct horse battery staple"
	r := ts.accept(token, "Alice", pw)
	var acc client.InvitationAccepted
	if r.status != 200 || json.Unmarshal(r.body, &acc) != nil || acc.User.Email != "alice@example.com" || acc.Org.ID != "acme" || acc.Org.Role != "owner" {
		t.Fatalf("accept = %d %s", r.status, r.body)
	}
	ts.checkLogged("acme", "member.joined", "alice@example.com", `"role":"owner"`)
	check(t, "accept(again)", ts.accept(token, "Alice", pw), 404, "invitation_invalid")

	r, _ = ts.login("alice@example.com", "wrong password!", "")
	check(t, "login(wrong password)", r, 401, "invalid_credentials")
	ts.checkLogged("acme", "auth.failed", "alice@example.com", `"reason":"wrong_password"`)
	size := ts.treeSize("acme")
	r, _ = ts.login("nobody@example.com", pw, "")
	check(t, "login(unknown email)", r, 401, "invalid_credentials")
	if ts.treeSize("acme") != size {
		t.Error("a failed sign-in of an unknown email was logged in acme")
	}

	r, alice := ts.login(" ALICE@example.com", pw, "")
	var si client.SignIn
	if r.status != 200 || json.Unmarshal(r.body, &si) != nil || si.MFARequired || si.CSRFToken == "" ||
		len(si.Orgs) != 1 || !reflect.DeepEqual(si.Orgs[0], client.Membership{ID: "acme", Name: "Org acme", Role: "owner",
		Permissions: []string{"audit.read", "audit.export", "audit.alerts", "audit.settings", "audit.anonymize", "members.manage", "keys.manage"}}) {
		t.Fatalf("login = %d %s", r.status, r.body)
	}
	if c := sessionCookie(r); c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Value == "" {
		t.Errorf("session cookie = %+v", c)
	}
	login := ts.lastEvent("acme")
	if login.Event != "auth.login" || login.IP != "127.0.0.1" || login.UserAgent != "people-test/1.0" || login.Actor.ID != si.User.ID {
		t.Errorf("login logged as %+v", login)
	}

	check(t, "me", ts.do(alice.as(request{method: "GET", path: "/v1/me"})), 200, "")
	check(t, "read events", ts.do(alice.as(request{method: "GET", path: "/v1/orgs/acme/events"})), 200, "")
	noCSRF := *alice
	noCSRF.csrf = ""
	role := request{method: "POST", path: "/v1/orgs/acme/roles", body: `{"name":"auditor","permissions":["audit.read"]}`}
	check(t, "create role without CSRF", ts.do(noCSRF.as(role)), 403, "csrf_failed")
	wrongCSRF := noCSRF
	wrongCSRF.csrf = strings.Repeat("a", len(alice.csrf))
	check(t, "create role with a wrong CSRF token", ts.do(wrongCSRF.as(role)), 403, "csrf_failed")
	check(t, "create role", ts.do(alice.as(role)), 201, "")
	check(t, "send events with a session", ts.do(alice.as(request{method: "POST", path: "/v1/orgs/acme/events", body: batch(entry("x"))})), 403, "forbidden")

	// MFA: enroll, confirm with a code of the secret.
	check(t, "confirm before enrolling", ts.do(alice.as(request{method: "POST", path: "/v1/auth/mfa/confirm", body: `{"code":"123456"}`})), 400, "not_enrolled")
	r = ts.do(alice.as(request{method: "POST", path: "/v1/auth/mfa/enroll"}))
	var enr client.MFAEnrollment
	if r.status != 200 || json.Unmarshal(r.body, &enr) != nil || !strings.HasPrefix(enr.URL, "otpauth://totp/Stele:alice%40example.com?secret="+enr.Secret) {
		t.Fatalf("enroll = %d %s", r.status, r.body)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enr.Secret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	wrong := "000000"
	if totp.Code(secret, now) == wrong {
		wrong = "000001"
	}
	check(t, "confirm(wrong code)", ts.do(alice.as(request{method: "POST", path: "/v1/auth/mfa/confirm", body: `{"code":"` + wrong + `"}`})), 400, "invalid_code")
	r = ts.do(alice.as(request{method: "POST", path: "/v1/auth/mfa/confirm", body: `{"code":"` + totp.Code(secret, now) + `"}`}))
	var rc client.RecoveryCodes
	if r.status != 200 || json.Unmarshal(r.body, &rc) != nil || len(rc.Codes) != 10 {
		t.Fatalf("confirm = %d %s", r.status, r.body)
	}
	ts.checkLogged("acme", "auth.mfa_enabled", "alice@example.com")

	// Sign out: the cookie is worth nothing after.
	r = ts.do(alice.as(request{method: "POST", path: "/v1/auth/logout"}))
	if c := sessionCookie(r); r.status != 204 || c == nil || c.MaxAge >= 0 {
		t.Errorf("logout = %d, cookie %+v", r.status, c)
	}
	ts.checkLogged("acme", "auth.logout", "alice@example.com")
	check(t, "me after logout", ts.do(alice.as(request{method: "GET", path: "/v1/me"})), 401, "unauthenticated")

	// Sign in with MFA in two steps: the pending session is good for the
	// second step alone, and is replaced by a new one.
	r, pending := ts.login("alice@example.com", pw, "")
	if r.status != 200 || !strings.Contains(string(r.body), `"mfa_required":true`) || pending.cookie == "" {
		t.Fatalf("login with MFA = %d %s", r.status, r.body)
	}
	check(t, "me while pending", ts.do(pending.as(request{method: "GET", path: "/v1/me"})), 401, "mfa_required")
	check(t, "events while pending", ts.do(pending.as(request{method: "GET", path: "/v1/orgs/acme/events"})), 401, "mfa_required")
	second := func(p *person, code string) response {
		return ts.do(p.as(request{method: "POST", path: "/v1/auth/login", body: `{"totp":"` + code + `"}`}))
	}
	check(t, "second step(wrong code)", second(pending, wrong), 401, "invalid_code")
	ts.checkLogged("acme", "auth.failed", "alice@example.com", `"reason":"wrong_code"`)
	// The code confirming enrollment was used up; the next step's is good.
	check(t, "second step(code used to confirm)", second(pending, totp.Code(secret, now)), 401, "invalid_code")
	r = second(pending, totp.Code(secret, now.Add(30*time.Second)))
	check(t, "second step", r, 200, "")
	full := sessionCookie(r)
	if full == nil || full.Value == pending.cookie {
		t.Fatalf("the second step kept the pending session's token")
	}
	check(t, "pending token after the second step", ts.do(pending.as(request{method: "GET", path: "/v1/me"})), 401, "unauthenticated")
	ts.checkLogged("acme", "auth.login", "alice@example.com", `"mfa":"totp"`)

	// One step with the code: refused once used (the step is spent).
	r, _ = ts.login("alice@example.com", pw, totp.Code(secret, now.Add(30*time.Second)))
	check(t, "login(replayed code)", r, 401, "invalid_code")
	// Recovery codes work once each, however typed.
	r, _ = ts.login("alice@example.com", pw, strings.ToUpper(rc.Codes[0]))
	check(t, "login(recovery code)", r, 200, "")
	ts.checkLogged("acme", "auth.login", "alice@example.com", `"mfa":"recovery_code"`, `"recovery_codes_left":9`)
	r, _ = ts.login("alice@example.com", pw, rc.Codes[0])
	check(t, "login(used recovery code)", r, 401, "invalid_code")
	r, alice = ts.login("alice@example.com", pw, rc.Codes[1])
	check(t, "login(second recovery code)", r, 200, "")

	// Password change: the current one is needed, the new one must pass
	// the policy, and other sessions end.
	r, other := ts.login("alice@example.com", pw, rc.Codes[2])
	check(t, "login(third recovery code)", r, 200, "")
	change := func(cur, next string) response {
		b, _ := json.Marshal(client.PasswordChange{Current: cur, New: next})
		return ts.do(alice.as(request{method: "POST", path: "/v1/auth/password", body: string(b)}))
	}
	check(t, "change password(wrong current)", change("wrong password!", "a brand new passphrase"), 403, "invalid_credentials")
	check(t, "change password(weak)", change(pw, "short"), 400, "invalid_field")
	check(t, "change password", change(pw, "a brand new passphrase"), 204, "")
	ts.checkLogged("acme", "auth.password_changed", "alice@example.com", `"sessions_ended":3`)
	check(t, "other session after the change", ts.do(other.as(request{method: "GET", path: "/v1/me"})), 401, "unauthenticated")
	check(t, "this session after the change", ts.do(alice.as(request{method: "GET", path: "/v1/me"})), 200, "")
	r, _ = ts.login("alice@example.com", pw, rc.Codes[3])
	check(t, "login(old password)", r, 401, "invalid_credentials")
	r, _ = ts.login("alice@example.com", "a brand new passphrase", rc.Codes[3])
	check(t, "login(new password)", r, 200, "")
}

// TestLoginThrottle checks that an account is locked after 5 failures,
// even for the right password, and an address after 20, whatever the
// account.
func TestLoginThrottle(t *testing.T) {
	ts := newTestServer(t)
	ts.org("acme", "enterprise")
	const pw = "correct horse battery staple"
	ts.join("acme", "bob@example.com", "admin", nil)
	for i := range 5 {
		r, _ := ts.login("bob@example.com", fmt.Sprint("wrong password ", i), "")
		check(t, fmt.Sprintf("login(wrong %d)", i), r, 401, "invalid_credentials")
	}
	r, _ := ts.login("bob@example.com", pw, "")
	check(t, "login(right, locked)", r, 429, "too_many_attempts")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// 15 more failures over other accounts from the same address lock it.
	for i := range 15 {
		r, _ := ts.login(fmt.Sprintf("nobody%d@example.com", i), pw, "")
		check(t, fmt.Sprintf("login(unknown %d)", i), r, 401, "invalid_credentials")
	}
	r, _ = ts.login("carol@example.com", pw, "")
	check(t, "login(address locked)", r, 429, "too_many_attempts")
}

// TestMembers checks who may invite, promote, demote and remove whom,
// and what each logs.
func TestMembers(t *testing.T) {
	ts := newTestServer(t)
	ts.org("acme", "enterprise")
	ts.org("other", "enterprise")
	ts.org("cheap", "startup")
	alice := ts.join("acme", "alice@example.com", "owner", nil)
	bob := ts.join("acme", "bob@example.com", "admin", alice)
	carol := ts.join("acme", "carol@example.com", "member", bob)

	id := map[string]string{}
	r := ts.do(bob.as(request{method: "GET", path: "/v1/orgs/acme/members"}))
	var ml client.MemberList
	if r.status != 200 || json.Unmarshal(r.body, &ml) != nil || len(ml.Members) != 3 {
		t.Fatalf("members = %d %s", r.status, r.body)
	}
	for _, m := range ml.Members {
		id[m.Email] = m.ID
	}
	if ml.Members[0].Email != "alice@example.com" || ml.Members[0].Role != "owner" || ml.Members[2].Role != "member" {
		t.Errorf("members = %+v", ml.Members)
	}

	patch := func(p *person, email, role string) response {
		return ts.do(p.as(request{method: "PATCH", path: "/v1/orgs/acme/members/" + id[email], body: `{"role":"` + role + `"}`}))
	}
	remove := func(p *person, email string) response {
		return ts.do(p.as(request{method: "DELETE", path: "/v1/orgs/acme/members/" + id[email]}))
	}
	check(t, "member reads events", ts.do(carol.as(request{method: "GET", path: "/v1/orgs/acme/events"})), 403, "forbidden")
	check(t, "member sees the org", ts.do(carol.as(request{method: "GET", path: "/v1/orgs/acme"})), 200, "")
	check(t, "member lists members", ts.do(carol.as(request{method: "GET", path: "/v1/orgs/acme/members"})), 403, "forbidden")
	check(t, "other org", ts.do(alice.as(request{method: "GET", path: "/v1/orgs/other"})), 404, "not_found")
	check(t, "other org's events", ts.do(alice.as(request{method: "GET", path: "/v1/orgs/other/events"})), 404, "not_found")
	check(t, "admin makes an owner", patch(bob, "carol@example.com", "owner"), 403, "forbidden")
	check(t, "admin invites an owner", ts.do(bob.as(request{method: "POST", path: "/v1/orgs/acme/invitations", body: `{"email":"x@example.com","role":"owner"}`})), 403, "forbidden")
	check(t, "invite with no such role", ts.do(bob.as(request{method: "POST", path: "/v1/orgs/acme/invitations", body: `{"email":"x@example.com","role":"boss"}`})), 400, "invalid_field")
	check(t, "invite a bad email", ts.do(bob.as(request{method: "POST", path: "/v1/orgs/acme/invitations", body: `{"email":"Bob <b@example.com>","role":"member"}`})), 400, "invalid_field")
	check(t, "admin removes an owner", remove(bob, "alice@example.com"), 403, "forbidden")
	check(t, "last owner steps down", patch(alice, "alice@example.com", "admin"), 409, "last_owner")
	check(t, "last owner leaves", remove(alice, "alice@example.com"), 409, "last_owner")
	check(t, "no such member", ts.do(alice.as(request{method: "DELETE", path: "/v1/orgs/acme/members/usr_nobody"})), 404, "not_found")

	check(t, "owner makes an owner", patch(alice, "carol@example.com", "owner"), 200, "")
	ts.checkLogged("acme", "member.role_changed", "alice@example.com", `"old_role":"member"`, `"new_role":"owner"`, `"email":"carol@example.com"`)
	check(t, "owner steps down", patch(alice, "alice@example.com", "admin"), 200, "")
	check(t, "now-admin removes an owner", remove(alice, "carol@example.com"), 403, "forbidden")
	check(t, "owner removes an admin", remove(carol, "bob@example.com"), 204, "")
	ts.checkLogged("acme", "member.removed", "carol@example.com", `"email":"bob@example.com"`, `"role":"admin"`)
	check(t, "removed member", ts.do(bob.as(request{method: "GET", path: "/v1/orgs/acme"})), 404, "not_found")

	// Custom roles grant what they list, and nobody gives what they lack.
	check(t, "create role", ts.do(carol.as(request{method: "POST", path: "/v1/orgs/acme/roles", body: `{"name":"auditor","permissions":["audit.read","members.manage"]}`})), 201, "")
	ts.checkLogged("acme", "role.created", "carol@example.com", `"permissions":["audit.read","members.manage"]`)
	check(t, "create role again", ts.do(carol.as(request{method: "POST", path: "/v1/orgs/acme/roles", body: `{"name":"auditor","permissions":[]}`})), 409, "conflict")
	check(t, "create a built-in role", ts.do(carol.as(request{method: "POST", path: "/v1/orgs/acme/roles", body: `{"name":"admin","permissions":[]}`})), 409, "conflict")
	check(t, "create a role with a bad name", ts.do(carol.as(request{method: "POST", path: "/v1/orgs/acme/roles", body: `{"name":"Auditor!","permissions":[]}`})), 400, "invalid_field")
	check(t, "create a role with a bad permission", ts.do(carol.as(request{method: "POST", path: "/v1/orgs/acme/roles", body: `{"name":"x","permissions":["events.send"]}`})), 400, "invalid_field")
	dave := ts.join("acme", "dave@example.com", "auditor", carol)
	check(t, "auditor reads events", ts.do(dave.as(request{method: "GET", path: "/v1/orgs/acme/events"})), 200, "")
	check(t, "auditor creates a key", ts.do(dave.as(request{method: "POST", path: "/v1/orgs/acme/api-keys", body: `{"name":"k","scopes":["events:read"]}`})), 403, "forbidden")
	check(t, "auditor invites an admin", ts.do(dave.as(request{method: "POST", path: "/v1/orgs/acme/invitations", body: `{"email":"x@example.com","role":"admin"}`})), 403, "forbidden")
	check(t, "auditor makes a bigger role", ts.do(dave.as(request{method: "POST", path: "/v1/orgs/acme/roles", body: `{"name":"exporter","permissions":["audit.export"]}`})), 403, "forbidden")
	check(t, "auditor invites an auditor", ts.do(dave.as(request{method: "POST", path: "/v1/orgs/acme/invitations", body: `{"email":"x@example.com","role":"auditor"}`})), 201, "")
	r = ts.do(dave.as(request{method: "GET", path: "/v1/orgs/acme/roles"}))
	var rl client.RoleList
	if r.status != 200 || json.Unmarshal(r.body, &rl) != nil || len(rl.Roles) != 4 || rl.Roles[3].Name != "auditor" ||
		!slices.Equal(rl.Roles[3].Permissions, []string{"audit.read", "members.manage"}) || !rl.Roles[0].Builtin {
		t.Errorf("roles = %d %s", r.status, r.body)
	}

	// An existing account joins another organization with its password.
	tok := ts.invite("other", "dave@example.com", "admin", nil)
	check(t, "accept with a wrong password", ts.accept(tok, "", "not dave's password"), 401, "invalid_credentials")
	check(t, "accept with the password", ts.accept(tok, "", "correct horse battery staple"), 200, "")
	check(t, "dave in other", ts.do(dave.as(request{method: "GET", path: "/v1/orgs/other/events"})), 200, "")

	// Plans without audit logs: members see the org, not its events.
	erin := ts.join("cheap", "erin@example.com", "owner", nil)
	check(t, "startup plan events", ts.do(erin.as(request{method: "GET", path: "/v1/orgs/cheap/events"})), 403, "plan_required")
	check(t, "startup plan members", ts.do(erin.as(request{method: "GET", path: "/v1/orgs/cheap/members"})), 200, "")
}

// TestViewerTokens follows a viewer token from its minting by the
// platform to its revocation: it reads the log and nothing else, as the
// subject it names, until revoked.
func TestViewerTokens(t *testing.T) {
	ts := newTestServer(t)
	ts.org("acme", "enterprise")
	ts.org("other", "enterprise")
	mint := func(body string) response {
		return ts.do(request{method: "POST", path: "/v1/orgs/acme/viewer-tokens", token: platformToken, body: body})
	}
	for _, bad := range []struct{ body, field string }{
		{`{"subject":""}`, "subject"},
		{`{"subject":"u","ttl":"30s"}`, "ttl"},
		{`{"subject":"u","ttl":"25h"}`, "ttl"},
		{`{"subject":"u","ttl":"forever"}`, "ttl"},
		{`{"subject":"u","permissions":["members.manage"]}`, "permissions"},
		{`{"subject":"u","permissions":["audit.write"]}`, "permissions"},
		{`{"subject":"a\u202eb"}`, "subject"},
	} {
		if r := mint(bad.body); r.status != 400 || r.err.Field != bad.field {
			t.Errorf("mint %s = %d %+v, want 400 on %s", bad.body, r.status, r.err, bad.field)
		}
	}
	r := mint(`{"subject":"user-7@platform.example","permissions":["audit.read"],"ttl":"15m"}`)
	var v client.ViewerToken
	if r.status != 201 || json.Unmarshal(r.body, &v) != nil || v.Token == "" || !strings.Contains(v.URL, "/orgs/acme/audit-logs?viewer_token="+v.Token) ||
		v.ExpiresAt.Sub(v.CreatedAt) != 15*time.Minute || !slices.Equal(v.Permissions, []string{"audit.read"}) {
		t.Fatalf("mint = %d %s", r.status, r.body)
	}
	ts.checkLogged("acme", "viewer_token.created", "", `"subject":"user-7@platform.example"`)
	as := func(method, path string) response {
		return ts.do(request{method: method, path: path, token: v.Token})
	}
	check(t, "viewer reads events", as("GET", "/v1/orgs/acme/events"), 200, "")
	check(t, "viewer reads a proof", as("GET", "/v1/orgs/acme/checkpoint"), 200, "")
	check(t, "viewer lists members", as("GET", "/v1/orgs/acme/members"), 403, "forbidden")
	check(t, "viewer lists keys", as("GET", "/v1/orgs/acme/api-keys"), 403, "forbidden")
	check(t, "viewer reads another org", as("GET", "/v1/orgs/other/events"), 404, "not_found")
	check(t, "viewer signs in", as("GET", "/v1/me"), 403, "forbidden")

	// An admin may mint what they may do; a member nothing.
	alice := ts.join("acme", "alice@example.com", "admin", nil)
	r = ts.do(alice.as(request{method: "POST", path: "/v1/orgs/acme/viewer-tokens", body: `{"subject":"u","permissions":["audit.read","audit.export"]}`}))
	check(t, "admin mints", r, 201, "")
	ts.checkLogged("acme", "viewer_token.created", "alice@example.com")
	bob := ts.join("acme", "bob@example.com", "member", nil)
	check(t, "member mints", ts.do(bob.as(request{method: "POST", path: "/v1/orgs/acme/viewer-tokens", body: `{"subject":"u"}`})), 403, "forbidden")

	// Revoked: refused at once.
	r = ts.do(request{method: "DELETE", path: "/v1/orgs/acme/viewer-tokens/" + v.ID, token: platformToken})
	var revoked client.ViewerToken
	if r.status != 200 || json.Unmarshal(r.body, &revoked) != nil || revoked.RevokedAt == nil || revoked.Token != "" {
		t.Fatalf("revoke = %d %s", r.status, r.body)
	}
	ts.checkLogged("acme", "viewer_token.revoked", "")
	check(t, "revoked viewer reads events", as("GET", "/v1/orgs/acme/events"), 401, "unauthenticated")
	check(t, "revoke another org's token", ts.do(request{method: "DELETE", path: "/v1/orgs/other/viewer-tokens/" + v.ID, token: platformToken}), 404, "not_found")
	check(t, "revoke a malformed id", ts.do(request{method: "DELETE", path: "/v1/orgs/acme/viewer-tokens/nope", token: platformToken}), 404, "not_found")
}

// TestOrgOwner checks that the platform may name an organization's owner
// as it creates it: the answer holds the owner's invitation.
func TestOrgOwner(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do(request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"acme","name":"Acme","plan":"enterprise","owner_email":"Owner@Example.com"}`})
	var o client.Org
	if r.status != 201 || json.Unmarshal(r.body, &o) != nil || o.OwnerInvitation == nil || o.OwnerInvitation.Role != "owner" ||
		o.OwnerInvitation.Email != "owner@example.com" || o.OwnerInvitation.Token == "" {
		t.Fatalf("create with owner = %d %s", r.status, r.body)
	}
	es := ts.events("acme", 0)
	if len(es) != 2 || es[0].Event != "org.created" || es[1].Event != "member.invited" {
		t.Errorf("creation logged %+v", es)
	}
	check(t, "accept", ts.accept(o.OwnerInvitation.Token, "Owner", "correct horse battery staple"), 200, "")
	r, owner := ts.login("owner@example.com", "correct horse battery staple", "")
	check(t, "owner signs in", r, 200, "")
	check(t, "owner reads events", ts.do(owner.as(request{method: "GET", path: "/v1/orgs/acme/events"})), 200, "")

	if got := ts.do(request{method: "GET", path: "/v1/orgs/acme", token: platformToken}); strings.Contains(string(got.body), "owner_invitation") {
		t.Errorf("GET shows the invitation: %s", got.body)
	}
	r = ts.do(request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"b","name":"B","plan":"free","owner_email":"not an email"}`})
	check(t, "bad owner email", r, 400, "invalid_field")
	if r.err.Field != "owner_email" {
		t.Errorf("bad owner email: field %q", r.err.Field)
	}
	check(t, "no org after a bad owner email", ts.do(request{method: "GET", path: "/v1/orgs/b", token: platformToken}), 404, "not_found")
}

// TestSDKPeople drives members, roles and viewer tokens through the Go
// SDK, as a platform would with its token.
func TestSDKPeople(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	p := ts.platform
	o, err := p.CreateOrg(ctx, client.OrgCreate{ID: "acme", Name: "Acme", Plan: "enterprise", OwnerEmail: "owner@example.com"})
	if err != nil || o.OwnerInvitation == nil {
		t.Fatalf("CreateOrg = %+v, %v", o, err)
	}
	check(t, "accept", ts.accept(o.OwnerInvitation.Token, "Owner", "correct horse battery staple"), 200, "")
	if _, err := p.CreateRole(ctx, "acme", client.RoleCreate{Name: "auditor", Permissions: []string{"audit.read"}}); err != nil {
		t.Fatal(err)
	}
	inv, err := p.Invite(ctx, "acme", client.InvitationCreate{Email: "dave@example.com", Role: "auditor"})
	if err != nil {
		t.Fatal(err)
	}
	check(t, "accept", ts.accept(inv.Token, "Dave", "correct horse battery staple"), 200, "")
	ms, err := p.Members(ctx, "acme")
	if err != nil || len(ms) != 2 || ms[1].Email != "dave@example.com" || ms[1].Role != "auditor" {
		t.Fatalf("Members = %+v, %v", ms, err)
	}
	if m, err := p.SetRole(ctx, "acme", ms[1].ID, "admin"); err != nil || m.Role != "admin" {
		t.Errorf("SetRole = %+v, %v", m, err)
	}
	if _, err := p.SetRole(ctx, "acme", ms[1].ID, "boss"); !isStatus(err, 400) {
		t.Errorf("SetRole(boss) = %v, want 400", err)
	}
	roles, err := p.Roles(ctx, "acme")
	if err != nil || len(roles) != 4 || roles[3].Name != "auditor" {
		t.Errorf("Roles = %+v, %v", roles, err)
	}
	if err := p.RemoveMember(ctx, "acme", ms[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := p.RemoveMember(ctx, "acme", ms[1].ID); !isStatus(err, 404) {
		t.Errorf("RemoveMember again = %v, want 404", err)
	}

	v, err := p.CreateViewerToken(ctx, "acme", client.ViewerTokenCreate{Subject: "user-7", TTL: "10m"})
	if err != nil || v.Token == "" {
		t.Fatalf("CreateViewerToken = %+v, %v", v, err)
	}
	viewer := ts.client(v.Token)
	if _, err := viewer.ListEvents(ctx, "acme", client.ListOptions{}); err != nil {
		t.Errorf("viewer ListEvents: %v", err)
	}
	if r, err := p.RevokeViewerToken(ctx, "acme", v.ID); err != nil || r.RevokedAt == nil {
		t.Fatalf("RevokeViewerToken = %+v, %v", r, err)
	}
	if _, err := viewer.ListEvents(ctx, "acme", client.ListOptions{}); !isStatus(err, 401) {
		t.Errorf("revoked viewer ListEvents = %v, want 401", err)
	}
}

// TestRequireMFA checks an organization's MFA requirement: a member
// without MFA can do nothing in it but enroll, and can once enrolled.
func TestRequireMFA(t *testing.T) {
	ts := newTestServer(t)
	ts.org("acme", "enterprise")
	ts.org("other", "enterprise")
	alice := ts.join("acme", "alice@example.com", "owner", nil)
	tok := ts.invite("other", "alice@example.com", "owner", nil)
	check(t, "join other", ts.accept(tok, "", "correct horse battery staple"), 200, "")
	r := ts.do(request{method: "PATCH", path: "/v1/orgs/acme", token: platformToken, body: `{"require_mfa":true}`})
	if r.status != 200 || !strings.Contains(string(r.body), `"require_mfa":true`) {
		t.Fatalf("require MFA = %d %s", r.status, r.body)
	}
	ts.checkLogged("acme", "org.settings_changed", "", `"new_require_mfa":true`, `"old_require_mfa":false`)
	check(t, "events without MFA", ts.do(alice.as(request{method: "GET", path: "/v1/orgs/acme/events"})), 403, "mfa_enrollment_required")
	check(t, "org without MFA", ts.do(alice.as(request{method: "GET", path: "/v1/orgs/acme"})), 403, "mfa_enrollment_required")
	check(t, "another org without MFA", ts.do(alice.as(request{method: "GET", path: "/v1/orgs/other/events"})), 200, "")
	check(t, "me without MFA", ts.do(alice.as(request{method: "GET", path: "/v1/me"})), 200, "")
	r = ts.do(alice.as(request{method: "POST", path: "/v1/auth/mfa/enroll"}))
	var enr client.MFAEnrollment
	if r.status != 200 || json.Unmarshal(r.body, &enr) != nil {
		t.Fatalf("enroll = %d %s", r.status, r.body)
	}
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enr.Secret)
	check(t, "confirm", ts.do(alice.as(request{method: "POST", path: "/v1/auth/mfa/confirm", body: `{"code":"` + totp.Code(secret, time.Now()) + `"}`})), 200, "")
	check(t, "events with MFA", ts.do(alice.as(request{method: "GET", path: "/v1/orgs/acme/events"})), 200, "")
	// Keys and the platform are not people: the requirement is not theirs.
	check(t, "platform", ts.do(request{method: "GET", path: "/v1/orgs/acme/events", token: platformToken}), 200, "")
}

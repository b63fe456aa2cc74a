package server_test

import (
	"bytes"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/totp"
)

// TestNoSecretLeaks runs the people's flows with canary secrets and
// checks that none appears, after the answer that created it, in any
// answer, log line or logged event, nor (but the TOTP secret, which the
// server must read) in the database: passwords, right and wrong, API
// keys, session and invitation tokens, TOTP secrets and codes, recovery
// codes.
func TestNoSecretLeaks(t *testing.T) {
	var logs bytes.Buffer
	dir := t.TempDir()
	ts := newTestServer(t, serverOpts{log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), dir: dir})
	ts.org("acme", "enterprise")

	secrets := map[string]string{} // secret → what it is
	var seen bytes.Buffer          // every answer after the one that created each secret
	do := func(r request) response {
		t.Helper()
		resp := ts.do(r)
		fmt.Fprintf(&seen, "%s -> %d %v %s\n", r.method, resp.status, resp.header, resp.body)
		return resp
	}
	created := func(r request) response { // an answer that shows a secret once
		t.Helper()
		return ts.do(r)
	}

	const password = "canary-password-Zq8wX1"
	const wrongPassword = "canary-wrong-password-Kp3"
	const newPassword = "canary-new-password-Hv5"
	secrets[password], secrets[wrongPassword], secrets[newPassword] = "password", "wrong password", "new password"

	r := created(request{method: "POST", path: "/v1/orgs/acme/api-keys", token: platformToken, body: `{"name":"ci","scopes":["admin"]}`})
	var key client.APIKey
	json.Unmarshal(r.body, &key)
	secrets[key.Key] = "API key"
	r = created(request{method: "POST", path: "/v1/orgs/acme/invitations", token: platformToken, body: `{"email":"alice@example.com","role":"owner"}`})
	var inv client.Invitation
	json.Unmarshal(r.body, &inv)
	secrets[inv.Token] = "invitation token"

	do(request{method: "POST", path: "/v1/invitations/" + inv.Token + "/accept", body: `{"name":"Alice","password":"` + password + `"}`})
	do(request{method: "POST", path: "/v1/invitations/" + inv.Token + "/accept", body: `{"name":"Alice","password":"` + password + `"}`})
	do(request{method: "POST", path: "/v1/auth/login", body: `{"email":"alice@example.com","password":"` + wrongPassword + `"}`})
	r = created(request{method: "POST", path: "/v1/auth/login", body: `{"email":"alice@example.com","password":"` + password + `"}`})
	alice := &person{cookie: sessionCookie(r).Value}
	var si client.SignIn
	json.Unmarshal(r.body, &si)
	alice.csrf = si.CSRFToken
	secrets[alice.cookie] = "session token"

	r = created(alice.as(request{method: "POST", path: "/v1/auth/mfa/enroll"}))
	var enr client.MFAEnrollment
	json.Unmarshal(r.body, &enr)
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enr.Secret)
	secrets[enr.Secret] = "TOTP secret"
	code := totp.Code(secret, time.Now())
	r = created(alice.as(request{method: "POST", path: "/v1/auth/mfa/confirm", body: `{"code":"` + code + `"}`}))
	var rc client.RecoveryCodes
	json.Unmarshal(r.body, &rc)
	for _, c := range rc.Codes {
		secrets[c] = "recovery code"
	}
	next := totp.Code(secret, time.Now().Add(30*time.Second))
	r = created(request{method: "POST", path: "/v1/auth/login", body: `{"email":"alice@example.com","password":"` + password + `","totp":"` + next + `"}`})
	second := &person{cookie: sessionCookie(r).Value}
	json.Unmarshal(r.body, &si)
	second.csrf = si.CSRFToken
	secrets[second.cookie] = "second session token"
	do(request{method: "POST", path: "/v1/auth/login", body: `{"email":"alice@example.com","password":"` + password + `","totp":"` + rc.Codes[0] + `"}`})
	do(second.as(request{method: "POST", path: "/v1/auth/password", body: `{"current_password":"` + wrongPassword + `","new_password":"` + newPassword + `"}`}))
	do(second.as(request{method: "POST", path: "/v1/auth/password", body: `{"current_password":"` + password + `","new_password":"` + newPassword + `"}`}))
	for _, path := range []string{"/v1/me", "/v1/orgs/acme/members", "/v1/orgs/acme/api-keys", "/v1/orgs/acme/events?limit=100", "/v1/orgs/acme/events/facets"} {
		do(second.as(request{method: "GET", path: path}))
		do(request{method: "GET", path: path, token: key.Key})
	}
	do(second.as(request{method: "POST", path: "/v1/auth/logout"}))
	do(alice.as(request{method: "GET", path: "/v1/me"}))

	events := ts.events("acme", 0)
	logged, _ := json.Marshal(events)
	var db []byte
	for _, name := range []string{"stele.db", "stele.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		db = append(db, b...)
	}
	if len(db) == 0 {
		t.Fatal("found no database to search")
	}
	for s, what := range secrets {
		for place, text := range map[string][]byte{"an answer": seen.Bytes(), "the server's log": logs.Bytes(), "a logged event": logged} {
			if bytes.Contains(text, []byte(s)) {
				t.Errorf("the %s %q appears in %s", what, s, place)
			}
		}
		if what != "TOTP secret" && bytes.Contains(db, []byte(s)) {
			t.Errorf("the %s %q is in the database", what, s)
		}
	}
	if !strings.Contains(seen.String(), "-> 401") || !strings.Contains(seen.String(), "-> 204") {
		t.Errorf("the flows did not run as planned:\n%s", seen.String())
	}
}

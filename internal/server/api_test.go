package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/verify"
)

// seedEntry is the documented entry format's example, as a platform sends it.
const seedEntry = `{
  "timestamp": "2026-01-03T14:30:00Z",
  "actor": "alice@example.com",
  "event": "finding.status_changed",
  "target": "finding-abc123",
  "details": {"old_status": "open", "new_status": "fixed"},
  "ip_address": "192.168.1.1",
  "user_agent": "Mozilla/5.0 (Macintosh)"
}`

func entry(id string) string {
	return fmt.Sprintf(`{"id":%q,"timestamp":"2026-01-03T14:30:00Z","actor":"alice@example.com","event":"auth.login","ip_address":"203.0.113.7"}`, id)
}

func batch(entries ...string) string {
	return `{"events":[` + strings.Join(entries, ",") + `]}`
}

func TestOrgs(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.org("acme", "enterprise")
	ts.org("other", "professional")
	writer := ts.key("acme", "events:write").Key

	for _, tt := range []struct {
		name   string
		req    request
		status int
		code   string
		field  string
	}{
		{"duplicate", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"acme","name":"A","plan":"free"}`}, 409, "conflict", "id"},
		{"bad id", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"Acme Corp","name":"A","plan":"free"}`}, 400, "invalid_field", "id"},
		{"no name", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"b","plan":"free"}`}, 400, "invalid_field", "name"},
		{"control in name", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"b","name":"a\u0007","plan":"free"}`}, 400, "invalid_field", "name"},
		{"bidi in name", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"b","name":"a\u202ecod.exe","plan":"free"}`}, 400, "invalid_field", "name"},
		{"bad plan", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"b","name":"B","plan":"gold"}`}, 400, "invalid_field", "plan"},
		{"bad time zone", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"b","name":"B","plan":"free","time_zone":"Mars/Olympus"}`}, 400, "invalid_field", "time_zone"},
		{"unknown field", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"b","name":"B","plan":"free","owner":"x"}`}, 400, "unknown_field", "owner"},
		{"duplicate key", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":"b","id":"c","name":"B","plan":"free"}`}, 400, "duplicate_key", "id"},
		{"wrong type", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":7,"name":"B","plan":"free"}`}, 400, "invalid_field", "id"},
		{"not json", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{"id":`}, 400, "invalid_json", "id"},
		{"wrong content type", request{method: "POST", path: "/v1/orgs", token: platformToken, body: `{}`, header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type", ""},
		{"key creates org", request{method: "POST", path: "/v1/orgs", token: writer, body: `{"id":"b","name":"B","plan":"free"}`}, 403, "forbidden", ""},
		{"no token", request{method: "POST", path: "/v1/orgs", body: `{"id":"b","name":"B","plan":"free"}`}, 401, "unauthenticated", ""},
		{"other org", request{method: "GET", path: "/v1/orgs/other", token: writer}, 404, "not_found", ""},
		{"unknown org", request{method: "GET", path: "/v1/orgs/nobody", token: platformToken}, 404, "not_found", ""},
		{"invalid org id", request{method: "GET", path: "/v1/orgs/NOT%20AN%20ORG", token: platformToken}, 404, "not_found", ""},
		{"writer patches", request{method: "PATCH", path: "/v1/orgs/acme", token: writer, body: `{"name":"X"}`}, 403, "forbidden", ""},
		{"patch bad plan", request{method: "PATCH", path: "/v1/orgs/acme", token: platformToken, body: `{"plan":"platinum"}`}, 400, "invalid_field", "plan"},
		{"unknown route", request{method: "GET", path: "/v1/nothing", token: platformToken}, 404, "not_found", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(tt.req)
			if r.status != tt.status || r.err.Code != tt.code || r.err.Field != tt.field {
				t.Errorf("%s %s = %d %+v, want %d %s field %q", tt.req.method, tt.req.path, r.status, r.err, tt.status, tt.code, tt.field)
			}
		})
	}
	if r := ts.do(request{method: "POST", path: "/v1/orgs"}); r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}

	o, err := admin.Org(ctx, "acme")
	if err != nil || o.Plan != "enterprise" || o.TimeZone != "UTC" || o.Name != "Org acme" {
		t.Fatalf("Org = %+v, %v", o, err)
	}
	size := ts.treeSize("acme")
	plan, tz := "professional", "Europe/Paris"
	o, err = ts.platform.UpdateOrg(ctx, "acme", client.OrgUpdate{Plan: &plan, TimeZone: &tz})
	if err != nil || o.Plan != plan || o.TimeZone != tz || o.Name != "Org acme" {
		t.Fatalf("UpdateOrg = %+v, %v", o, err)
	}
	if o2, _ := admin.Org(ctx, "acme"); *o2 != *o {
		t.Errorf("Org after update = %+v, want %+v", o2, o)
	}
	// Both changes are logged, settings and billing apart, old and new,
	// and the shorter retention the smaller plan brings.
	events := ts.events("acme", size)
	if len(events) != 3 {
		t.Fatalf("%d events logged by the update, want 3", len(events))
	}
	byType := map[string]string{}
	for _, e := range events {
		byType[e.Event] = string(e.Details)
		if e.Actor.Type != "system" || e.Actor.ID != "platform" {
			t.Errorf("%s actor = %+v, want the platform", e.Event, e.Actor)
		}
	}
	if byType["org.billing_updated"] != `{"new_plan":"professional","old_plan":"enterprise"}` ||
		byType["org.settings_changed"] != `{"new_time_zone":"Europe/Paris","old_time_zone":"UTC"}` ||
		byType["retention.changed"] != `{"new_days":90,"old_days":730}` {
		t.Errorf("update logged %v", byType)
	}
	// An update that changes nothing logs nothing.
	if _, err := ts.platform.UpdateOrg(ctx, "acme", client.OrgUpdate{Plan: &plan}); err != nil {
		t.Fatal(err)
	}
	if n := ts.treeSize("acme"); n != size+3 {
		t.Errorf("tree size after a no-op update = %d, want %d", n, size+3)
	}
}

// events returns org's events from seq from on, oldest first.
func (ts *testServer) events(org string, from int64) []client.Event {
	ts.t.Helper()
	var out []client.Event
	for seq := from; seq < ts.treeSize(org); seq++ {
		e, err := ts.platform.Event(context.Background(), org, seq)
		if err != nil {
			ts.t.Fatal(err)
		}
		out = append(out, *e)
	}
	return out
}

func TestAPIKeys(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.org("acme", "enterprise")
	ts.org("other", "enterprise")
	size := ts.treeSize("acme")

	k, err := admin.CreateAPIKey(ctx, "acme", client.APIKeyCreate{Name: "ci", Scopes: []string{"events:write"}})
	if err != nil || !strings.HasPrefix(k.Key, "stele_key_") || !strings.HasPrefix(k.ID, "key_") {
		t.Fatalf("CreateAPIKey = %+v, %v", k, err)
	}
	ci := ts.client(k.Key)
	if _, err := ci.Send(ctx, "acme", client.Entry{Actor: client.Actor{Email: "a@example.com"}, Event: "auth.login"}); err != nil {
		t.Fatalf("the new key can't send: %v", err)
	}
	keys, err := admin.APIKeys(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var listed *client.APIKey
	for i := range keys {
		if keys[i].Key != "" {
			t.Errorf("listed key %s shows its secret", keys[i].ID)
		}
		if keys[i].ID == k.ID {
			listed = &keys[i]
		}
	}
	if listed == nil || listed.Name != "ci" || len(listed.Scopes) != 1 || listed.RevokedAt != nil {
		t.Fatalf("listed %+v, want the new key", keys)
	}
	if _, err := ci.APIKeys(ctx, "acme"); !isStatus(err, 403) {
		t.Errorf("an events:write key lists keys: %v", err)
	}
	for _, tt := range []struct {
		body, field string
	}{
		{`{"name":"x","scopes":["events:delete"]}`, "scopes"},
		{`{"name":"x","scopes":[]}`, "scopes"},
		{`{"name":"","scopes":["admin"]}`, "name"},
	} {
		r := ts.do(request{method: "POST", path: "/v1/orgs/acme/api-keys", token: platformToken, body: tt.body})
		if r.status != 400 || r.err.Field != tt.field {
			t.Errorf("create key %s = %d %+v, want 400 on %s", tt.body, r.status, r.err, tt.field)
		}
	}

	// A hostile user agent is cleaned, not a reason to refuse the action.
	r := ts.do(request{method: "POST", path: "/v1/orgs/acme/api-keys", token: platformToken,
		body: `{"name":"ua","scopes":["events:read"]}`, header: map[string]string{"User-Agent": "bot\xff\x80\tv1" + strings.Repeat("x", 2000)}})
	if r.status != 201 {
		t.Errorf("create key with a hostile user agent = %d %+v", r.status, r.err)
	}

	// Another org's admin can't see or revoke the key.
	if r := ts.do(request{method: "DELETE", path: "/v1/orgs/other/api-keys/" + k.ID, token: platformToken}); r.status != 404 {
		t.Errorf("revoking acme's key as other = %d, want 404", r.status)
	}
	if r := ts.do(request{method: "DELETE", path: "/v1/orgs/acme/api-keys/nonsense", token: platformToken}); r.status != 404 {
		t.Errorf("revoking a malformed id = %d, want 404", r.status)
	}
	rk, err := admin.RevokeAPIKey(ctx, "acme", k.ID)
	if err != nil || rk.RevokedAt == nil {
		t.Fatalf("RevokeAPIKey = %+v, %v", rk, err)
	}
	if _, err := ci.Send(ctx, "acme", client.Entry{Actor: client.Actor{Email: "a@example.com"}, Event: "auth.login"}); !isStatus(err, 401) {
		t.Errorf("a revoked key sends: %v", err)
	}
	again, err := admin.RevokeAPIKey(ctx, "acme", k.ID)
	if err != nil || !again.RevokedAt.Equal(*rk.RevokedAt) {
		t.Errorf("revoking again = %+v, %v; want the first revocation", again, err)
	}

	// Logged: created, then revoked, with the key as target and the
	// caller as actor; the revocation only once.
	var got []string
	for _, e := range ts.events("acme", size) {
		if e.Target.ID == k.ID {
			got = append(got, e.Event+" by "+e.Actor.Type)
		}
	}
	if want := "api_key.created by api_key,api_key.revoked by api_key"; strings.Join(got, ",") != want {
		t.Errorf("logged %q, want %q", got, want)
	}
}

func isStatus(err error, status int) bool {
	e, ok := err.(*client.Error)
	return ok && e.Status == status
}

func TestSendEvents(t *testing.T) {
	ts := newTestServer(t)
	ts.org("acme", "enterprise")
	ts.org("other", "enterprise")
	writer := ts.key("acme", "events:write").Key
	reader := ts.key("acme", "events:read").Key
	otherWriter := ts.key("other", "events:write").Key
	huge := `{"events":[` + strings.Repeat(entry("x")+",", 5<<20/len(entry("x"))) + entry("y") + `]}`
	many := make([]string, 1001)
	for i := range many {
		many[i] = entry(fmt.Sprint("m", i))
	}

	for _, tt := range []struct {
		name   string
		req    request
		status int
		code   string
		field  string
		grows  int64 // how much acme's log grows
	}{
		{"seed entry", request{body: seedEntry}, 201, "", "", 1},
		{"batch", request{body: batch(entry("a"), entry("b"))}, 201, "", "", 2},
		{"duplicate id", request{body: entry("a")}, 200, "", "", 0},
		{"duplicate and new", request{body: batch(entry("a"), entry("c"))}, 201, "", "", 1},
		{"gzip", request{body: batch(entry("g1"), entry("g2")), gzip: true}, 201, "", "", 2},
		{"one bad event", request{body: batch(entry("d"), `{"actor":"a@example.com","event":"auth.login","timestamp":"yesterday"}`)}, 400, "invalid_field", "events[1].timestamp", 0},
		{"unknown event", request{body: `{"actor":"a@example.com","event":"auth.teleported"}`}, 400, "unknown_event", "event", 0},
		{"future", request{body: `{"actor":"a@example.com","event":"auth.login","timestamp":"2999-01-01T00:00:00Z"}`}, 400, "timestamp_in_future", "timestamp", 0},
		{"bad ip", request{body: `{"actor":"a@example.com","event":"auth.login","ip_address":"300.1.1.1"}`}, 400, "invalid_field", "ip_address", 0},
		{"no actor", request{body: `{"event":"auth.login"}`}, 400, "missing_field", "actor", 0},
		{"invalid json", request{body: `{"events":[`}, 400, "invalid_json", "events[0]", 0},
		{"invalid utf-8", request{body: "{\"actor\":\"\xff\",\"event\":\"auth.login\"}"}, 400, "invalid_utf8", "actor", 0},
		{"duplicate key", request{body: `{"actor":"a@example.com","actor":"b@example.com","event":"auth.login"}`}, 400, "duplicate_key", "actor", 0},
		{"wrong content type", request{body: entry("e"), header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type", "", 0},
		{"no content type", request{body: entry("e"), header: map[string]string{"Content-Type": ""}}, 415, "unsupported_media_type", "", 0},
		{"bad encoding", request{body: entry("e"), header: map[string]string{"Content-Encoding": "br"}}, 415, "unsupported_encoding", "", 0},
		{"not gzip", request{body: entry("e"), header: map[string]string{"Content-Encoding": "gzip"}}, 400, "invalid_encoding", "", 0},
		{"oversized", request{body: huge}, 413, "too_large", "", 0},
		{"oversized gzip", request{body: huge, gzip: true}, 413, "too_large", "", 0},
		{"too many events", request{body: batch(many...)}, 413, "too_many_events", "events", 0},
		{"unknown param", request{path: "/v1/orgs/acme/events?sync=1", body: entry("e")}, 400, "unknown_parameter", "sync", 0},
		{"bad wait", request{path: "/v1/orgs/acme/events?wait=forever", body: entry("e")}, 400, "invalid_field", "wait", 0},
		{"unknown org", request{path: "/v1/orgs/nobody/events", token: platformToken, body: entry("e")}, 404, "not_found", "", 0},
		{"other org's key", request{token: otherWriter, body: entry("e")}, 404, "not_found", "", 0},
		{"read-only key", request{token: reader, body: entry("e")}, 403, "forbidden", "", 0},
		{"no auth", request{token: "-", body: entry("e")}, 401, "unauthenticated", "", 0},
		{"bad token", request{token: "stele_key_nonsense", body: entry("e")}, 401, "unauthenticated", "", 0},
		{"platform", request{token: platformToken, body: entry("p")}, 201, "", "", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.method = "POST"
			if req.path == "" {
				req.path = "/v1/orgs/acme/events"
			}
			switch req.token {
			case "":
				req.token = writer
			case "-":
				req.token = ""
			}
			before := ts.treeSize("acme")
			r := ts.do(req)
			if r.status != tt.status || r.err.Code != tt.code || r.err.Field != tt.field {
				t.Errorf("= %d %+v, want %d %q field %q", r.status, r.err, tt.status, tt.code, tt.field)
			}
			if got := ts.treeSize("acme") - before; got != tt.grows {
				t.Errorf("log grew by %d, want %d", got, tt.grows)
			}
			if r.status >= 300 {
				return
			}
			var res client.SendResult
			if err := json.Unmarshal(r.body, &res); err != nil {
				t.Fatal(err)
			}
			if res.TreeSize != ts.treeSize("acme") {
				t.Errorf("tree_size = %d, want %d", res.TreeSize, ts.treeSize("acme"))
			}
			for _, rc := range res.Events {
				e, err := ts.platform.Event(context.Background(), "acme", rc.Seq)
				if err != nil || e.ID != rc.ID || !bytes.Equal(e.LeafHash, rc.LeafHash) {
					t.Errorf("receipt %+v, stored %+v, %v", rc, e, err)
				}
			}
		})
	}
}

// TestSendAndProve: ?wait=checkpoint answers a signed checkpoint covering
// the events and proofs that check offline against it.
func TestSendAndProve(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.org("acme", "enterprise")
	vkey, err := admin.VerifierKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := admin.SendAndProve(ctx, "acme",
		client.Entry{ID: "1", Actor: client.Actor{Email: "a@example.com"}, Event: "auth.login", IP: "203.0.113.1"},
		client.Entry{ID: "2", Actor: client.Actor{Type: "user", ID: "u1", Email: "b@example.com"}, Event: "finding.assigned",
			Target: &client.Target{Type: "finding", ID: "finding-1"}, Details: map[string]any{"assignee": "b@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := verify.OpenCheckpoint([]byte(res.Checkpoint), vkey, verify.Origin(vkey, "acme"))
	if err != nil {
		t.Fatalf("checkpoint %q: %v", res.Checkpoint, err)
	}
	if cp.Size < res.TreeSize {
		t.Fatalf("checkpoint size %d < tree size %d", cp.Size, res.TreeSize)
	}
	for _, rc := range res.Events {
		e, err := admin.Event(ctx, "acme", rc.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if err := client.CheckInclusion(e, rc.Proof, cp); err != nil {
			t.Error(err)
		}
		// The proof fails for altered content.
		e.Actor.Email = "mallory@example.com"
		if err := client.CheckInclusion(e, rc.Proof, cp); err == nil {
			t.Error("an altered event proves")
		}
	}
	if _, err := verify.OpenCheckpoint([]byte(res.Checkpoint), vkey, verify.Origin(vkey, "other")); err == nil {
		t.Error("acme's checkpoint opens as other's")
	}
}

func TestReadEvents(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.org("acme", "enterprise")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var entries []client.Entry
	for i := range 25 {
		entries = append(entries, client.Entry{ID: fmt.Sprint(i), Timestamp: base.Add(time.Duration(i%10) * time.Hour),
			Actor: client.Actor{Email: "a@example.com"}, Event: "auth.login"})
	}
	if _, err := admin.Send(ctx, "acme", entries...); err != nil {
		t.Fatal(err)
	}
	total := int(ts.treeSize("acme")) // the key's creation is logged too

	// Paging returns every event once, newest first.
	var all []client.Event
	cursor := ""
	for range 100 {
		page, err := admin.ListEvents(ctx, "acme", client.ListOptions{Limit: 4, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Events...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(all) != total {
		t.Fatalf("paged through %d events, want %d", len(all), total)
	}
	seen := map[int64]bool{}
	for i, e := range all {
		if seen[e.Seq] {
			t.Errorf("seq %d listed twice", e.Seq)
		}
		seen[e.Seq] = true
		if i > 0 && (e.Timestamp.After(all[i-1].Timestamp) || e.Timestamp.Equal(all[i-1].Timestamp) && e.Seq > all[i-1].Seq) {
			t.Errorf("event %d (seq %d, %v) listed after (seq %d, %v)", i, e.Seq, e.Timestamp, all[i-1].Seq, all[i-1].Timestamp)
		}
		h, err := verify.LeafHash(&e.Record)
		if err != nil || !bytes.Equal(h[:], e.LeafHash) {
			t.Errorf("seq %d: leaf_hash doesn't match its record", e.Seq)
		}
	}

	// from and to bound the timestamps: from inclusive, to exclusive.
	page, err := admin.ListEvents(ctx, "acme", client.ListOptions{From: base.Add(2 * time.Hour), To: base.Add(4 * time.Hour), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 6 || page.NextCursor != "" {
		t.Errorf("2h..4h: %d events (cursor %q), want 6 and no cursor", len(page.Events), page.NextCursor)
	}

	// The leaf endpoint serves the bytes the leaf hash is of.
	e := all[0]
	leaf, err := admin.Leaf(ctx, "acme", e.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256(append([]byte{0}, leaf...)); !bytes.Equal(h[:], e.LeafHash) {
		t.Errorf("SHA-256(0x00 || leaf) = %x, want leaf_hash %x", h, e.LeafHash)
	}

	ts.org("free", "free")
	freeKey := ts.key("free", "events:read").Key
	for _, tt := range []struct {
		path, token string
		status      int
		code, field string
	}{
		{"/v1/orgs/acme/events?limit=0", platformToken, 400, "invalid_field", "limit"},
		{"/v1/orgs/acme/events?limit=1001", platformToken, 400, "invalid_field", "limit"},
		{"/v1/orgs/acme/events?from=yesterday", platformToken, 400, "invalid_field", "from"},
		{"/v1/orgs/acme/events?cursor=!!", platformToken, 400, "invalid_field", "cursor"},
		{"/v1/orgs/acme/events?q=actr:a", platformToken, 400, "invalid_query", "q"},
		{"/v1/orgs/acme/events?range=1y", platformToken, 400, "invalid_field", "range"},
		{"/v1/orgs/acme/events?range=7d&from=2026-01-01T00:00:00Z", platformToken, 400, "invalid_field", "range"},
		{"/v1/orgs/acme/events?actor_type=robot", platformToken, 400, "invalid_field", "actor_type"},
		{"/v1/orgs/acme/events?limit=1&limit=2", platformToken, 400, "invalid_field", "limit"},
		{"/v1/orgs/acme/events/999", platformToken, 404, "not_found", ""},
		{"/v1/orgs/acme/events/-1", platformToken, 404, "not_found", ""},
		{"/v1/orgs/acme/events/x/leaf", platformToken, 404, "not_found", ""},
		{"/v1/orgs/free/events", freeKey, 403, "plan_required", ""},
		{"/v1/orgs/free/events/0", platformToken, 403, "plan_required", ""},
		{"/v1/orgs/acme/events", freeKey, 404, "not_found", ""},
	} {
		r := ts.do(request{method: "GET", path: tt.path, token: tt.token})
		if r.status != tt.status || r.err.Code != tt.code || r.err.Field != tt.field {
			t.Errorf("GET %s = %d %+v, want %d %s field %q", tt.path, r.status, r.err, tt.status, tt.code, tt.field)
		}
	}
}

func TestProofs(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.org("acme", "enterprise")
	vkey, _ := admin.VerifierKey(ctx)
	open := func() verify.Checkpoint {
		t.Helper()
		note, err := admin.Checkpoint(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		cp, err := verify.OpenCheckpoint(note, vkey, verify.Origin(vkey, "acme"))
		if err != nil {
			t.Fatal(err)
		}
		return cp
	}
	res, err := admin.SendAndProve(ctx, "acme", client.Entry{Actor: client.Actor{Email: "a@example.com"}, Event: "auth.login"})
	if err != nil {
		t.Fatal(err)
	}
	old := open()
	for i := range 3 {
		if _, err := admin.SendAndProve(ctx, "acme", client.Entry{Actor: client.Actor{Email: "a@example.com"}, Event: "auth.logout", ID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	cur := open()
	if cur.Size <= old.Size {
		t.Fatalf("checkpoint did not grow: %d -> %d", old.Size, cur.Size)
	}
	cp, err := admin.ConsistencyProof(ctx, "acme", old.Size, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.CheckConsistency(cp, old, cur); err != nil {
		t.Error(err)
	}
	note, err := admin.CheckpointAt(ctx, "acme", old.Size)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := verify.OpenCheckpoint(note, vkey, ""); err != nil || again != old {
		t.Errorf("CheckpointAt(%d) = %+v, %v", old.Size, again, err)
	}
	seq := res.Events[0].Seq
	p, err := admin.InclusionProof(ctx, "acme", seq, 0)
	if err != nil {
		t.Fatal(err)
	}
	e, err := admin.Event(ctx, "acme", seq)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.CheckInclusion(e, p, cur); err != nil {
		t.Error(err)
	}
	for _, tt := range []struct {
		path   string
		status int
		code   string
	}{
		{"/v1/orgs/acme/proofs/inclusion?seq=1000", 400, "bad_range"},
		{"/v1/orgs/acme/proofs/inclusion?seq=0&tree_size=100000", 400, "bad_range"},
		{"/v1/orgs/acme/proofs/inclusion", 400, "missing_parameter"},
		{"/v1/orgs/acme/proofs/inclusion?seq=-1", 400, "invalid_field"},
		{"/v1/orgs/acme/proofs/consistency?from=0", 400, "bad_range"},
		{"/v1/orgs/acme/proofs/consistency?from=3&to=2", 400, "bad_range"},
		{"/v1/orgs/acme/proofs/consistency?from=99999999999999999999", 400, "invalid_field"},
		{"/v1/orgs/acme/checkpoint?size=100000", 404, "not_found"},
		{"/v1/orgs/acme/checkpoint?size=x", 400, "invalid_field"},
	} {
		r := ts.do(request{method: "GET", path: tt.path, token: platformToken})
		if r.status != tt.status || r.err.Code != tt.code {
			t.Errorf("GET %s = %d %+v, want %d %s", tt.path, r.status, r.err, tt.status, tt.code)
		}
	}
}

// TestStream: the live tail delivers events appended after it starts, in
// order, and resumes after a given seq.
func TestStream(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.org("acme", "enterprise")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan client.Event, 100)
	start := ts.treeSize("acme")
	go admin.Tail(ctx, "acme", start-1, func(e *client.Event) error {
		got <- *e
		return nil
	})
	for i := range 5 {
		if _, err := admin.Send(context.Background(), "acme", client.Entry{ID: fmt.Sprint(i), Actor: client.Actor{Email: "a@example.com"}, Event: "auth.login"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		select {
		case e := <-got:
			if e.Seq != start+int64(i) || e.ID != fmt.Sprint(i) {
				t.Errorf("streamed seq %d id %q, want seq %d id %d", e.Seq, e.ID, start+int64(i), i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("streamed %d events, want 5", i)
		}
	}
	// Resuming after the third replays the last two.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	var resumed []int64
	last, err := admin.Tail(ctx2, "acme", start+2, func(e *client.Event) error {
		resumed = append(resumed, e.Seq)
		if len(resumed) == 2 {
			return errStop
		}
		return nil
	})
	if err != errStop || fmt.Sprint(resumed) != fmt.Sprint([]int64{start + 3, start + 4}) || last != start+3 {
		t.Errorf("resumed %v (last %d, %v), want [%d %d]", resumed, last, err, start+3, start+4)
	}
	// A tail from now says where it started, with no event yet.
	ctx3, cancel3 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel3()
	if last, _ := admin.Tail(ctx3, "acme", client.FromNow, func(*client.Event) error { return nil }); last != ts.treeSize("acme")-1 {
		t.Errorf("a tail from now, with no event, returned %d, want %d", last, ts.treeSize("acme")-1)
	}
	// A stream ends when the server drains.
	done := make(chan error, 1)
	go func() {
		_, err := admin.Tail(context.Background(), "acme", -1, func(*client.Event) error { return nil })
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	ts.srv.Drain()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("stream still open after Drain")
	}
}

var errStop = fmt.Errorf("stop")

// TestStreamMatching: a tail with a query sends only the matching events,
// and moves its resume point past those that did not match.
func TestStreamMatching(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.org("acme", "enterprise")
	start := ts.treeSize("acme")
	types := []string{"auth.login", "auth.failed", "project.deleted", "auth.failed", "auth.login"}
	for i, typ := range types {
		if _, err := admin.Send(context.Background(), "acme", client.Entry{ID: fmt.Sprint(i), Actor: client.Actor{Email: "a@example.com"}, Event: typ}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var got []string
	last, err := admin.TailMatching(ctx, "acme", "event:auth.failed,*.deleted", start-1, func(e *client.Event) error {
		got = append(got, e.ID)
		return nil
	})
	if !errors.Is(err, context.DeadlineExceeded) || fmt.Sprint(got) != "[1 2 3]" || last != start+4 {
		t.Errorf("TailMatching = %v, last %d (%v), want [1 2 3], last %d", got, last, err, start+4)
	}
	// A bad query is refused before the stream starts.
	_, err = admin.TailMatching(context.Background(), "acme", "actor:", -1, func(*client.Event) error { return nil })
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Code != "invalid_query" {
		t.Errorf("TailMatching with a bad query = %v, want 400 invalid_query", err)
	}
}

func TestRateLimit(t *testing.T) {
	ts := newTestServer(t, serverOpts{rateLimit: 0.001, rateBurst: 3})
	ts.org("acme", "enterprise") // creating the org and a key: 2 requests
	r := ts.do(request{method: "GET", path: "/v1/orgs/acme", token: platformToken})
	if r.status != 200 {
		t.Fatalf("third request = %d", r.status)
	}
	r = ts.do(request{method: "GET", path: "/v1/orgs/acme", token: platformToken})
	if r.status != http.StatusTooManyRequests || r.err.Code != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Errorf("fourth request = %d %+v (Retry-After %q), want 429 with Retry-After", r.status, r.err, r.header.Get("Retry-After"))
	}
}

func TestHealthAndMetrics(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.org("acme", "enterprise")
	if _, err := admin.Send(context.Background(), "acme", client.Entry{Actor: client.Actor{Email: "a@example.com"}, Event: "auth.login"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := ts.do(request{method: "GET", path: path}); r.status != 200 {
			t.Errorf("GET %s = %d", path, r.status)
		}
	}
	r := ts.do(request{method: "GET", path: "/metrics"})
	for _, want := range []string{
		"stele_events_appended_total", "stele_batch_events_bucket", "stele_commit_seconds_bucket",
		"stele_sequencer_queue_depth", `stele_http_request_seconds_count{code="201",route="POST /v1/orgs/{org}/events"}`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	ts.srv.Drain()
	if r := ts.do(request{method: "GET", path: "/readyz"}); r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Errorf("GET /readyz while draining = %d, want 503 with Retry-After", r.status)
	}
}

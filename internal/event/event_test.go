package event

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/verify"
)

var now = time.Date(2026, 1, 3, 15, 0, 0, 0, time.UTC)

const seed = `{"timestamp":"2026-01-03T14:30:00Z","actor":"alice@example.com","event":"finding.status_changed","target":"finding-abc123","details":{"old_status":"open","new_status":"fixed"},"ip_address":"192.168.1.1","user_agent":"Mozilla/5.0 ..."}`

// entry returns an auth.login entry by alice with the given extra members.
func entry(extra string) string {
	return `{"actor":"alice@example.com","event":"auth.login"` + extra + `}`
}

// rec returns the record of entry(""), changed by f.
func rec(f func(r *verify.Record)) *verify.Record {
	r := &verify.Record{
		Timestamp: now,
		Actor:     verify.Actor{Type: "user", Email: "alice@example.com"},
		Event:     "auth.login",
		Category:  "auth",
	}
	if f != nil {
		f(r)
	}
	return r
}

func TestParseEventSeed(t *testing.T) {
	got, err := ParseEvent([]byte(seed), now, nil)
	if err != nil {
		t.Fatalf("ParseEvent(seed) error = %v", err)
	}
	want := &verify.Record{
		Timestamp: time.Date(2026, 1, 3, 14, 30, 0, 0, time.UTC),
		Event:     "finding.status_changed",
		Category:  "finding",
		Actor:     verify.Actor{Type: "user", Email: "alice@example.com"},
		Target:    verify.Target{ID: "finding-abc123"},
		IP:        "192.168.1.1",
		UserAgent: "Mozilla/5.0 ...",
		Details:   json.RawMessage(`{"new_status":"fixed","old_status":"open"}`),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseEvent(seed) = %+v, want %+v", got, want)
	}
}

func TestParseEvent(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want *verify.Record
	}{
		{entry(""), rec(nil)},
		{` ` + entry(``) + "\n", rec(nil)},
		// Actors.
		{`{"actor":"u_42","event":"auth.login"}`, rec(func(r *verify.Record) { r.Actor = verify.Actor{Type: "user", ID: "u_42"} })},
		{`{"actor":{"type":"api_key","id":"key_1","name":"CI"},"event":"auth.login"}`,
			rec(func(r *verify.Record) { r.Actor = verify.Actor{Type: "api_key", ID: "key_1", Name: "CI"} })},
		{`{"actor":{"email":"bob@example.com","name":"Bob Ünal"},"event":"auth.login"}`,
			rec(func(r *verify.Record) {
				r.Actor = verify.Actor{Type: "user", Email: "bob@example.com", Name: "Bob Ünal"}
			})},
		{`{"actor":{"type":"system","id":"scheduler","email":null,"name":""},"event":"auth.login"}`,
			rec(func(r *verify.Record) { r.Actor = verify.Actor{Type: "system", ID: "scheduler"} })},
		// Event names are case-insensitive and stored lower-case.
		{`{"actor":"alice@example.com","event":"AUTH.Login"}`, rec(nil)},
		// Targets.
		{entry(`,"target":{"type":"project","id":"project-123","name":"Vault"}`),
			rec(func(r *verify.Record) { r.Target = verify.Target{Type: "project", ID: "project-123", Name: "Vault"} })},
		{entry(`,"target":{"name":"Vault"}`), rec(func(r *verify.Record) { r.Target = verify.Target{Name: "Vault"} })},
		{entry(`,"target":null`), rec(nil)},
		// Timestamps, in UTC.
		{entry(`,"timestamp":"2026-01-03T16:30:00+02:00"`), rec(func(r *verify.Record) { r.Timestamp = time.Date(2026, 1, 3, 14, 30, 0, 0, time.UTC) })},
		{entry(`,"timestamp":"2026-01-03T09:00:00.5-05:30"`), rec(func(r *verify.Record) { r.Timestamp = time.Date(2026, 1, 3, 14, 30, 0, 5e8, time.UTC) })},
		{entry(`,"timestamp":"2026-01-03t14:30:00.123456789z"`), rec(func(r *verify.Record) { r.Timestamp = time.Date(2026, 1, 3, 14, 30, 0, 123456789, time.UTC) })},
		{entry(`,"timestamp":"2026-01-03T15:05:00Z"`), rec(func(r *verify.Record) { r.Timestamp = now.Add(MaxClockSkew) })},
		{entry(`,"timestamp":"1970-01-01T00:00:00Z"`), rec(func(r *verify.Record) { r.Timestamp = time.Unix(0, 0).UTC() })},
		{entry(`,"timestamp":"2024-02-29T00:00:00-00:00"`), rec(func(r *verify.Record) { r.Timestamp = time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC) })},
		{entry(`,"timestamp":null`), rec(nil)},
		// IP addresses, in netip's form, IPv4-mapped unmapped.
		{entry(`,"ip_address":"::ffff:192.168.1.1"`), rec(func(r *verify.Record) { r.IP = "192.168.1.1" })},
		{entry(`,"ip_address":"2001:DB8:0:0::1"`), rec(func(r *verify.Record) { r.IP = "2001:db8::1" })},
		{entry(`,"ip_address":null`), rec(nil)},
		// User agents keep anything but the controls HTTP refuses, exactly.
		{entry(`,"user_agent":"a\tb\u0080\u202e"`), rec(func(r *verify.Record) { r.UserAgent = "a\tb\u0080\u202e" })},
		{entry(`,"user_agent":""`), rec(nil)},
		// Ids.
		{entry(`,"id":"evt_01:a/b+c=d@e.f-G"`), rec(func(r *verify.Record) { r.ID = "evt_01:a/b+c=d@e.f-G" })},
		{entry(`,"id":"` + strings.Repeat("x", MaxIDSize) + `"`), rec(func(r *verify.Record) { r.ID = strings.Repeat("x", MaxIDSize) })},
		{entry(`,"id":null`), rec(nil)},
		// Details: canonical, empty is none.
		{entry(`,"details":{"b":[1.0,true,null],"a":{"y":"\u00e9","x":-0}}`), rec(func(r *verify.Record) { r.Details = []byte(`{"a":{"x":0,"y":"é"},"b":[1,true,null]}`) })},
		{entry(`,"details":{}`), rec(nil)},
		{entry(`,"details":null`), rec(nil)},
		// Personal parts.
		{`{"actor":"a@example.com","event":"member.invited","target":"u_7","details":{"email":"bob@example.com","role":"admin"}}`,
			&verify.Record{Timestamp: now, Actor: verify.Actor{Type: "user", Email: "a@example.com"}, Event: "member.invited", Category: "member",
				Target: verify.Target{ID: "u_7"}, Details: []byte(`{"email":"bob@example.com","role":"admin"}`), Personal: []string{"details.email", "target"}}},
		{`{"actor":"a@example.com","event":"member.invited","details":{"email":"bob@example.com","name":"Bob"}}`,
			&verify.Record{Timestamp: now, Actor: verify.Actor{Type: "user", Email: "a@example.com"}, Event: "member.invited", Category: "member",
				Details: []byte(`{"email":"bob@example.com","name":"Bob"}`), Personal: []string{"details.email", "details.name"}}},
		{`{"actor":"a@example.com","event":"finding.assigned","target":"finding-1","details":{"assignee":"u_9","previous_assignee":null}}`,
			&verify.Record{Timestamp: now, Actor: verify.Actor{Type: "user", Email: "a@example.com"}, Event: "finding.assigned", Category: "finding",
				Target: verify.Target{ID: "finding-1"}, Details: []byte(`{"assignee":"u_9","previous_assignee":null}`), Personal: []string{"details.assignee", "details.previous_assignee"}}},
		{entry(`,"target":{"type":"user","id":"u_7"}`), rec(func(r *verify.Record) {
			r.Target = verify.Target{Type: "user", ID: "u_7"}
			r.Personal = []string{"target"}
		})},
		{entry(`,"target":{"type":"User","id":"u_7"}`), rec(func(r *verify.Record) {
			r.Target = verify.Target{Type: "User", ID: "u_7"}
			r.Personal = []string{"target"}
		})},
		{entry(`,"target":"bob@example.com"`), rec(func(r *verify.Record) {
			r.Target = verify.Target{ID: "bob@example.com"}
			r.Personal = []string{"target"}
		})},
		{entry(`,"target":{"type":"team","name":"bob@example.com"}`), rec(func(r *verify.Record) {
			r.Target = verify.Target{Type: "team", Name: "bob@example.com"}
			r.Personal = []string{"target"}
		})},
		{entry(`,"target":{"type":"project","id":"p"},"details":{"username":"bob"}`), rec(func(r *verify.Record) {
			r.Target = verify.Target{Type: "project", ID: "p"}
			r.Details = []byte(`{"username":"bob"}`)
			r.Personal = []string{"details.username"}
		})},
		{`{"actor":"a@example.com","event":"team.created","target":{"type":"team","id":"t"},"details":{"name":"Security"}}`,
			&verify.Record{Timestamp: now, Actor: verify.Actor{Type: "user", Email: "a@example.com"}, Event: "team.created", Category: "team",
				Target: verify.Target{Type: "team", ID: "t"}, Details: []byte(`{"name":"Security"}`)}},
	} {
		got, err := ParseEvent([]byte(tt.in), now, nil)
		if err != nil {
			t.Errorf("ParseEvent(%s) error = %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseEvent(%s) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseEventErrors(t *testing.T) {
	for _, tt := range []struct {
		in          string
		code, field string
	}{
		// Shape.
		{``, CodeInvalidJSON, ""},
		{`[]`, CodeInvalidField, ""},
		{`"auth.login"`, CodeInvalidField, ""},
		{`[1,`, CodeInvalidJSON, "[1]"},
		{entry("") + ` x`, CodeInvalidJSON, ""},
		{entry("") + entry(""), CodeInvalidJSON, ""},
		{`{"actor":"a@example.com" "event":"auth.login"}`, CodeInvalidJSON, ""},
		{"{\"actor\":\"a@example.com\",\"event\":\"auth.login\",\"x\xff\":1}", CodeInvalidUTF8, ""},
		// Fields.
		{`{}`, CodeMissingField, "event"},
		{`{"event":"auth.login"}`, CodeMissingField, "actor"},
		{`{"actor":"a@example.com"}`, CodeMissingField, "event"},
		{`{"actor":"a@example.com","event":null}`, CodeMissingField, "event"},
		{`{"actor":null,"event":"auth.login"}`, CodeMissingField, "actor"},
		{entry(`,"action":"auth.login"`), CodeUnknownField, "action"},
		{entry(`,"Details":{}`), CodeUnknownField, "Details"},
		{entry(`,"org":"acme"`), CodeUnknownField, "org"},
		{entry(`,"a b":1`), CodeUnknownField, `["a b"]`},
		{entry(`,"event":"auth.logout"`), CodeDuplicateKey, "event"},
		{entry(`,"details":{},"details":{}`), CodeDuplicateKey, "details"},
		{entry(`,"\u0069d":"a","id":"b"`), CodeDuplicateKey, "id"},
		// Event types.
		{`{"actor":"a@example.com","event":"auth.nope"}`, CodeUnknownEvent, "event"},
		{`{"actor":"a@example.com","event":""}`, CodeUnknownEvent, "event"},
		{`{"actor":"a@example.com","event":"auth"}`, CodeUnknownEvent, "event"},
		{`{"actor":"a@example.com","event":"api_\u212Aey.created"}`, CodeUnknownEvent, "event"}, // Kelvin sign
		{`{"actor":"a@example.com","event":"auth.login\u0000"}`, CodeUnknownEvent, "event"},
		{`{"actor":"a@example.com","event":1}`, CodeInvalidField, "event"},
		{`{"actor":"a@example.com","event":["auth.login"]}`, CodeInvalidField, "event"},
		// Actors.
		{`{"actor":"","event":"auth.login"}`, CodeInvalidField, "actor"},
		{`{"actor":1,"event":"auth.login"}`, CodeInvalidField, "actor"},
		{`{"actor":["a"],"event":"auth.login"}`, CodeInvalidField, "actor"},
		{`{"actor":"bob\u0000","event":"auth.login"}`, CodeInvalidField, "actor"},
		{`{"actor":"bob\u001f","event":"auth.login"}`, CodeInvalidField, "actor"},
		{`{"actor":"bö\u001f","event":"auth.login"}`, CodeInvalidField, "actor"},
		{`{"actor":"bö\u007f","event":"auth.login"}`, CodeInvalidField, "actor"},
		{`{"actor":{},"event":"auth.login"}`, CodeMissingField, "actor"},
		{`{"actor":{"type":"user","name":"Bob"},"event":"auth.login"}`, CodeMissingField, "actor"},
		{`{"actor":{"type":"robot","id":"x"},"event":"auth.login"}`, CodeInvalidField, "actor.type"},
		{`{"actor":{"type":"User","id":"x"},"event":"auth.login"}`, CodeInvalidField, "actor.type"},
		{`{"actor":{"type":"","id":"x"},"event":"auth.login"}`, CodeInvalidField, "actor.type"},
		{`{"actor":{"id":"x","role":"admin"},"event":"auth.login"}`, CodeUnknownField, "actor.role"},
		{`{"actor":{"id":"x","id":"y"},"event":"auth.login"}`, CodeDuplicateKey, "actor.id"},
		{`{"actor":{"id":1},"event":"auth.login"}`, CodeInvalidField, "actor.id"},
		{`{"actor":{"email":"a\u0007@b"},"event":"auth.login"}`, CodeInvalidField, "actor.email"},
		{`{"actor":{"id":"x","name":"\u202eevil"},"event":"auth.login"}`, CodeInvalidField, "actor.name"},
		{`{"actor":{"id":"x","name":"a\u0085b"},"event":"auth.login"}`, CodeInvalidField, "actor.name"},
		{`{"actor":{"id":"x","name":"\u2066b"},"event":"auth.login"}`, CodeInvalidField, "actor.name"},
		{"{\"actor\":{\"id\":\"\xff\"},\"event\":\"auth.login\"}", CodeInvalidUTF8, "actor.id"},
		// Targets.
		{entry(`,"target":""`), CodeInvalidField, "target"},
		{entry(`,"target":5`), CodeInvalidField, "target"},
		{entry(`,"target":"a\tb"`), CodeInvalidField, "target"},
		{entry(`,"target":{}`), CodeMissingField, "target"},
		{entry(`,"target":{"type":"project"}`), CodeMissingField, "target"},
		{entry(`,"target":{"id":"x","owner":"y"}`), CodeUnknownField, "target.owner"},
		{entry(`,"target":{"id":"x","email":"y"}`), CodeUnknownField, "target.email"},
		{entry(`,"target":{"name":"a\nb"}`), CodeInvalidField, "target.name"},
		{entry(`,"target":{"type":"x","type":"y","id":"z"}`), CodeDuplicateKey, "target.type"},
		{entry(`,"target":{"id":true}`), CodeInvalidField, "target.id"},
		// Timestamps.
		{entry(`,"timestamp":""`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":1767450600`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T14:30:00"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T14:30Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03 14:30:00Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-1-3T14:30:00Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T14:30:00,5Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T14:30:00.Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T14:30:00.1234567891Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T14:30:00Z "`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T14:30:00+0100"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T14:30:00+24:00"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T14:30:00+01:60"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2025-02-29T00:00:00Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-04-31T00:00:00Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-13-01T00:00:00Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-00-01T00:00:00Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-00T00:00:00Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T24:00:00Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T23:60:00Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-12-31T23:59:60Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"+2026-01-03T14:30:00Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"1969-12-31T23:59:59Z"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"1970-01-01T00:59:59+01:00"`), CodeInvalidField, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T15:05:00.000000001Z"`), CodeTimestampInFuture, "timestamp"},
		{entry(`,"timestamp":"2026-01-03T16:05:01+01:00"`), CodeTimestampInFuture, "timestamp"},
		{entry(`,"timestamp":"9999-12-31T23:59:59Z"`), CodeTimestampInFuture, "timestamp"},
		// IP addresses.
		{entry(`,"ip_address":""`), CodeInvalidField, "ip_address"},
		{entry(`,"ip_address":"999.1.1.1"`), CodeInvalidField, "ip_address"},
		{entry(`,"ip_address":"192.168.001.1"`), CodeInvalidField, "ip_address"},
		{entry(`,"ip_address":"1.2.3.4/24"`), CodeInvalidField, "ip_address"},
		{entry(`,"ip_address":"fe80::1%eth0"`), CodeInvalidField, "ip_address"},
		{entry(`,"ip_address":"::ffff:1.2.3.4%x"`), CodeInvalidField, "ip_address"},
		{entry(`,"ip_address":"localhost"`), CodeInvalidField, "ip_address"},
		{entry(`,"ip_address":3232235777`), CodeInvalidField, "ip_address"},
		{entry(`,"ip_address":"1.2.3.4\u0000"`), CodeInvalidField, "ip_address"},
		// Ids.
		{entry(`,"id":""`), CodeInvalidField, "id"},
		{entry(`,"id":"` + strings.Repeat("x", MaxIDSize+1) + `"`), CodeInvalidField, "id"},
		{entry(`,"id":"a b"`), CodeInvalidField, "id"},
		{entry(`,"id":"a\u0000"`), CodeInvalidField, "id"},
		{entry(`,"id":"é"`), CodeInvalidField, "id"},
		{entry(`,"id":"a,b"`), CodeInvalidField, "id"},
		{entry(`,"id":5`), CodeInvalidField, "id"},
		// User agents.
		{entry(`,"user_agent":5`), CodeInvalidField, "user_agent"},
		{entry(`,"user_agent":"a\u0000b"`), CodeInvalidField, "user_agent"},
		{entry(`,"user_agent":"a\nb"`), CodeInvalidField, "user_agent"},
		{entry(`,"user_agent":"\u007f"`), CodeInvalidField, "user_agent"},
		{entry(`,"user_agent":"` + strings.Repeat("a", MaxStringSize+1) + `"`), CodeTooLarge, "user_agent"},
		{"{\"actor\":\"a@example.com\",\"event\":\"auth.login\",\"user_agent\":\"\xc3\x28\"}", CodeInvalidUTF8, "user_agent"},
		// Details.
		{entry(`,"details":[]`), CodeInvalidField, "details"},
		{entry(`,"details":"x"`), CodeInvalidField, "details"},
		{entry(`,"details":{"a":1,"a":2}`), CodeDuplicateKey, "details.a"},
		{entry(`,"details":{"a":{"b":[{"c":1,"c":1}]}}`), CodeDuplicateKey, "details.a.b[0].c"},
		{entry(`,"details":{"n":9007199254740993}`), CodeInvalidField, "details.n"},
		{entry(`,"details":{"n":1e999}`), CodeInvalidField, "details.n"},
		{"{\"actor\":\"a@example.com\",\"event\":\"auth.login\",\"details\":{\"s\":\"\xff\"}}", CodeInvalidUTF8, "details.s"},
		{entry(`,"details":{"s":"\ud800"}`), CodeInvalidUTF8, "details.s"},
		{entry(`,"details":{"note":[1,2,}}`), CodeInvalidJSON, "details.note[2]"},
		{entry(`,"details":{"s":"` + strings.Repeat("a", MaxStringSize+1) + `"}`), CodeTooLarge, "details.s"},
		{entry(`,"details":{"` + strings.Repeat("k", MaxStringSize+1) + `":1}`), CodeTooLarge, "details"},
		// The entry is depth 1: depth 33 is refused before details' type.
		{entry(`,"details":` + nest("[", "]", MaxDepth)), CodeTooLarge, "details" + strings.Repeat("[0]", MaxDepth-1)},
		{entry(`,"details":{"a":` + nest("[", "]", MaxDepth-1) + `}`), CodeTooLarge, "details.a" + strings.Repeat("[0]", MaxDepth-2)},
		{entry(`,"details":{` + manyStrings(40, 1000) + `}`), CodeTooLarge, "details"},
		// Size.
		{entry(`,"user_agent":"` + strings.Repeat("a", MaxEventSize) + `"`), CodeTooLarge, ""},
	} {
		_, err := ParseEvent([]byte(tt.in), now, nil)
		e, ok := err.(*Error)
		if !ok || e.Code != tt.code || e.Field != tt.field {
			t.Errorf("ParseEvent(%.200s) error = %#v, want code %s field %q", tt.in, err, tt.code, tt.field)
		}
	}
}

// manyStrings returns n object members "k<i>":"<size bytes>".
func manyStrings(n, size int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":"%s"`, i, strings.Repeat("v", size))
	}
	return b.String()
}

func TestParseEventDepth(t *testing.T) {
	// The entry is depth 1, so details can hold MaxDepth-1 levels, alone
	// and in a batch alike.
	deepest := entry(`,"details":{"a":` + nest("[", "]", MaxDepth-2) + `}`)
	if _, err := ParseEvent([]byte(deepest), now, nil); err != nil {
		t.Errorf("ParseEvent(depth %d) error = %v, want nil", MaxDepth, err)
	}
	if _, err := ParseBatch([]byte(`{"events":[`+deepest+`]}`), now, nil); err != nil {
		t.Errorf("ParseBatch(depth %d) error = %v, want nil", MaxDepth, err)
	}
}

func TestHostileStrings(t *testing.T) {
	hostile := map[string]string{
		"html":   `<script>alert("x")</script>`,
		"tmpl":   "{{.}}{{template \"x\"}}",
		"rlo":    "\u202eexe.txt",
		"nul":    "a\x00b",
		"ctl":    "\x01\x1b[31m\x7f\u0085",
		"sql":    "'; DROP TABLE events;--",
		"csv":    "=HYPERLINK(\"http://x\")",
		"emoji":  "😀\ufeff\uffff",
		"quotes": `"\'` + "`",
	}
	raw, err := json.Marshal(hostile)
	if err != nil {
		t.Fatal(err)
	}
	in := entry(`,"details":` + string(raw) + `,"user_agent":` + string(mustMarshal(t, hostile["html"]+hostile["emoji"]+hostile["rlo"])))
	r, err := ParseEvent([]byte(in), now, nil)
	if err != nil {
		t.Fatalf("ParseEvent(%s) error = %v", in, err)
	}
	var got map[string]string
	if err := json.Unmarshal(r.Details, &got); err != nil {
		t.Fatalf("details %s: %v", r.Details, err)
	}
	if !reflect.DeepEqual(got, hostile) {
		t.Errorf("ParseEvent(hostile).Details = %q, want %q", got, hostile)
	}
	if want := hostile["html"] + hostile["emoji"] + hostile["rlo"]; r.UserAgent != want {
		t.Errorf("ParseEvent(hostile).UserAgent = %q, want %q", r.UserAgent, want)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEquivalentInputs(t *testing.T) {
	for _, group := range [][]string{
		{
			`{"actor":"alice@example.com","event":"auth.login","details":{"b":1,"a":2}}`,
			`{"details":{"a":2,"b":1},"event":"auth.login","actor":"alice@example.com"}`,
			"{ \"event\" : \"auth.login\" ,\n\t\"details\" : { \"b\" : 1 ,\r\n \"a\" : 2 } , \"actor\" : \"alice@example.com\" }",
			`{"actor":{"email":"alice@example.com"},"event":"Auth.Login","details":{"a":2.0,"b":1e0}}`,
			`{"actor":{"type":"user","email":"alice@example.com","name":null},"event":"auth.login","details":{"\u0061":20e-1,"b":0.1e1},"timestamp":null}`,
		},
		{
			entry(`,"details":{"name":"é","x":"/"}`),
			entry(`,"details":{"name":"\u00e9","x":"\/"}`),
			entry(`,"details":{"n\u0061me":"\u00E9","x":"\u002f"}`),
		},
		{
			entry(`,"details":{"s":"😀","n":[0,1,-1.5]}`),
			entry(`,"details":{"s":"\ud83d\ude00","n":[-0,1.000,-15e-1]}`),
			entry(`,"details":{"s":"\uD83D\uDE00","n":[0.0e5,10E-1,-0.15e1]}`),
		},
	} {
		want, err := ParseEvent([]byte(group[0]), now, nil)
		if err != nil {
			t.Fatalf("ParseEvent(%s) error = %v", group[0], err)
		}
		for _, in := range group[1:] {
			got, err := ParseEvent([]byte(in), now, nil)
			if err != nil {
				t.Errorf("ParseEvent(%s) error = %v", in, err)
				continue
			}
			if string(got.Details) != string(want.Details) || !reflect.DeepEqual(got, want) {
				t.Errorf("ParseEvent(%s) = %+v (details %s), want %+v (details %s)", in, got, got.Details, want, want.Details)
			}
		}
	}
}

func TestParseEventCatalog(t *testing.T) {
	c := Default()
	if err := c.Register(Type{Name: "deploy.started", Category: "deploy", PersonalDetails: []string{"owner"}}); err != nil {
		t.Fatal(err)
	}
	in := `{"actor":"a@example.com","event":"Deploy.Started","details":{"owner":"bob","env":"prod"}}`
	r, err := ParseEvent([]byte(in), now, c)
	if err != nil {
		t.Fatalf("ParseEvent(%s, custom) error = %v", in, err)
	}
	if r.Event != "deploy.started" || r.Category != "deploy" || !reflect.DeepEqual(r.Personal, []string{"details.owner"}) {
		t.Errorf("ParseEvent(%s, custom) = %+v, want deploy.started in deploy with details.owner personal", in, r)
	}
	if _, err := ParseEvent([]byte(in), now, nil); err == nil || err.(*Error).Code != CodeUnknownEvent {
		t.Errorf("ParseEvent(%s, nil) error = %v, want %s", in, err, CodeUnknownEvent)
	}
}

func TestLeafData(t *testing.T) {
	// Whatever ParseEvent makes, the verifier can turn into a leaf.
	for _, in := range []string{
		seed,
		`{"actor":"a@example.com","event":"member.invited","target":{"type":"user","id":"u_7"},"details":{"email":"bob@example.com","name":"Bob","role":"admin"},"ip_address":"::1"}`,
	} {
		r, err := ParseEvent([]byte(in), now, nil)
		if err != nil {
			t.Fatalf("ParseEvent(%s) error = %v", in, err)
		}
		r.Org, r.ReceivedAt, r.Salt = "acme", now, make([]byte, verify.SaltSize)
		if _, err := verify.LeafData(r); err != nil {
			t.Errorf("LeafData(ParseEvent(%s)) error = %v", in, err)
		}
	}
}

func TestFormatEvent(t *testing.T) {
	r, err := ParseEvent([]byte(seed), now, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FormatEvent(r)
	want := `{"actor":{"email":"alice@example.com","type":"user"},"details":{"new_status":"fixed","old_status":"open"},"event":"finding.status_changed","ip_address":"192.168.1.1","target":{"id":"finding-abc123"},"timestamp":"2026-01-03T14:30:00Z","user_agent":"Mozilla/5.0 ..."}`
	if err != nil || string(got) != want {
		t.Errorf("FormatEvent(seed) = %s, %v, want %s", got, err, want)
	}
	r2, err := ParseEvent(got, now, nil)
	if err != nil || !reflect.DeepEqual(r2, r) {
		t.Errorf("ParseEvent(FormatEvent(seed)) = %+v, %v, want %+v", r2, err, r)
	}
}

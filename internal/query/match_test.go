package query

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/verify"
)

// records are sample records for the semantics tests, by ID.
var records = []*verify.Record{
	{
		ID: "r1", Timestamp: at("2026-11-26T09:00:00Z"),
		Event: "auth.failed", Category: "auth",
		Actor:     verify.Actor{Type: "user", ID: "usr_1", Email: "bob@example.com", Name: "Bob"},
		Target:    verify.Target{Type: "user", ID: "usr_1", Name: "Bob"},
		IP:        "192.168.1.10",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64)",
		Details:   json.RawMessage(`{"email":"bob@example.com","reason":"bad password"}`),
	},
	{
		ID: "r2", Timestamp: at("2026-11-20T12:00:00Z"),
		Event: "finding.assigned", Category: "finding",
		Actor:     verify.Actor{ID: "usr_2", Email: "Alice@Example.com", Name: "Alice Liddell"},
		Target:    verify.Target{Type: "finding", ID: "finding-abc", Name: "Reentrancy in withdraw()"},
		IP:        "10.1.2.3",
		UserAgent: "curl/8.5.0",
		Details:   json.RawMessage(`{"assignee":"carol","new_status":"open"}`),
	},
	{
		ID: "r3", Timestamp: at("2026-10-01T00:00:00Z"),
		Event: "project.deleted", Category: "project",
		Actor:   verify.Actor{Type: "api_key", ID: "key_1", Name: "CI key"},
		Target:  verify.Target{Type: "project", ID: "project-123", Name: "Vault v2.sol"},
		IP:      "2001:db8::5",
		Details: json.RawMessage(`{"a":{"b":"x"},"count":3,"ok":true,"tags":["Red","blue"]}`),
	},
	{
		ID: "r4", Timestamp: at("2025-12-31T23:59:59Z"),
		Event: "finding.status_changed", Category: "finding",
		Actor:   verify.Actor{Type: "system"},
		Target:  verify.Target{Type: "finding", ID: "finding-abc"},
		Details: json.RawMessage(`{"new_status":"fixed","old_status":"open"}`),
	},
	{
		ID: "r5", Timestamp: at("2026-01-01T00:00:00Z"),
		Event: "contract.uploaded", Category: "contract",
		Actor:     verify.Actor{Type: "user", ID: "usr_5", Email: "Dave@Example.COM", Name: "Dave"},
		Target:    verify.Target{Type: "contract", ID: "*star*", Name: `quote"d, with: colon`},
		IP:        "::ffff:10.0.0.1",
		UserAgent: "Mozilla/5.0 (Macintosh)",
		Details:   json.RawMessage(`{"note":"100% sure_thing \\ back","email":"eve@example.org"}`),
	},
}

var matchTests = []struct {
	q    string
	want string // IDs of the matching records, space-separated
}{
	// The seed's common searches.
	{"actor:bob@example.com event:auth.failed", "r1"},
	{"actor:alice@example.com event:finding.assigned", "r2"},
	{"event:auth.failed", "r1"},
	{"target:project-123", "r3"},
	{"event:*.deleted", "r3"},
	{"-event:auth.*", "r2 r3 r4 r5"},
	{"actor:*@example.com", "r1 r2 r5"},
	{"details.new_status:fixed", "r4"},
	{"ip:192.168.0.0/16", "r1"},
	{"timestamp:>-24h", "r1"},

	// Empty query, empty results.
	{"", "r1 r2 r3 r4 r5"},
	{"event:nothing.here", ""},
	{"actor:bob@example.com -actor:bob@example.com", ""},

	// Each qualifier.
	{"actor:bob", "r1"},
	{"actor:usr_2", "r2"},
	{"actor:ci*", "r3"},
	{"actor:*", "r1 r2 r3 r5"},
	{"-actor:*", "r4"},
	{"action:finding.*", "r2 r4"},
	{"target:finding-abc", "r2 r4"},
	{"target:Vault*", "r3"},
	{"category:finding", "r2 r4"},
	{"category:auth,project", "r1 r3"},
	{"ip:10.0.0.0/8", "r2"},
	{"ip:192.168.1.10", "r1"},
	{"ip:2001:db8::/32", "r3"},
	{"ip:::ffff:10.0.0.1", "r5"},
	{"ip:::/0", "r3 r5"},
	{"-ip:10.0.0.0/8", "r1 r3 r4 r5"},
	{"actor_type:user", "r1 r2 r5"},
	{"actor_type:api_key,system", "r3 r4"},
	{"user_agent:Mozilla/*", "r1 r5"},
	{"user_agent:*x86_64*", "r1"},
	{"timestamp:2026-01-01", "r5"},
	{"timestamp:2026-01-01..2026-10-01", "r3 r5"},
	{"timestamp:<2026-01-01", "r4"},
	{"timestamp:<=2025-12-31", "r4"},
	{"timestamp:>2025-12-31", "r1 r2 r3 r5"},
	{"timestamp:>=2025-12-31T23:59:59Z timestamp:<2026-01-01T00:00:00.000000001Z", "r4 r5"},
	{"-timestamp:2026-01-01", "r1 r2 r3 r4"},
	{"-timestamp:>=2026-10-01", "r4 r5"},
	{"details.a.b:x", "r3"},
	{"details.count:3", "r3"},
	{"details.ok:true", "r3"},
	{"details.a:*", ""},
	{"details.tags:*", ""},
	{"details.new_status:open,fixed", "r2 r4"},
	{"-details.new_status:open", "r1 r3 r4 r5"},
	{"details.note:100%*", "r5"},

	// Free text: actor, target and details, case-insensitively.
	{"bob", "r1"},
	{"BOB", "r1"},
	{"password", "r1"},
	{`"bad password"`, "r1"},
	{"vault", "r3"},
	{"red", "r3"}, // in a details array
	{"eve@example.org", "r5"},
	{"example", "r1 r2 r5"},
	{"-example", "r3 r4"},
	{"alice,carol", "r2"},
	{"fix*ed", "r4"},
	{"project-123 deleted", ""}, // the event type is not free text

	// Wildcards at start, middle and end; escapes.
	{"target:finding-*", "r2 r4"},
	{"target:*-abc", "r2 r4"},
	{"target:fin*abc", "r2 r4"},
	{"target:*", "r1 r2 r3 r4 r5"},
	{`target:\*star\*`, "r5"},
	{`target:\*star`, ""},
	{`target:"quote\"d, with: colon"`, "r5"},
	{`"d, with: colon"`, "r5"},
	{`details.note:"100% sure_thing \\ back"`, "r5"},
	{`details.note:100%_sure*`, ""},

	// Case: actors fold, targets do not.
	{"actor:ALICE@example.COM", "r2"},
	{"actor:dave@example.com", "r5"},
	{"target:vault*", ""},
	{"EVENT:Auth.Failed", "r1"},
	{"Category:AUTH", "r1"},
	{"ACTOR_TYPE:System", "r4"},

	// OR and negation together.
	{"actor:bob@example.com,*@example.org", "r1"},
	{"-actor:bob@example.com,dave@example.com", "r2 r3 r4"},
	{"event:finding.* -target:finding-abc", ""},
	{"event:finding.* -actor_type:system", "r2"},
}

func TestMatch(t *testing.T) {
	for _, tt := range matchTests {
		q, err := Parse(tt.q, now)
		if err != nil {
			t.Errorf("Parse(%q) = %v", tt.q, err)
			continue
		}
		var got []string
		for _, r := range records {
			if q.Match(r) {
				got = append(got, r.ID)
			}
		}
		if want := strings.Fields(tt.want); !slices.Equal(got, want) {
			t.Errorf("Match(%q) = %v, want %v", tt.q, got, want)
		}
	}
}

func TestMatchNegation(t *testing.T) {
	// A negated term matches exactly the records the term does not.
	for _, tt := range matchTests {
		q, err := Parse(tt.q, now)
		if err != nil || len(q.Terms) != 1 {
			continue
		}
		neg := &Query{Terms: []Term{q.Terms[0]}}
		neg.Terms[0].Negated = !neg.Terms[0].Negated
		for _, r := range records {
			if q.Match(r) == neg.Match(r) {
				t.Errorf("%q and its negation %q agree on %s", q, neg, r.ID)
			}
		}
	}
}

func TestMatchRelative(t *testing.T) {
	// Relative times move with now; their canonical text does not.
	for _, tt := range []struct {
		now  time.Time
		want []string
	}{
		{at("2026-11-26T10:00:00Z"), []string{"r1", "r2"}},
		{at("2026-11-27T13:00:00Z"), []string{"r1"}},
		{at("2026-12-04T00:00:00Z"), nil},
	} {
		q, err := Parse("timestamp:>-7d", tt.now)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range records {
			if q.Match(r) {
				got = append(got, r.ID)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Match(timestamp:>-7d at %v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}

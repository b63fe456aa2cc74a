package verify_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/verify"
)

var update = flag.Bool("update", false, "rewrite the known-answer files in testdata")

// A leafVector is one known answer: a record, its leaf and its leaf hash.
type leafVector struct {
	Name     string        `json:"name"`
	Record   verify.Record `json:"record"`
	Leaf     string        `json:"leaf"`
	LeafHash string        `json:"leaf_hash"` // hex
}

const leavesFile = "testdata/leaves.json"

// fixedSalt returns a salt whose bytes are n*16, n*16+1, ..., n*16+15.
func fixedSalt(n byte) []byte {
	s := make([]byte, verify.SaltSize)
	for i := range s {
		s[i] = n*16 + byte(i)
	}
	return s
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// vectorRecords are the records of testdata/leaves.json. Changing one
// changes the file (go test -run TestLeafVectors -update), which must only
// happen together with a new LeafVersion.
func vectorRecords() []leafVector {
	base := verify.Record{
		Org:        "org_acme",
		ID:         "01JGXYZ0000000000000000001",
		Timestamp:  mustTime("2026-01-03T14:30:00Z"),
		ReceivedAt: mustTime("2026-01-03T14:30:00.25Z"),
	}
	v := []leafVector{{
		Name: "string actor and target",
		Record: with(base, func(r *verify.Record) {
			r.Event, r.Category = "finding.status_changed", "finding"
			r.Actor = verify.Actor{Type: "user", Email: "alice@example.com"}
			r.Target = verify.Target{ID: "finding-abc123"}
			r.IP, r.UserAgent = "192.168.1.1", "Mozilla/5.0 (X11; Linux x86_64)"
			r.Details = json.RawMessage(`{"old_status":"open","new_status":"fixed"}`)
			r.Salt = fixedSalt(1)
		}),
	}, {
		Name: "object actor and target, zoned time with nanoseconds",
		Record: with(base, func(r *verify.Record) {
			r.ID = "01JGXYZ0000000000000000002"
			r.Timestamp = mustTime("2026-03-29T03:15:07.123456789+02:00")
			r.ReceivedAt = mustTime("2026-03-29T01:15:07.5Z")
			r.Event, r.Category = "project.access_granted", "project"
			r.Actor = verify.Actor{Type: "user", ID: "u_1", Email: "alice@example.com", Name: "Alice Example"}
			r.Target = verify.Target{Type: "project", ID: "project-123", Name: "Payments"}
			r.IP = "203.0.113.7"
			r.Details = json.RawMessage(`{"team":"core","role":"admin"}`)
			r.Salt = fixedSalt(2)
		}),
	}, {
		Name: "api key actor",
		Record: with(base, func(r *verify.Record) {
			r.ID = "01JGXYZ0000000000000000003"
			r.ReceivedAt = mustTime("2026-01-03T14:30:01.000001Z")
			r.Event, r.Category = "contract.uploaded", "contract"
			r.Actor = verify.Actor{Type: "api_key", ID: "key_9f2c", Name: "CI deploy key"}
			r.Target = verify.Target{Type: "contract", ID: "c_77", Name: "Vault.sol"}
			r.UserAgent = "stele-go/1.0"
			r.Details = json.RawMessage(`{"size_bytes":18244,"compiler":"solc 0.8.28"}`)
			r.Salt = fixedSalt(3)
		}),
	}, {
		Name: "system actor, no target, no details",
		Record: with(base, func(r *verify.Record) {
			r.ID = "01JGXYZ0000000000000000004"
			r.Event, r.Category = "retention.changed", "audit"
			r.Actor = verify.Actor{Type: "system"}
			r.Salt = fixedSalt(4)
		}),
	}, {
		Name: "personal target",
		Record: with(base, func(r *verify.Record) {
			r.ID = "01JGXYZ0000000000000000005"
			r.Event, r.Category = "member.removed", "member"
			r.Actor = verify.Actor{Type: "user", ID: "u_1", Email: "alice@example.com"}
			r.Target = verify.Target{Type: "user", ID: "u_2", Name: "Bob Example"}
			r.Details = json.RawMessage(`{"reason":"offboarding"}`)
			r.Personal = []string{"target"}
			r.Salt = fixedSalt(5)
		}),
	}, {
		Name: "personal detail keys",
		Record: with(base, func(r *verify.Record) {
			r.ID = "01JGXYZ0000000000000000006"
			r.Event, r.Category = "member.invited", "member"
			r.Actor = verify.Actor{Type: "user", ID: "u_1", Email: "alice@example.com", Name: "Alice Example"}
			r.Target = verify.Target{Type: "team", ID: "team-core"}
			r.IP, r.UserAgent = "198.51.100.23", "Mozilla/5.0 (Macintosh)"
			r.Details = json.RawMessage(`{"email":"carol@example.com","role":"member","note":{"text":"Welcome, Carol!"}}`)
			r.Personal = []string{"details.email", "details.note"}
			r.Salt = fixedSalt(6)
		}),
	}, {
		Name: "IPv6",
		Record: with(base, func(r *verify.Record) {
			r.ID = "01JGXYZ0000000000000000007"
			r.Event, r.Category = "auth.login", "auth"
			r.Actor = verify.Actor{Type: "user", ID: "u_3", Email: "dave@example.com"}
			r.IP, r.UserAgent = "2001:db8::1", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"
			r.Details = json.RawMessage(`{"method":"password","mfa":true}`)
			r.Salt = fixedSalt(7)
		}),
	}, {
		Name: "unicode, escapes and numbers in details",
		Record: with(base, func(r *verify.Record) {
			r.ID = "01JGXYZ0000000000000000008"
			r.Event, r.Category = "finding.commented", "finding"
			r.Actor = verify.Actor{Type: "user", ID: "u_4", Name: "Zoë Ñúñez 😀"}
			r.Target = verify.Target{Type: "finding", ID: "finding-ü", Name: "Reentrancy in „withdraw“"}
			r.IP = "::ffff:192.0.2.1"
			r.UserAgent = "Ünïcødé-Agent/2 (😀)"
			r.Details = json.RawMessage(`{"text":"Grüße\u2028line\n\"quoted\" \\ <b>&amp;</b>","\ufb33":1,"\ud83d\ude00":2,"\u20ac":3,` +
				`"ctl":"\u0001\b\f\t\u001f\u007f","big":1e21,"sum":0.30000000000000004,"tiny":1e-7,"zero":-0,` +
				`"long":123456789012345678901234567890,"nested":{"z":[true,false,null],"a":{},"m":[]}}`)
			r.Personal = []string{"details.\u20ac"}
			r.Salt = fixedSalt(8)
		}),
	}}
	// The erased twin of "personal detail keys": salt and every personal
	// plaintext gone, commitments kept. Same leaf, same hash.
	v = append(v, leafVector{Name: "personal detail keys, erased", Record: erase(v[5].Record)})
	return v
}

// with returns a copy of r changed by f.
func with(r verify.Record, f func(*verify.Record)) verify.Record {
	f(&r)
	return r
}

// leafCommitments returns the commitments in r's leaf, by label.
func leafCommitments(r *verify.Record) (map[string][]byte, error) {
	data, err := verify.LeafData(r)
	if err != nil {
		return nil, err
	}
	var leaf struct{ Commitments map[string][]byte }
	err = json.Unmarshal(bytes.TrimPrefix(data, []byte(verify.LeafVersion+"\n")), &leaf)
	return leaf.Commitments, err
}

// erase returns r as it is stored after its personal data was erased: no
// salt, the commitments it produced, and no personal plaintext.
func erase(r verify.Record) verify.Record {
	c, err := leafCommitments(&r)
	if err != nil {
		panic(err)
	}
	r.Salt, r.Commitments = nil, c
	r.Actor = verify.Actor{Type: r.Actor.Type}
	r.IP, r.UserAgent = "", ""
	if slices.Contains(r.Personal, "target") {
		r.Target = verify.Target{}
	}
	if len(r.Details) > 0 {
		var d map[string]json.RawMessage
		if err := json.Unmarshal(r.Details, &d); err != nil {
			panic(err)
		}
		for _, p := range r.Personal {
			delete(d, strings.TrimPrefix(p, "details."))
		}
		if r.Details, err = json.Marshal(d); err != nil {
			panic(err)
		}
	}
	return r
}

func marshalVectors(v []leafVector) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.SetIndent("", "\t")
	if err := e.Encode(v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TestLeafVectors checks every known answer in testdata/leaves.json, and
// that the file is exactly what the records above give today.
func TestLeafVectors(t *testing.T) {
	v := vectorRecords()
	for i := range v {
		r := &v[i].Record
		data, err := verify.LeafData(r)
		if err != nil {
			t.Fatalf("%s: LeafData: %v", v[i].Name, err)
		}
		h, err := verify.LeafHash(r)
		if err != nil {
			t.Fatalf("%s: LeafHash: %v", v[i].Name, err)
		}
		v[i].Leaf, v[i].LeafHash = string(data), hex.EncodeToString(h[:])
	}
	if *update {
		if err := os.WriteFile(leavesFile, marshalVectors(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(leavesFile)
	if err != nil {
		t.Fatal(err)
	}
	var file []leafVector
	if err := json.Unmarshal(got, &file); err != nil {
		t.Fatal(err)
	}
	if len(file) != len(v) {
		t.Fatalf("%s holds %d vectors, want %d", leavesFile, len(file), len(v))
	}
	for i := range v {
		a, _ := json.Marshal(file[i])
		b, _ := json.Marshal(v[i])
		if !bytes.Equal(a, b) {
			t.Errorf("%s: vector %d is\n%s\nthe leaf encoding gives today\n%s\n(a deliberate change needs a new LeafVersion)", leavesFile, i, a, b)
		}
	}
	for _, tt := range file {
		r := tt.Record
		data, err := verify.LeafData(&r)
		if err != nil {
			t.Errorf("%s: LeafData: %v", tt.Name, err)
			continue
		}
		if string(data) != tt.Leaf {
			t.Errorf("%s: LeafData =\n%s\nwant\n%s", tt.Name, data, tt.Leaf)
		}
		h, err := verify.LeafHash(&r)
		if err != nil || hex.EncodeToString(h[:]) != tt.LeafHash {
			t.Errorf("%s: LeafHash = %x, %v, want %s", tt.Name, h, err, tt.LeafHash)
		}
		if sum := sha256.Sum256(append([]byte{0}, tt.Leaf...)); hex.EncodeToString(sum[:]) != tt.LeafHash {
			t.Errorf("%s: SHA-256(0x00 || leaf) = %x, want %s", tt.Name, sum, tt.LeafHash)
		}
		if spec := specLeaf(t, &r); spec != tt.Leaf {
			t.Errorf("%s: leaf built from the package documentation =\n%s\nwant\n%s", tt.Name, spec, tt.Leaf)
		}
	}
	byName := map[string]string{}
	for _, tt := range file {
		byName[tt.Name] = tt.LeafHash
	}
	if a, b := byName["personal detail keys"], byName["personal detail keys, erased"]; a == "" || a != b {
		t.Errorf("erased twin's leaf hash = %s, want %s", b, a)
	}
}

// specLeaf builds r's leaf by following the package documentation word for
// word, independently of leaf.go (only JCS itself is shared; it is pinned by
// its own tests).
func specLeaf(t *testing.T, r *verify.Record) string {
	t.Helper()
	jcs := func(v any) []byte { return []byte(canonical(t, v)) }
	nonEmpty := func(kv ...string) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] != "" {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	var details map[string]any
	if len(r.Details) > 0 {
		if err := json.Unmarshal(r.Details, &details); err != nil {
			t.Fatal(err)
		}
	}
	if details == nil {
		details = map[string]any{}
	}
	target := nonEmpty("id", r.Target.ID, "name", r.Target.Name, "type", r.Target.Type)

	// SHA-256(salt ‖ label ‖ 0x00 ‖ value), or the kept commitment.
	commit := map[string]any{}
	add := func(label string, value []byte) {
		c := r.Commitments[label]
		if r.Salt != nil {
			h := sha256.New()
			h.Write(r.Salt)
			h.Write([]byte(label))
			h.Write([]byte{0})
			h.Write(value)
			c = h.Sum(nil)
		}
		commit[label] = base64.StdEncoding.EncodeToString(c)
	}
	add("actor", jcs(nonEmpty("email", r.Actor.Email, "id", r.Actor.ID, "name", r.Actor.Name)))
	if r.IP != "" {
		add("ip_address", []byte(netip.MustParseAddr(r.IP).String()))
	} else if _, ok := r.Commitments["ip_address"]; ok && r.Salt == nil {
		add("ip_address", nil)
	}
	if r.UserAgent != "" {
		add("user_agent", []byte(r.UserAgent))
	} else if _, ok := r.Commitments["user_agent"]; ok && r.Salt == nil {
		add("user_agent", nil)
	}
	for _, p := range r.Personal {
		if p == "target" {
			add(p, jcs(target))
			continue
		}
		k := strings.TrimPrefix(p, "details.")
		add(p, jcs(details[k]))
		delete(details, k)
	}

	leaf := map[string]any{
		"actor_type":  r.Actor.Type,
		"category":    r.Category,
		"commitments": commit,
		"details":     details,
		"event":       r.Event,
		"id":          r.ID,
		"org":         r.Org,
		"received_at": r.ReceivedAt.UTC().Format(time.RFC3339Nano),
		"timestamp":   r.Timestamp.UTC().Format(time.RFC3339Nano),
	}
	if len(target) > 0 && !slices.Contains(r.Personal, "target") {
		leaf["target"] = target
	}
	return "stele-leaf/v1\n" + string(jcs(leaf))
}

// TestLeafFieldChanges checks that changing any one field of a record, by
// as little as a nanosecond or a bit, changes its leaf hash.
func TestLeafFieldChanges(t *testing.T) {
	base := vectorRecords()[5].Record // has every kind of field
	base.Target.Name = "Core team"
	changes := map[string]func(r *verify.Record){
		"org":              func(r *verify.Record) { r.Org += "x" },
		"id":               func(r *verify.Record) { r.ID += "x" },
		"timestamp":        func(r *verify.Record) { r.Timestamp = r.Timestamp.Add(time.Nanosecond) },
		"received_at":      func(r *verify.Record) { r.ReceivedAt = r.ReceivedAt.Add(time.Nanosecond) },
		"event":            func(r *verify.Record) { r.Event = "member.joined" },
		"category":         func(r *verify.Record) { r.Category = "team" },
		"actor type":       func(r *verify.Record) { r.Actor.Type = "api_key" },
		"actor id":         func(r *verify.Record) { r.Actor.ID = "u_9" },
		"actor email":      func(r *verify.Record) { r.Actor.Email = "Alice@example.com" },
		"actor name":       func(r *verify.Record) { r.Actor.Name = "" },
		"actor name moved": func(r *verify.Record) { r.Actor.ID, r.Actor.Name = r.Actor.Name, r.Actor.ID },
		"target type":      func(r *verify.Record) { r.Target.Type = "project" },
		"target id":        func(r *verify.Record) { r.Target.ID = "team-cor" },
		"target name":      func(r *verify.Record) { r.Target.Name = "" },
		"target personal":  func(r *verify.Record) { r.Personal = append(r.Personal, "target") },
		"ip":               func(r *verify.Record) { r.IP = "198.51.100.24" },
		"no ip":            func(r *verify.Record) { r.IP = "" },
		"user agent":       func(r *verify.Record) { r.UserAgent += " " },
		"no user agent":    func(r *verify.Record) { r.UserAgent = "" },
		"detail value": func(r *verify.Record) {
			r.Details = json.RawMessage(`{"email":"carol@example.com","role":"admin","note":{"text":"Welcome, Carol!"}}`)
		},
		"detail key": func(r *verify.Record) {
			r.Details = json.RawMessage(`{"email":"carol@example.com","Role":"member","note":{"text":"Welcome, Carol!"}}`)
		},
		"detail added": func(r *verify.Record) {
			r.Details = json.RawMessage(`{"email":"carol@example.com","role":"member","note":{"text":"Welcome, Carol!"},"x":null}`)
		},
		"personal value": func(r *verify.Record) {
			r.Details = json.RawMessage(`{"email":"carol@example.org","role":"member","note":{"text":"Welcome, Carol!"}}`)
		},
		"personal nested": func(r *verify.Record) {
			r.Details = json.RawMessage(`{"email":"carol@example.com","role":"member","note":{"text":"Welcome, Carol."}}`)
		},
		"detail made plain": func(r *verify.Record) { r.Personal = r.Personal[:1] },
		"detail made personal": func(r *verify.Record) {
			r.Personal = append(r.Personal, "details.role")
		},
		"salt": func(r *verify.Record) { r.Salt = bytes.Clone(r.Salt); r.Salt[15] ^= 1 },
	}
	seen := map[[32]byte]string{}
	h, err := verify.LeafHash(&base)
	if err != nil {
		t.Fatal(err)
	}
	seen[h] = "unchanged"
	for _, name := range slices.Sorted(maps.Keys(changes)) {
		r := base
		r.Personal = slices.Clone(base.Personal)
		changes[name](&r)
		h, err := verify.LeafHash(&r)
		if err != nil {
			t.Errorf("%s: LeafHash: %v", name, err)
			continue
		}
		if other, ok := seen[h]; ok {
			t.Errorf("changing %s gives the leaf hash of %s", name, other)
		}
		seen[h] = name
	}
}

// TestLeafErased checks that erasing a record's personal data (salt and
// plaintext deleted, commitments kept) keeps its leaf and leaf hash.
func TestLeafErased(t *testing.T) {
	for _, v := range vectorRecords() {
		if v.Record.Salt == nil {
			continue
		}
		r, e := v.Record, erase(v.Record)
		want, err := verify.LeafData(&r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := verify.LeafData(&e)
		if err != nil {
			t.Errorf("%s erased: LeafData: %v", v.Name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s erased: LeafData =\n%s\nwant\n%s", v.Name, got, want)
		}
		// The salt was the only secret: once gone, the commitments alone
		// decide the leaf, and a wrong or missing one is refused or seen.
		for label := range e.Commitments {
			bad := e
			bad.Commitments = maps.Clone(e.Commitments)
			delete(bad.Commitments, label)
			// Without the IP address or user agent commitment the leaf
			// is that of a record that had none: a different leaf.
			if b, err := verify.LeafData(&bad); err == nil && bytes.Equal(b, want) {
				t.Errorf("%s erased without the %s commitment: LeafData = %s, want error or another leaf", v.Name, label, b)
			}
			bad.Commitments[label] = e.Commitments[label][:31]
			if b, err := verify.LeafData(&bad); err == nil {
				t.Errorf("%s erased with a 31-byte %s commitment: LeafData = %s, want error", v.Name, label, b)
			}
			bad.Commitments[label] = bytes.Clone(e.Commitments[label])
			bad.Commitments[label][0] ^= 0x80
			if b, err := verify.LeafData(&bad); err != nil || bytes.Equal(b, want) {
				t.Errorf("%s erased with another %s commitment: LeafData = %s, %v, want a different leaf", v.Name, label, b, err)
			}
		}
	}
}

func TestLeafEmptyDetails(t *testing.T) {
	r := vectorRecords()[3].Record // no details
	want, err := verify.LeafData(&r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(want, []byte(`"details":{}`)) {
		t.Errorf("LeafData without details = %s, want details {}", want)
	}
	for _, d := range []string{`{}`, ` { } `, "{\n}"} {
		r.Details = json.RawMessage(d)
		if got, err := verify.LeafData(&r); err != nil || !bytes.Equal(got, want) {
			t.Errorf("LeafData with details %q = %s, %v, want %s", d, got, err, want)
		}
	}
}

func TestLeafErrors(t *testing.T) {
	base := vectorRecords()[5].Record
	for _, tt := range []struct {
		name   string
		change func(r *verify.Record)
	}{
		{"personal detail missing", func(r *verify.Record) { r.Personal = []string{"details.phone"} }},
		{"personal detail missing, no details", func(r *verify.Record) { r.Details, r.Personal = nil, []string{"details.email"} }},
		{"personal detail listed twice", func(r *verify.Record) { r.Personal = []string{"details.email", "details.note", "details.email"} }},
		{"personal target listed twice", func(r *verify.Record) { r.Personal = []string{"target", "target"} }},
		{"personal actor", func(r *verify.Record) { r.Personal = []string{"actor"} }},
		{"personal ip", func(r *verify.Record) { r.Personal = []string{"ip_address"} }},
		{"personal unknown", func(r *verify.Record) { r.Personal = []string{"details"} }},
		{"personal empty", func(r *verify.Record) { r.Personal = []string{""} }},
		{"salt empty", func(r *verify.Record) { r.Salt = []byte{} }},
		{"salt 15 bytes", func(r *verify.Record) { r.Salt = r.Salt[:15] }},
		{"salt 17 bytes", func(r *verify.Record) { r.Salt = append(bytes.Clone(r.Salt), 0) }},
		{"salt 32 bytes", func(r *verify.Record) { r.Salt = make([]byte, 32) }},
		{"no salt, no commitments", func(r *verify.Record) { r.Salt = nil }},
		{"details null", func(r *verify.Record) { r.Details, r.Personal = json.RawMessage(`null`), nil }},
		{"details array", func(r *verify.Record) { r.Details, r.Personal = json.RawMessage(`[]`), nil }},
		{"details string", func(r *verify.Record) { r.Details, r.Personal = json.RawMessage(`"x"`), nil }},
		{"details invalid", func(r *verify.Record) { r.Details, r.Personal = json.RawMessage(`{"a":}`), nil }},
		{"details trailing object", func(r *verify.Record) { r.Details, r.Personal = json.RawMessage(`{}{}`), nil }},
		{"details trailing brace", func(r *verify.Record) { r.Details, r.Personal = json.RawMessage(`{"a":1}}`), nil }},
		{"details trailing bracket", func(r *verify.Record) { r.Details, r.Personal = json.RawMessage(`{"a":1}]`), nil }},
		{"details trailing junk", func(r *verify.Record) { r.Details, r.Personal = json.RawMessage(`{"a":1} x`), nil }},
		{"invalid UTF-8 org", func(r *verify.Record) { r.Org = "org\xff" }},
		{"invalid UTF-8 actor", func(r *verify.Record) { r.Actor.Name = "\xc3" }},
		{"invalid UTF-8 target", func(r *verify.Record) { r.Target.Name = "\xc3" }},
		{"invalid UTF-8 user agent", func(r *verify.Record) { r.UserAgent = "agent\xff" }},
		{"ip not an address", func(r *verify.Record) { r.IP = "localhost" }},
		{"ip with port", func(r *verify.Record) { r.IP = "192.0.2.1:80" }},
		{"ip upper case", func(r *verify.Record) { r.IP = "2001:DB8::1" }},
		{"ip not shortest", func(r *verify.Record) { r.IP = "2001:db8:0:0:0:0:0:1" }},
		{"ip with space", func(r *verify.Record) { r.IP = " 192.0.2.1" }},
	} {
		r := base
		tt.change(&r)
		if b, err := verify.LeafData(&r); err == nil {
			t.Errorf("%s: LeafData = %s, want error", tt.name, b)
		}
		if h, err := verify.LeafHash(&r); err == nil {
			t.Errorf("%s: LeafHash = %x, want error", tt.name, h)
		}
	}
}

func TestCommit(t *testing.T) {
	salt := fixedSalt(9)
	c := verify.Commit(salt, "details.email", []byte(`"carol@example.com"`))
	want := sha256.Sum256([]byte(string(salt) + "details.email\x00\"carol@example.com\""))
	if !bytes.Equal(c, want[:]) {
		t.Errorf("Commit = %x, want %x", c, want)
	}
	// The label is bound: moving bytes between label and value, or giving
	// the same value under another label, changes the commitment.
	for _, other := range [][]byte{
		verify.Commit(salt, "details.emai", []byte(`l"carol@example.com"`)),
		verify.Commit(salt, "details.email\x00", []byte(`"carol@example.com"`)[1:]),
		verify.Commit(salt, "actor", []byte(`"carol@example.com"`)),
		verify.Commit(fixedSalt(10), "details.email", []byte(`"carol@example.com"`)),
	} {
		if bytes.Equal(other, c) {
			t.Errorf("Commit collides: %x", c)
		}
	}
}

// FuzzLeafData checks that no details object and personal list makes
// LeafData panic, that every leaf it makes is canonical JSON after the
// version line, and that erasing keeps the leaf.
func FuzzLeafData(f *testing.F) {
	f.Add([]byte(`{"email":"a@b","n":1}`), "details.email", false)
	f.Add([]byte(`{"a":{"b":[1,2]},"\u00e9":"x"}`), "details.\u00e9", true)
	f.Add([]byte(`{}`), "target", false)
	f.Add([]byte(`null`), "", false)
	f.Fuzz(func(t *testing.T, details []byte, personal string, alsoTarget bool) {
		r := vectorRecords()[0].Record
		r.Details = details
		if personal != "" {
			r.Personal = []string{personal}
			if alsoTarget {
				r.Personal = append(r.Personal, "target")
			}
		}
		data, err := verify.LeafData(&r)
		if err != nil {
			return
		}
		body, ok := bytes.CutPrefix(data, []byte(verify.LeafVersion+"\n"))
		if !ok {
			t.Fatalf("LeafData = %q, want the version line first", data)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("LeafData = %q: %v", data, err)
		}
		if again := canonical(t, v); again != string(body) {
			t.Fatalf("LeafData = %s, not canonical: %s", body, again)
		}
		e := erase(r)
		if got, err := verify.LeafData(&e); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("erased LeafData = %s, %v, want %s", got, err, data)
		}
	})
}

// BenchmarkLeafHash measures recomputing the leaf hash of the known-answer
// records with their details stored canonical, as a verifier does for
// every event.
func BenchmarkLeafHash(b *testing.B) {
	vs := vectorRecords()
	for i := range vs {
		if d := vs[i].Record.Details; len(d) > 0 {
			c, err := verify.Canonicalize(d)
			if err != nil {
				b.Fatal(err)
			}
			vs[i].Record.Details = c
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := verify.LeafHash(&vs[i%len(vs)].Record); err != nil {
			b.Fatal(err)
		}
	}
}

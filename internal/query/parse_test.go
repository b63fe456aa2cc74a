package query

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// now is the time the tests parse relative times against.
var now = time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)

// pat returns the Value of a pattern written with * as its only special
// character.
func pat(s string) Value {
	return Value{Parts: strings.Split(s, "*")}
}

// term returns a term of field f with the given patterns as values.
func term(f Field, pats ...string) Term {
	t := Term{Field: f}
	for _, s := range pats {
		t.Values = append(t.Values, pat(s))
	}
	return t
}

func not(t Term) Term {
	t.Negated = true
	return t
}

func details(path string, pats ...string) Term {
	t := term(FieldDetails, pats...)
	t.Path = strings.Split(path, ".")
	return t
}

func ip(prefixes ...string) Term {
	t := Term{Field: FieldIP}
	for _, s := range prefixes {
		t.Prefixes = append(t.Prefixes, netip.MustParsePrefix(s))
	}
	return t
}

func span(since, until time.Time) Term {
	return Term{Field: FieldTimestamp, Since: since, Until: until}
}

// day returns midnight UTC of a date.
func day(s string) time.Time {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// at returns an RFC 3339 time in UTC.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// withoutPos returns the terms with their positions cleared.
func withoutPos(ts []Term) []Term {
	if ts == nil {
		return nil
	}
	out := make([]Term, len(ts))
	for i, t := range ts {
		t.Pos = 0
		out[i] = t
	}
	return out
}

// parseTests are valid queries, the terms they parse to (positions aside)
// and their canonical text ("" for the input itself).
var parseTests = []struct {
	in    string
	want  []Term
	canon string
}{
	// The seed's common searches.
	{"actor:bob@example.com event:finding.assigned", []Term{term(FieldActor, "bob@example.com"), term(FieldEvent, "finding.assigned")}, ""},
	{"event:auth.failed", []Term{term(FieldEvent, "auth.failed")}, ""},
	{"target:project-123", []Term{term(FieldTarget, "project-123")}, ""},
	{"event:*.deleted", []Term{term(FieldEvent, "*.deleted")}, ""},
	{"-event:auth.*", []Term{not(term(FieldEvent, "auth.*"))}, ""},
	{"actor:*@example.com", []Term{term(FieldActor, "*@example.com")}, ""},
	{"details.new_status:fixed", []Term{details("new_status", "fixed")}, ""},
	{"ip:192.168.0.0/16", []Term{ip("192.168.0.0/16")}, ""},
	{"timestamp:>-24h", []Term{span(now.Add(-24*time.Hour), time.Time{})}, "timestamp:>=2026-11-25T10:30:00Z"},

	// Empty queries and white space.
	{"", nil, ""},
	{" \t\n ", nil, ""},
	{"  a \t b\u00a0c  ", []Term{term(FieldText, "a"), term(FieldText, "b"), term(FieldText, "c")}, "a b c"},

	// Each qualifier; names are case-insensitive.
	{"actor:bob", []Term{term(FieldActor, "bob")}, ""},
	{"event:auth.login", []Term{term(FieldEvent, "auth.login")}, ""},
	{"action:auth.login", []Term{term(FieldEvent, "auth.login")}, "event:auth.login"},
	{"target:x", []Term{term(FieldTarget, "x")}, ""},
	{"category:auth", []Term{term(FieldCategory, "auth")}, ""},
	{"ip:10.0.0.1", []Term{ip("10.0.0.1/32")}, ""},
	{"actor_type:user", []Term{term(FieldActorType, "user")}, ""},
	{"actor_type:api_key,system", []Term{term(FieldActorType, "api_key", "system")}, ""},
	{"user_agent:curl/8.0", []Term{term(FieldUserAgent, "curl/8.0")}, ""},
	{"timestamp:2026-01-01", []Term{span(day("2026-01-01"), day("2026-01-02"))}, ""},
	{"details.a:b", []Term{details("a", "b")}, ""},
	{"ACTOR:x Event:auth.login ACTION:auth.login TARGET:x CATEGORY:auth IP:::1 Actor_Type:user USER_AGENT:x TimeStamp:2026-01-01 DETAILS.k:v",
		[]Term{term(FieldActor, "x"), term(FieldEvent, "auth.login"), term(FieldEvent, "auth.login"), term(FieldTarget, "x"),
			term(FieldCategory, "auth"), ip("::1/128"), term(FieldActorType, "user"), term(FieldUserAgent, "x"),
			span(day("2026-01-01"), day("2026-01-02")), details("k", "v")},
		"actor:x event:auth.login event:auth.login target:x category:auth ip:::1 actor_type:user user_agent:x timestamp:2026-01-01 details.k:v"},

	// Case: folded fields are lowercased, the others kept.
	{"actor:Bob@Example.COM", []Term{term(FieldActor, "bob@example.com")}, "actor:bob@example.com"},
	{"actor:ÉLODIE@example.com", []Term{term(FieldActor, "élodie@example.com")}, "actor:élodie@example.com"},
	{"event:AUTH.Failed", []Term{term(FieldEvent, "auth.failed")}, "event:auth.failed"},
	{"category:Auth", []Term{term(FieldCategory, "auth")}, "category:auth"},
	{"actor_type:API_KEY", []Term{term(FieldActorType, "api_key")}, "actor_type:api_key"},
	{"Hello", []Term{term(FieldText, "hello")}, "hello"},
	{"target:Project-X", []Term{term(FieldTarget, "Project-X")}, ""},
	{"user_agent:Mozilla*", []Term{term(FieldUserAgent, "Mozilla*")}, ""},
	{"details.New_Status:Fixed", []Term{details("New_Status", "Fixed")}, ""},

	// Details paths.
	{"details.a.b:x", []Term{details("a.b", "x")}, ""},
	{"details.a-b.c_d.9.Z:x", []Term{details("a-b.c_d.9.Z", "x")}, ""},
	{"Details.A.b:x,y*", []Term{details("A.b", "x", "y*")}, "details.A.b:x,y*"},
	{"details.count:3", []Term{details("count", "3")}, ""},

	// Wildcards at the start, middle and end, and runs of them.
	{"target:project-*", []Term{term(FieldTarget, "project-*")}, ""},
	{"target:*-123", []Term{term(FieldTarget, "*-123")}, ""},
	{"target:pro*123", []Term{term(FieldTarget, "pro*123")}, ""},
	{"target:*ject*", []Term{term(FieldTarget, "*ject*")}, ""},
	{"target:a*b*c", []Term{term(FieldTarget, "a*b*c")}, ""},
	{"target:*", []Term{term(FieldTarget, "*")}, ""},
	{"target:a**b", []Term{term(FieldTarget, "a*b")}, "target:a*b"},
	{"target:***", []Term{term(FieldTarget, "*")}, "target:*"},
	{"target:**a**", []Term{term(FieldTarget, "*a*")}, "target:*a*"},
	{"event:*", []Term{term(FieldEvent, "*")}, ""},
	{"*", []Term{term(FieldText, "*")}, ""},

	// Quoting and escapes.
	{`target:"Vault v2.sol"`, []Term{term(FieldTarget, "Vault v2.sol")}, ""},
	{`target:"a,b"`, []Term{term(FieldTarget, "a,b")}, ""},
	{`target:"a:b"`, []Term{term(FieldTarget, "a:b")}, "target:a:b"},
	{`target:a:b`, []Term{term(FieldTarget, "a:b")}, ""},
	{`target:a"b c"d`, []Term{term(FieldTarget, "ab cd")}, `target:"ab cd"`},
	{`target:"say \"hi\""`, []Term{term(FieldTarget, `say "hi"`)}, ""},
	{`target:a\"b`, []Term{term(FieldTarget, `a"b`)}, ""},
	{`target:"a\"b"`, []Term{term(FieldTarget, `a"b`)}, `target:a\"b`},
	{`target:back\\slash`, []Term{term(FieldTarget, `back\slash`)}, ""},
	{`target:"back\\slash"`, []Term{term(FieldTarget, `back\slash`)}, `target:back\\slash`},
	{`target:\*`, []Term{{Field: FieldTarget, Values: []Value{{Parts: []string{"*"}}}}}, ""},
	{`target:"\*"`, []Term{{Field: FieldTarget, Values: []Value{{Parts: []string{"*"}}}}}, `target:\*`},
	{`target:a\*b*`, []Term{{Field: FieldTarget, Values: []Value{{Parts: []string{"a*b", ""}}}}}, ""},
	{`target:"a*b"`, []Term{term(FieldTarget, "a*b")}, "target:a*b"},
	{`target:"a *"`, []Term{term(FieldTarget, "a *")}, ""},
	{`target:100%_sure`, []Term{term(FieldTarget, "100%_sure")}, ""},
	{`target:"'; DROP TABLE events; --"`, []Term{term(FieldTarget, "'; DROP TABLE events; --")}, ""},
	{`target:-x`, []Term{term(FieldTarget, "-x")}, ""},
	{"target:\"tab\u00a0nbsp\"", []Term{term(FieldTarget, "tab\u00a0nbsp")}, ""},
	{`"Vault v2.sol"`, []Term{term(FieldText, "vault v2.sol")}, `"vault v2.sol"`},
	{`"a:b"`, []Term{term(FieldText, "a:b")}, ""},
	{`a"b:c"`, []Term{term(FieldText, "ab:c")}, `"ab:c"`},
	{`"actor:bob"`, []Term{term(FieldText, "actor:bob")}, ""},
	{`"-foo"`, []Term{term(FieldText, "-foo")}, ""},
	{`-"-foo"`, []Term{not(term(FieldText, "-foo"))}, ""},
	{`a,-b`, []Term{term(FieldText, "a", "-b")}, ""},
	{`a,"b:c"`, []Term{term(FieldText, "a", "b:c")}, ""},
	{`a-b`, []Term{term(FieldText, "a-b")}, ""},

	// OR lists, quoted parts included.
	{"actor:a@x.com,b@x.com", []Term{term(FieldActor, "a@x.com", "b@x.com")}, ""},
	{`actor:"a b",c`, []Term{term(FieldActor, "a b", "c")}, ""},
	{`actor:c,"a b"`, []Term{term(FieldActor, "c", "a b")}, ""},
	{"event:auth.*,*.deleted", []Term{term(FieldEvent, "auth.*", "*.deleted")}, ""},
	{"actor:a,a", []Term{term(FieldActor, "a", "a")}, ""},
	{"foo,bar", []Term{term(FieldText, "foo", "bar")}, ""},

	// Negation.
	{"-foo", []Term{not(term(FieldText, "foo"))}, ""},
	{"-actor:a,b", []Term{not(term(FieldActor, "a", "b"))}, ""},
	{"-ip:10.0.0.0/8", []Term{not(ip("10.0.0.0/8"))}, ""},
	{"-details.a:x", []Term{not(details("a", "x"))}, ""},
	{"-timestamp:2026-01-01", []Term{not(span(day("2026-01-01"), day("2026-01-02")))}, ""},
	{"a -b", []Term{term(FieldText, "a"), not(term(FieldText, "b"))}, ""},

	// Addresses and CIDRs, v4 and v6.
	{"ip:10.0.0.1/32", []Term{ip("10.0.0.1/32")}, "ip:10.0.0.1"},
	{"ip:10.1.2.3/8", []Term{ip("10.0.0.0/8")}, "ip:10.0.0.0/8"},
	{"ip:0.0.0.0/0", []Term{ip("0.0.0.0/0")}, ""},
	{"ip:2001:db8::1", []Term{ip("2001:db8::1/128")}, ""},
	{"ip:2001:DB8:0:0::1", []Term{ip("2001:db8::1/128")}, "ip:2001:db8::1"},
	{"ip:2001:db8::/32", []Term{ip("2001:db8::/32")}, ""},
	{"ip:::ffff:10.0.0.1", []Term{ip("::ffff:10.0.0.1/128")}, ""},
	{"ip:::1,127.0.0.0/8", []Term{ip("::1/128", "127.0.0.0/8")}, ""},
	{`ip:"10.0.0.1"`, []Term{ip("10.0.0.1/32")}, "ip:10.0.0.1"},

	// Several terms.
	{`event:auth.failed ip:10.0.0.0/8 -actor_type:system "bad password" timestamp:>=2026-01-01`,
		[]Term{term(FieldEvent, "auth.failed"), ip("10.0.0.0/8"), not(term(FieldActorType, "system")),
			term(FieldText, "bad password"), span(day("2026-01-01"), time.Time{})}, ""},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		q, err := Parse(tt.in, now)
		if err != nil {
			t.Errorf("Parse(%q) = %v", tt.in, err)
			continue
		}
		if got := withoutPos(q.Terms); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
		canon := tt.canon
		if canon == "" {
			canon = strings.TrimSpace(tt.in)
		}
		if got := q.String(); got != canon {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, canon)
		}
		checkRoundTrip(t, q, now.Add(1000*time.Hour))
	}
}

// checkRoundTrip checks that q's text parses back to q, with any now.
func checkRoundTrip(t *testing.T, q *Query, now time.Time) {
	t.Helper()
	s := q.String()
	q2, err := parse(s, now)
	if err != nil {
		t.Fatalf("Parse(%q), of a query's String, = %v", s, err)
	}
	if got, want := withoutPos(q2.Terms), withoutPos(q.Terms); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%q) = %#v, want %#v", s, got, want)
	}
	if s2 := q2.String(); s2 != s {
		t.Fatalf("Parse(%q).String() = %q, not canonical", s, s2)
	}
	var terms []string
	for _, term := range q.Terms {
		terms = append(terms, term.String())
	}
	if got := strings.Join(terms, " "); got != s {
		t.Fatalf("Term Strings joined = %q, want the query's %q", got, s)
	}
}

func TestPos(t *testing.T) {
	q, err := Parse(`actor:a  -event:x "é b" é,c details.k:v`, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, term := range q.Terms {
		got = append(got, term.Pos)
	}
	if want := []int{1, 10, 19, 25, 29}; !reflect.DeepEqual(got, want) {
		t.Errorf("positions = %v, want %v", got, want)
	}
}

// errorTests are invalid queries and the errors they give.
var errorTests = []struct {
	in, err string
}{
	// Values missing.
	{"actor:", `position 7: expected a value after "actor:"`},
	{"event:foo actor:", `position 17: expected a value after "actor:"`},
	{"Actor: bob", `position 7: expected a value after "Actor:"`},
	{"actor:,a", `position 7: expected a value after "actor:"`},
	{"actor:a,", `position 9: expected a value after ","`},
	{"actor:a,,b", `position 9: expected a value after ","`},
	{"actor:a, b", `position 9: expected a value after ","`},
	{"a,", `position 3: expected a value after ","`},
	{",a", `position 1: expected a word or a qualifier before ","`},
	{`actor:""`, `position 7: empty value: expected text between the quotes`},
	{`""`, `position 1: empty value: expected text between the quotes`},
	{`actor:a,""`, `position 9: empty value: expected text between the quotes`},

	// Negation.
	{"-", `position 1: expected a qualifier or a word after "-"`},
	{"a - b", `position 3: expected a qualifier or a word after "-"`},
	{"a -", `position 3: expected a qualifier or a word after "-"`},
	{"-,a", `position 1: expected a qualifier or a word after "-"`},
	{"--a", `position 2: unexpected "-": a term is negated by one "-"`},

	// Qualifiers.
	{"actr:bob", `position 1: unknown qualifier "actr:"; did you mean "actor:"?`},
	{"a actr:bob", `position 3: unknown qualifier "actr:"; did you mean "actor:"?`},
	{"-evnt:x", `position 2: unknown qualifier "evnt:"; did you mean "event:"?`},
	{"categroy:x", `position 1: unknown qualifier "categroy:"; did you mean "category:"?`},
	{"user-agent:x", `position 1: unknown qualifier "user-agent:"; did you mean "user_agent:"?`},
	{"actortype:x", `position 1: unknown qualifier "actortype:"; did you mean "actor_type:"?`},
	{"time:>-1h", `position 1: unknown qualifier "time:"; did you mean "timestamp:"?`},
	{"email:a", `position 1: unknown qualifier "email:"; did you mean "actor:"?`},
	{"detail.x:y", `position 1: unknown qualifier "detail.x:"; did you mean "details.x:"?`},
	{"detials:y", `position 1: unknown qualifier "detials:"; did you mean "details.<key>:"?`},
	{"id:x", `position 1: unknown qualifier "id:"; quote text that holds a colon`},
	{"http://example.com", `position 1: unknown qualifier "http:"; quote text that holds a colon`},
	{":x", `position 1: expected a qualifier before ":"`},
	{"details:x", `position 1: expected "details.<key>:", as in details.status:fixed`},
	{"details.:x", `position 9: expected a key after "details."`},
	{"details.a..b:x", `position 11: expected a key after "details.a."`},
	{"details.a.:x", `position 11: expected a key after "details.a."`},
	{"details.a@b:x", `position 10: unexpected '@' in a details key; keys hold A-Z, a-z, 0-9, "_" and "-"`},
	{"details.é:x", `position 9: unexpected 'é' in a details key; keys hold A-Z, a-z, 0-9, "_" and "-"`},
	{"details.a*:x", `position 10: unexpected '*' in a details key; keys hold A-Z, a-z, 0-9, "_" and "-"`},

	// Free text and colons.
	{"a:b", `position 1: unknown qualifier "a:"; quote text that holds a colon`},
	{`"a":b`, `position 4: unexpected ":" in free text; quote text that holds a colon, as in "a:b"`},
	{`a,b:c`, `position 4: unexpected ":" in free text; quote text that holds a colon, as in "a:b"`},
	{`a*:b`, `position 1: unknown qualifier "a*:"; quote text that holds a colon`},

	// Quotes, escapes and characters.
	{`"abc`, `position 1: unterminated quote: expected a closing "`},
	{`target:"Vault v2.sol`, `position 8: unterminated quote: expected a closing "`},
	{`actor:a"`, `position 8: unterminated quote: expected a closing "`},
	{`actor:"a\"`, `position 7: unterminated quote: expected a closing "`},
	{`actor:a\q`, `position 8: unknown escape \q; the escapes are \", \\ and \*`},
	{`actor:"a\n"`, `position 9: unknown escape \n; the escapes are \", \\ and \*`},
	{`actor:a\`, `position 8: unfinished escape; the escapes are \", \\ and \*`},
	{`actor:a\ b`, `position 8: unknown escape: \ before U+0020; the escapes are \", \\ and \*`},
	{"actor:\"a\tb\"", `position 9: unexpected control character U+0009`},
	{"actor:a\x00", `position 8: unexpected control character U+0000`},
	{"\x7f", `position 1: unexpected control character U+007F`},
	{"actor:é\xff", `position 8: invalid UTF-8`},
	{"\xc3", `position 1: invalid UTF-8`},

	// Field values.
	{"event:auth failed", ""}, // valid: two terms
	{"event:auth/failed", `position 7: expected an event type of a-z, 0-9, "_" and ".", as in auth.failed, not "auth/failed"`},
	{`event:"auth failed"`, `position 7: expected an event type of a-z, 0-9, "_" and ".", as in auth.failed, not "\"auth failed\""`},
	{"event:auth.ok,é", `position 15: expected an event type of a-z, 0-9, "_" and ".", as in auth.failed, not "é"`},
	{"category:a.b", `position 10: expected a category of a-z, 0-9 and "_", as in auth, not "a.b"`},
	{"actor_type:usr", `position 12: unknown actor type "usr"; expected user, api_key or system`},
	{"actor_type:user,bot", `position 17: unknown actor type "bot"; expected user, api_key or system`},
	{"actor_type:us*", `position 12: unknown actor type "us*"; expected user, api_key or system`},
	{"ip:10.0.0.0/33", `position 4: bad CIDR "10.0.0.0/33": expected an IP address, "/" and a prefix length, as in 10.0.0.0/8`},
	{"ip:10.0.0/8", `position 4: bad CIDR "10.0.0/8": expected an IP address, "/" and a prefix length, as in 10.0.0.0/8`},
	{"ip:10.0.0.0/", `position 4: bad CIDR "10.0.0.0/": expected an IP address, "/" and a prefix length, as in 10.0.0.0/8`},
	{"ip:fe80::1%eth0/64", `position 4: bad CIDR "fe80::1%eth0/64": expected an IP address, "/" and a prefix length, as in 10.0.0.0/8`},
	{"ip:256.0.0.1", `position 4: expected an IP address or a CIDR, as in 10.0.0.1 or 10.0.0.0/8, not "256.0.0.1"`},
	{"ip:localhost", `position 4: expected an IP address or a CIDR, as in 10.0.0.1 or 10.0.0.0/8, not "localhost"`},
	{"ip:10.0.0.1,x", `position 13: expected an IP address or a CIDR, as in 10.0.0.1 or 10.0.0.0/8, not "x"`},
	{"ip:fe80::1%eth0", `position 4: expected an IP address without a zone, not "fe80::1%eth0"`},
	{"ip:10.*", `position 4: wildcards don't apply to ip:; use a CIDR, as in 10.0.0.0/8`},
	{"ip:10.0.0.1\\*", `position 4: expected an IP address or a CIDR, as in 10.0.0.1 or 10.0.0.0/8, not "10.0.0.1\\*"`},

	// Positions count characters, not bytes.
	{"é actr:x", `position 3: unknown qualifier "actr:"; did you mean "actor:"?`},
	{"目标 actor:", `position 10: expected a value after "actor:"`},
}

func TestParseErrors(t *testing.T) {
	for _, tt := range errorTests {
		q, err := Parse(tt.in, now)
		if tt.err == "" {
			if err != nil {
				t.Errorf("Parse(%q) = %v, want no error", tt.in, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("Parse(%q) = %q, want error %q", tt.in, q, tt.err)
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) error %T, want *Error", tt.in, err)
		}
		if err.Error() != tt.err {
			t.Errorf("Parse(%q) = %q\n                      want %q", tt.in, err, tt.err)
		}
	}
}

func TestLimits(t *testing.T) {
	terms := func(n int) string { return strings.Repeat("a ", n-1) + "a" }
	values := func(n int) string { return "actor:" + strings.Repeat("a,", n-1) + "a" }
	tests := []struct {
		in, err string
	}{
		{strings.Repeat("a", MaxLen), ""},
		{strings.Repeat("a", MaxLen+1), "position 2049: the query is longer than 2048 bytes"},
		{strings.Repeat("é", MaxLen/2) + "a", "position 1025: the query is longer than 2048 bytes"},
		{terms(MaxTerms), ""},
		{terms(MaxTerms + 1), "position 129: too many terms: at most 64"},
		{terms(MaxTerms) + " -", "position 129: too many terms: at most 64"},
		{values(MaxValues), ""},
		{values(MaxValues + 1), "position 71: too many values in one list: at most 32"},
		{"ip:" + strings.Repeat("::1,", MaxValues) + "::1", "position 132: too many values in one list: at most 32"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, now)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.err {
			t.Errorf("Parse(%.20q...) = %q, want %q", tt.in, got, tt.err)
		}
	}
}

func TestFieldString(t *testing.T) {
	for f := FieldText; f <= FieldDetails; f++ {
		name := f.String()
		if f == FieldText || f == FieldDetails {
			continue
		}
		if got := qualifiers[name]; got != f {
			t.Errorf("qualifiers[%q] = %v, want %v", name, got, f)
		}
	}
	if got, want := Field(99).String(), "Field(99)"; got != want {
		t.Errorf("Field(99).String() = %q, want %q", got, want)
	}
}

package query

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// A Query is a parsed search. A record matches it when it matches every
// term; a Query without terms matches every record.
type Query struct {
	Terms []Term
}

// A Term is one condition of a query. Which fields are set depends on Field:
// Values for all but FieldIP and FieldTimestamp, Path for FieldDetails,
// Prefixes for FieldIP, Since and Until for FieldTimestamp.
type Term struct {
	// Pos is the 1-based position, in characters, of the term in the text
	// Parse was given (of its "-" if negated), for messages about it.
	Pos int
	// Negated terms match the records the term without "-" does not.
	Negated bool
	Field   Field
	// Path is the keys of a details member, outermost first: details.a.b
	// is ["a", "b"]. Each is a non-empty run of A-Z a-z 0-9 _ -.
	Path []string
	// Values are ORed: the term matches when any of them does. They are
	// lowercased for fields that fold case (Field.Folded). A FieldText value
	// matches text that contains it: "*" at each end is implied.
	Values []Value
	// Prefixes are ORed; masked, so 10.1.2.3/8 is 10.0.0.0/8, and an
	// address is a /32 or /128.
	Prefixes []netip.Prefix
	// Since and Until bound the timestamps matched, in UTC: Since <= t <
	// Until. A zero Since or Until leaves that end open; Parse sets at
	// least one.
	Since, Until time.Time
}

// A Field is what a term searches.
type Field int

const (
	FieldText      Field = iota // free text: actor, target and details contain a value
	FieldActor                  // the actor's email, id or name
	FieldEvent                  // the event type
	FieldTarget                 // the target's id or name
	FieldCategory               // the event's category
	FieldIP                     // the client's IP address
	FieldActorType              // the actor's type: user, api_key or system
	FieldUserAgent              // the client's user agent
	FieldTimestamp              // the event's time
	FieldDetails                // a member of the details object
)

var fieldNames = [...]string{
	FieldText:      "text",
	FieldActor:     "actor",
	FieldEvent:     "event",
	FieldTarget:    "target",
	FieldCategory:  "category",
	FieldIP:        "ip",
	FieldActorType: "actor_type",
	FieldUserAgent: "user_agent",
	FieldTimestamp: "timestamp",
	FieldDetails:   "details",
}

// String returns the field's qualifier without its colon, as in "actor";
// "text" for free text, which has none.
func (f Field) String() string {
	if f < 0 || int(f) >= len(fieldNames) {
		return "Field(" + strconv.Itoa(int(f)) + ")"
	}
	return fieldNames[f]
}

// Folded reports whether the field compares case-insensitively. Parse
// lowercases the values of such fields with strings.ToLower, and backends
// compare them with the field's text lowercased the same way (in Go, as
// SQLite's lower() folds only ASCII).
func (f Field) Folded() bool {
	switch f {
	case FieldText, FieldActor, FieldEvent, FieldCategory, FieldActorType:
		return true
	}
	return false
}

// A Value is a pattern: literal pieces with a wildcard between each two,
// matching any run of characters. "abc" is ["abc"], an exact match;
// "*.deleted" is ["", ".deleted"]; "a*b*" is ["a", "b", ""]; "*" is
// ["", ""]. Only the first and the last piece may be empty, and Parts
// always has at least one, non-empty if it is the only one.
type Value struct {
	Parts []string
}

// Exact returns the value's text if it has no wildcard.
func (v Value) Exact() (string, bool) {
	if len(v.Parts) == 1 {
		return v.Parts[0], true
	}
	return "", false
}

// Prefix returns the literal start of a value whose only wildcard is at its
// end, as in "project-*", which an index on the field can serve. For "*" it
// returns "", true.
func (v Value) Prefix() (string, bool) {
	if len(v.Parts) == 2 && v.Parts[1] == "" {
		return v.Parts[0], true
	}
	return "", false
}

// Match reports whether s matches the value, case-sensitively: s is the
// parts in order with any text before, between and after them that the
// wildcards allow.
func (v Value) Match(s string) bool {
	n := len(v.Parts)
	if n == 0 {
		return false
	}
	if n == 1 {
		return s == v.Parts[0]
	}
	first, last := v.Parts[0], v.Parts[n-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, p := range v.Parts[1 : n-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

// Like returns the value as a pattern for SQL's LIKE with ESCAPE '\': "%",
// "_" and "\" in the parts are escaped, and each wildcard becomes "%". Note
// that SQLite's LIKE ignores ASCII case unless told otherwise.
func (v Value) Like() string {
	var b strings.Builder
	for i, p := range v.Parts {
		if i > 0 {
			b.WriteByte('%')
		}
		for _, r := range p {
			if r == '%' || r == '_' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// String returns the value as written after a qualifier, quoted if needed.
func (v Value) String() string {
	var b strings.Builder
	writeValue(&b, v, false, false)
	return b.String()
}

// String returns the query in canonical form: its terms' canonical forms
// separated by single spaces. For a Query that Parse returned, Parse gives
// back the same Query (but for positions) from it, whatever its now. The
// text may exceed MaxLen, relative times printing as full timestamps.
func (q *Query) String() string {
	var b strings.Builder
	for i, t := range q.Terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		t.write(&b)
	}
	return b.String()
}

// String returns the term in canonical form: lowercase qualifier names,
// "event:" rather than "action:", values quoted only when needed, IP
// addresses without their /32 or /128, and timestamps as absolute ranges.
func (t Term) String() string {
	var b strings.Builder
	t.write(&b)
	return b.String()
}

func (t Term) write(b *strings.Builder) {
	if t.Negated {
		b.WriteByte('-')
	}
	switch t.Field {
	case FieldText:
	case FieldDetails:
		b.WriteString("details.")
		b.WriteString(strings.Join(t.Path, "."))
		b.WriteByte(':')
	default:
		b.WriteString(t.Field.String())
		b.WriteByte(':')
	}
	switch t.Field {
	case FieldIP:
		for i, p := range t.Prefixes {
			if i > 0 {
				b.WriteByte(',')
			}
			if p.IsSingleIP() {
				b.WriteString(p.Addr().String())
			} else {
				b.WriteString(p.String())
			}
		}
	case FieldTimestamp:
		b.WriteString(formatRange(t.Since, t.Until))
	default:
		for i, v := range t.Values {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, v, t.Field == FieldText, i == 0)
		}
	}
}

// writeValue writes v escaped, and quoted if it holds a character that
// would end it or, in free text, a ":"; or if it starts a free-text term
// with a "-", which would read as a second one.
func writeValue(b *strings.Builder, v Value, text, first bool) {
	quote := text && first && len(v.Parts) > 0 && strings.HasPrefix(v.Parts[0], "-")
	for _, p := range v.Parts {
		if strings.IndexFunc(p, func(r rune) bool {
			return unicode.IsSpace(r) || r == ',' || (text && r == ':')
		}) >= 0 {
			quote = true
		}
	}
	if quote {
		b.WriteByte('"')
	}
	for i, p := range v.Parts {
		if i > 0 {
			b.WriteByte('*')
		}
		for _, r := range p {
			if r == '"' || r == '\\' || r == '*' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
	}
	if quote {
		b.WriteByte('"')
	}
}

package query

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on a query, so that no search is costly to parse or to run.
const (
	MaxLen    = 2048 // bytes of input
	MaxTerms  = 64   // terms in a query
	MaxValues = 32   // values in one list
)

// An Error is a syntax error in a search string.
type Error struct {
	Pos int    // 1-based position, in characters, of the error in the input
	Msg string // what is wrong, naming what was expected
}

func (e *Error) Error() string {
	return fmt.Sprintf("position %d: %s", e.Pos, e.Msg)
}

// Parse parses a search string, computing relative times from now. Its
// errors are of type *Error.
func Parse(s string, now time.Time) (*Query, error) {
	if len(s) > MaxLen {
		return nil, &Error{
			Pos: utf8.RuneCountInString(s[:MaxLen]) + 1,
			Msg: fmt.Sprintf("the query is longer than %d bytes", MaxLen),
		}
	}
	return parse(s, now)
}

// parse is Parse without the limit on length, which String can exceed.
func parse(s string, now time.Time) (*Query, error) {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, w := utf8.DecodeRuneInString(s[i:]); w == 1 {
				return nil, &Error{Pos: utf8.RuneCountInString(s[:i]) + 1, Msg: "invalid UTF-8"}
			}
		}
	}
	p := &parser{input: s, lex: newLexer(s), now: now.UTC()}
	q := new(Query)
	for {
		it := p.lex.next()
		switch it.typ {
		case itemEOF:
			return q, nil
		case itemSpace:
			continue
		}
		if len(q.Terms) == MaxTerms {
			return nil, p.errorf(it.pos, "too many terms: at most %d", MaxTerms)
		}
		t, err := p.term(it)
		if err != nil {
			return nil, err
		}
		q.Terms = append(q.Terms, t)
	}
}

// A parser turns the lexer's items into terms.
type parser struct {
	input string
	lex   *lexer
	now   time.Time // in UTC
}

// position returns the 1-based character position of byte offset off.
func (p *parser) position(off int) int {
	return utf8.RuneCountInString(p.input[:off]) + 1
}

// errorf returns an error at byte offset off of the input.
func (p *parser) errorf(off int, format string, args ...any) *Error {
	return &Error{Pos: p.position(off), Msg: fmt.Sprintf(format, args...)}
}

// term parses the term that starts with it, up to and including the space
// or end of input after it.
func (p *parser) term(it item) (Term, error) {
	t := Term{Pos: p.position(it.pos)}
	if it.typ == itemNot {
		t.Negated = true
		minus := it.pos
		switch it = p.lex.next(); it.typ {
		case itemSpace, itemEOF, itemComma:
			return t, p.errorf(minus, `expected a qualifier or a word after "-"`)
		}
	}
	after := "" // what precedes the next value, for messages
	if it.typ == itemQualifier {
		if err := p.qualifier(&t, it); err != nil {
			return t, err
		}
		after = it.text + ":"
		it = p.lex.next()
	}
	var values []item
	for {
		switch {
		case it.typ == itemError:
			return t, p.errorf(it.pos, "%s", it.text)
		case it.typ != itemValue && after == "":
			return t, p.errorf(it.pos, `expected a word or a qualifier before ","`)
		case it.typ != itemValue:
			return t, p.errorf(it.pos, "expected a value after %q", after)
		case len(values) == MaxValues:
			return t, p.errorf(it.pos, "too many values in one list: at most %d", MaxValues)
		case len(it.parts) == 1 && it.parts[0] == "":
			return t, p.errorf(it.pos, "empty value: expected text between the quotes")
		}
		values = append(values, it)
		if it = p.lex.next(); it.typ != itemComma {
			break
		}
		after = ","
		it = p.lex.next()
	}
	if it.typ == itemError {
		return t, p.errorf(it.pos, "%s", it.text)
	}
	return t, p.values(&t, values)
}

// qualifiers maps the qualifiers but details.<path> to their fields.
var qualifiers = map[string]Field{
	"actor":      FieldActor,
	"event":      FieldEvent,
	"action":     FieldEvent,
	"target":     FieldTarget,
	"category":   FieldCategory,
	"ip":         FieldIP,
	"actor_type": FieldActorType,
	"user_agent": FieldUserAgent,
	"timestamp":  FieldTimestamp,
}

const detailsDot = "details."

// qualifier sets t's field (and path) from a qualifier item.
func (p *parser) qualifier(t *Term, it item) error {
	name := it.text
	if f, ok := qualifiers[strings.ToLower(name)]; ok {
		t.Field = f
		return nil
	}
	if len(name) >= len(detailsDot) && strings.EqualFold(name[:len(detailsDot)], detailsDot) {
		t.Field = FieldDetails
		return p.path(t, it)
	}
	switch {
	case name == "":
		return p.errorf(it.pos, `expected a qualifier before ":"`)
	case strings.EqualFold(name, "details"):
		return p.errorf(it.pos, `expected "details.<key>:", as in details.status:fixed`)
	}
	if s := suggest(name); s != "" {
		return p.errorf(it.pos, "unknown qualifier %q; did you mean %q?", name+":", s)
	}
	return p.errorf(it.pos, "unknown qualifier %q; quote text that holds a colon", name+":")
}

// path sets t.Path from a details.<path> qualifier item.
func (p *parser) path(t *Term, it item) error {
	off := it.pos + len(detailsDot)
	for key := range strings.SplitSeq(it.text[len(detailsDot):], ".") {
		if key == "" {
			return p.errorf(off, "expected a key after %q", it.text[:off-it.pos])
		}
		for i, r := range key {
			if !isKeyChar(r) {
				return p.errorf(off+i, `unexpected %q in a details key; keys hold A-Z, a-z, 0-9, "_" and "-"`, r)
			}
		}
		t.Path = append(t.Path, key)
		off += len(key) + 1
	}
	return nil
}

func isKeyChar(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-'
}

// values checks the values of t for its field and sets them.
func (p *parser) values(t *Term, items []item) error {
	switch t.Field {
	case FieldIP:
		return p.prefixes(t, items)
	case FieldTimestamp:
		if len(items) > 1 {
			return p.errorf(items[1].pos-1, `unexpected ","; timestamp: takes one range, not a list (AND two timestamp: terms instead)`)
		}
		return p.timestamp(t, items[0])
	}
	t.Values = make([]Value, len(items))
	for i, it := range items {
		v := Value{Parts: it.parts}
		if t.Field.Folded() {
			for j, s := range v.Parts {
				v.Parts[j] = strings.ToLower(s)
			}
		}
		switch t.Field {
		case FieldEvent:
			if !onlyChars(v.Parts, "abcdefghijklmnopqrstuvwxyz0123456789_.") {
				return p.errorf(it.pos, `expected an event type of a-z, 0-9, "_" and ".", as in auth.failed, not %q`, it.text)
			}
		case FieldCategory:
			if !onlyChars(v.Parts, "abcdefghijklmnopqrstuvwxyz0123456789_") {
				return p.errorf(it.pos, `expected a category of a-z, 0-9 and "_", as in auth, not %q`, it.text)
			}
		case FieldActorType:
			switch s, _ := v.Exact(); s {
			case "user", "api_key", "system":
			default:
				return p.errorf(it.pos, "unknown actor type %q; expected user, api_key or system", it.text)
			}
		}
		t.Values[i] = v
	}
	return nil
}

func onlyChars(parts []string, chars string) bool {
	for _, s := range parts {
		for _, r := range s {
			if !strings.ContainsRune(chars, r) {
				return false
			}
		}
	}
	return true
}

// prefixes sets t.Prefixes from the values of an ip: term.
func (p *parser) prefixes(t *Term, items []item) error {
	t.Prefixes = make([]netip.Prefix, len(items))
	for i, it := range items {
		if len(it.parts) > 1 {
			return p.errorf(it.pos, "wildcards don't apply to ip:; use a CIDR, as in 10.0.0.0/8")
		}
		s := it.parts[0]
		if strings.Contains(s, "/") {
			pfx, err := netip.ParsePrefix(s)
			if err != nil {
				return p.errorf(it.pos, "bad CIDR %q: expected an IP address, \"/\" and a prefix length, as in 10.0.0.0/8", it.text)
			}
			t.Prefixes[i] = pfx.Masked()
			continue
		}
		a, err := netip.ParseAddr(s)
		switch {
		case err != nil:
			return p.errorf(it.pos, "expected an IP address or a CIDR, as in 10.0.0.1 or 10.0.0.0/8, not %q", it.text)
		case a.Zone() != "":
			return p.errorf(it.pos, "expected an IP address without a zone, not %q", it.text)
		}
		t.Prefixes[i] = netip.PrefixFrom(a, a.BitLen())
	}
	return nil
}

// suggest returns the qualifier that an unknown one most likely meant, or
// "" if none is close.
func suggest(name string) string {
	lower := strings.ToLower(name)
	if head, _, ok := strings.Cut(lower, "."); ok {
		if distance(head, "details") <= 2 {
			return "details." + name[len(head)+1:] + ":"
		}
		return ""
	}
	if s, ok := synonyms[lower]; ok {
		return s + ":"
	}
	// Within two edits, and not for short names, lest "id:" mean "ip:".
	if utf8.RuneCountInString(lower) <= 3 {
		return ""
	}
	best, bound := "", 3
	for _, q := range []string{"actor", "event", "action", "target", "category", "ip", "actor_type", "user_agent", "timestamp", "details"} {
		if d := distance(lower, q); d < bound {
			best, bound = q, d
		}
	}
	switch best {
	case "":
		return ""
	case "details":
		return "details.<key>:"
	}
	return best + ":"
}

// synonyms are names other products use for Stele's qualifiers.
var synonyms = map[string]string{
	"user": "actor", "email": "actor", "who": "actor", "by": "actor",
	"type": "actor_type", "actortype": "actor_type",
	"time": "timestamp", "date": "timestamp", "ts": "timestamp", "created": "timestamp", "when": "timestamp",
	"agent": "user_agent", "ua": "user_agent", "useragent": "user_agent",
	"ip_address": "ip", "address": "ip", "addr": "ip", "source": "ip", "cidr": "ip",
	"resource": "target", "object": "target",
	"cat":    "category",
	"detail": "details.<key>", "data": "details.<key>", "metadata": "details.<key>",
}

// distance returns the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := range ra {
		cur[0] = i + 1
		for j := range rb {
			cost := 1
			if ra[i] == rb[j] {
				cost = 0
			}
			cur[j+1] = min(prev[j+1]+1, cur[j]+1, prev[j]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

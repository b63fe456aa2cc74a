package query

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// An itemType is the kind of an item.
type itemType int

const (
	itemError     itemType = iota // a lexical error; text is the message
	itemEOF                       // the end of the input
	itemSpace                     // white space between terms
	itemNot                       // "-" at the start of a term
	itemQualifier                 // "name:" at the start of a term; text is the name as written
	itemComma                     // "," between values
	itemValue                     // a value; text is as written, parts decoded
)

// An item is a token of the language with its place in the input.
type item struct {
	typ   itemType
	pos   int      // byte offset of its first character
	text  string   // its input text; for itemError, the message
	parts []string // itemValue: the literal pieces between wildcards
}

// A lexer splits a search string into items, one per call of next, for the
// parser. The input must be valid UTF-8.
//
// What a character means depends on where in a term it is: "-" negates a
// term only at its start, a qualifier is recognized only at its start (after
// any "-"), and ":" may appear unquoted only in the values after a
// qualifier. The lexer tracks this itself, so that the parser sees tokens.
type lexer struct {
	input   string
	pos     int  // byte offset of the next character
	head    bool // at the start of a term, before any qualifier or value
	negated bool // the current term began with "-"
	text    bool // in the values of a free-text term
}

func newLexer(input string) *lexer {
	return &lexer{input: input, head: true}
}

func (l *lexer) errorf(pos int, format string, args ...any) item {
	l.pos = len(l.input) // no more items after an error
	return item{typ: itemError, pos: pos, text: fmt.Sprintf(format, args...)}
}

// next returns the next item of the input, and then itemEOF forever.
func (l *lexer) next() item {
	if l.pos >= len(l.input) {
		return item{typ: itemEOF, pos: len(l.input)}
	}
	start := l.pos
	r, w := utf8.DecodeRuneInString(l.input[l.pos:])
	switch {
	case unicode.IsSpace(r):
		l.pos += w
		for l.pos < len(l.input) {
			r, w := utf8.DecodeRuneInString(l.input[l.pos:])
			if !unicode.IsSpace(r) {
				break
			}
			l.pos += w
		}
		l.head, l.negated, l.text = true, false, false
		return item{typ: itemSpace, pos: start, text: l.input[start:l.pos]}
	case l.head && r == '-':
		if l.negated {
			return l.errorf(start, `unexpected "-": a term is negated by one "-"`)
		}
		l.pos += w
		l.negated = true
		return item{typ: itemNot, pos: start, text: "-"}
	case r == ',':
		l.head = false
		l.pos += w
		return item{typ: itemComma, pos: start, text: ","}
	case l.head:
		l.head = false
		if end, ok := l.qualifier(); ok {
			l.pos = end + 1
			return item{typ: itemQualifier, pos: start, text: l.input[start:end]}
		}
		l.text = true
	}
	return l.value()
}

// qualifier reports whether a qualifier starts at l.pos: a run of
// characters that cannot start a value's quoted or escaped part, ended by
// ":". It returns the offset of that colon.
func (l *lexer) qualifier() (int, bool) {
	for i, r := range l.input[l.pos:] {
		switch {
		case r == ':':
			return l.pos + i, true
		case unicode.IsSpace(r), unicode.IsControl(r), r == ',', r == '"', r == '\\':
			return 0, false
		}
	}
	return 0, false
}

// value scans a value: unquoted and quoted pieces up to white space, a
// comma or the end of the input. It starts on a character of the value.
func (l *lexer) value() item {
	start := l.pos
	var parts []string
	var b strings.Builder
	for l.pos < len(l.input) {
		r, w := utf8.DecodeRuneInString(l.input[l.pos:])
		switch {
		case unicode.IsSpace(r) || r == ',':
			return l.endValue(start, parts, &b)
		case r == ':' && l.text:
			return l.errorf(l.pos, `unexpected ":" in free text; quote text that holds a colon, as in "a:b"`)
		case r == '*':
			parts = append(parts, b.String())
			b.Reset()
			l.pos += w
		case r == '\\':
			if it, ok := l.escape(&b); !ok {
				return it
			}
		case r == '"':
			var ok bool
			var it item
			if parts, it, ok = l.quoted(parts, &b); !ok {
				return it
			}
		case unicode.IsControl(r):
			return l.errorf(l.pos, "unexpected control character %U", r)
		default:
			b.WriteRune(r)
			l.pos += w
		}
	}
	return l.endValue(start, parts, &b)
}

// quoted scans a quoted piece of a value, starting on its opening quote.
func (l *lexer) quoted(parts []string, b *strings.Builder) ([]string, item, bool) {
	open := l.pos
	l.pos++
	for l.pos < len(l.input) {
		r, w := utf8.DecodeRuneInString(l.input[l.pos:])
		switch {
		case r == '"':
			l.pos++
			return parts, item{}, true
		case r == '*':
			parts = append(parts, b.String())
			b.Reset()
			l.pos += w
		case r == '\\':
			if it, ok := l.escape(b); !ok {
				return nil, it, false
			}
		case unicode.IsControl(r):
			return nil, l.errorf(l.pos, "unexpected control character %U", r), false
		default:
			b.WriteRune(r)
			l.pos += w
		}
	}
	return nil, l.errorf(open, `unterminated quote: expected a closing "`), false
}

// escape scans an escape, starting on its backslash.
func (l *lexer) escape(b *strings.Builder) (item, bool) {
	if l.pos+1 >= len(l.input) {
		return l.errorf(l.pos, `unfinished escape; the escapes are \", \\ and \*`), false
	}
	switch c := l.input[l.pos+1]; c {
	case '"', '\\', '*':
		b.WriteByte(c)
		l.pos += 2
		return item{}, true
	}
	r, _ := utf8.DecodeRuneInString(l.input[l.pos+1:])
	if unicode.IsSpace(r) || !unicode.IsPrint(r) {
		return l.errorf(l.pos, `unknown escape: \ before %U; the escapes are \", \\ and \*`, r), false
	}
	return l.errorf(l.pos, `unknown escape \%c; the escapes are \", \\ and \*`, r), false
}

// endValue returns the value item that started at start, with its last
// part in b. Runs of wildcards become one: only the first and the last part
// may be empty.
func (l *lexer) endValue(start int, parts []string, b *strings.Builder) item {
	parts = append(parts, b.String())
	kept := append(make([]string, 0, len(parts)), parts[0])
	for i, p := range parts[1:] {
		if p != "" || i == len(parts)-2 {
			kept = append(kept, p)
		}
	}
	return item{typ: itemValue, pos: start, text: l.input[start:l.pos], parts: kept}
}

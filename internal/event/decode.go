package event

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects accepted, counting
// the outermost value as depth 1 (for an event, the event object).
const MaxDepth = 32

// maxExactInt is 2^53: every integer up to it in magnitude has an exact
// float64, and no larger one can be relied on to survive the trip through
// float64 and RFC 8785 canonicalization.
const maxExactInt = 1 << 53

// DecodeJSON decodes one JSON value (RFC 8259) into nil, bool, float64,
// string, []any or map[string]any, the values verify.AppendCanonical
// encodes. It is stricter than encoding/json: it refuses invalid UTF-8,
// escapes of unpaired UTF-16 surrogates, duplicate keys, nesting deeper
// than MaxDepth, numbers beyond float64, and numbers whose canonical form
// would be an integer beyond ±2^53 (see number). Errors are *Error. The
// strings of the value share one copy of data.
func DecodeJSON(data []byte) (any, error) {
	d := newDecoder(data, 0)
	d.ws()
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return v, nil
}

// A decoder reads JSON from data, one token at a time, with no lookahead
// beyond one byte. Its methods leave pos just after what they read.
type decoder struct {
	data []byte
	// text is data as a string, so that strings without escapes (nearly
	// all) cost no allocation: they are pieces of it. Records copy what
	// they keep (see own), so they do not pin a whole batch.
	text      string
	pos       int
	depth     int    // arrays and objects open at pos
	maxString int    // longest decoded string or key in bytes; 0: no limit
	buf       []byte // scratch for strings with escapes
}

func newDecoder(data []byte, maxString int) *decoder {
	return &decoder{data: data, text: string(data), maxString: maxString}
}

// errAt returns an Error whose reason names the offset it is about.
func (d *decoder) errAt(code string, pos int, format string, args ...any) *Error {
	return fieldError(code, fmt.Sprintf(format, args...)+" at offset "+strconv.Itoa(pos))
}

// unexpected reports the byte at pos, which does not fit what was wanted.
func (d *decoder) unexpected(want string) *Error {
	if d.pos >= len(d.data) {
		return d.errAt(CodeInvalidJSON, d.pos, "unexpected end of input, want %s", want)
	}
	c := d.data[d.pos]
	if c < utf8.RuneSelf {
		return d.errAt(CodeInvalidJSON, d.pos, "unexpected %q, want %s", c, want)
	}
	r, n := utf8.DecodeRune(d.data[d.pos:])
	if r == utf8.RuneError && n <= 1 {
		return d.errAt(CodeInvalidUTF8, d.pos, "invalid UTF-8")
	}
	return d.errAt(CodeInvalidJSON, d.pos, "unexpected %U, want %s", r, want)
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) peekIs(c byte) bool {
	return d.pos < len(d.data) && d.data[d.pos] == c
}

// end checks that nothing but white space follows the value.
func (d *decoder) end() error {
	d.ws()
	if d.pos < len(d.data) {
		return d.unexpected("nothing after the JSON value")
	}
	return nil
}

func (d *decoder) value() (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.unexpected("a value")
	}
	switch c := d.data[d.pos]; c {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		return d.str()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return d.number()
		}
		return nil, d.unexpected("a value")
	}
}

func (d *decoder) literal(lit string) error {
	for i := 0; i < len(lit); i++ {
		if !d.peekIs(lit[i]) {
			return d.unexpected(strconv.Quote(lit))
		}
		d.pos++
	}
	return nil
}

// enter consumes the '{' or '[' at pos.
func (d *decoder) enter() error {
	d.depth++
	if d.depth > MaxDepth {
		return d.errAt(CodeTooLarge, d.pos, "nesting deeper than %d", MaxDepth)
	}
	d.pos++
	return nil
}

// members reads the object at pos, calling fn for each member with its key
// and the key's offset; fn must read the member's value. Duplicate keys
// are fn's to catch. An error from fn gets the key prefixed to its Field.
func (d *decoder) members(fn func(key string, at int) error) error {
	if err := d.enter(); err != nil {
		return err
	}
	d.ws()
	if d.peekIs('}') {
		d.pos++
		d.depth--
		return nil
	}
	for {
		if !d.peekIs('"') {
			return d.unexpected("an object key")
		}
		at := d.pos
		key, err := d.str()
		if err != nil {
			return err
		}
		d.ws()
		if !d.peekIs(':') {
			return withKey(d.unexpected("':' after an object key"), key)
		}
		d.pos++
		d.ws()
		if err := fn(key, at); err != nil {
			return withKey(err, key)
		}
		d.ws()
		switch {
		case d.peekIs(','):
			d.pos++
			d.ws()
		case d.peekIs('}'):
			d.pos++
			d.depth--
			return nil
		default:
			return d.unexpected("',' or '}' after an object member")
		}
	}
}

// elements reads the array at pos, calling fn to read each element. An
// error from fn gets the index prefixed to its Field.
func (d *decoder) elements(fn func(i int) error) error {
	if err := d.enter(); err != nil {
		return err
	}
	d.ws()
	if d.peekIs(']') {
		d.pos++
		d.depth--
		return nil
	}
	for i := 0; ; i++ {
		if err := fn(i); err != nil {
			return withIndex(err, i)
		}
		d.ws()
		switch {
		case d.peekIs(','):
			d.pos++
			d.ws()
		case d.peekIs(']'):
			d.pos++
			d.depth--
			return nil
		default:
			return d.unexpected("',' or ']' after an array element")
		}
	}
}

func (d *decoder) object() (map[string]any, error) {
	m := make(map[string]any)
	err := d.members(func(key string, at int) error {
		v, err := d.value()
		if err != nil {
			return err
		}
		// One map operation, not a lookup and an insert: a key already
		// there leaves the size unchanged.
		n := len(m)
		if m[key] = v; len(m) == n {
			return d.errAt(CodeDuplicateKey, at, "duplicate key")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (d *decoder) array() ([]any, error) {
	a := []any{} // not nil: encoding/json and JCS both see [] as an array
	err := d.elements(func(int) error {
		v, err := d.value()
		a = append(a, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// str reads a string. Unless it had escapes, it is a piece of d.text:
// clone it to keep it.
func (d *decoder) str() (string, error) {
	b, escaped, err := d.stringBytes()
	if err != nil || escaped {
		return string(b), err
	}
	end := d.pos - 1 // the closing quote
	return d.text[end-len(b) : end], nil
}

// plain marks the bytes that a string holds as they are: printable ASCII
// but '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// stringBytes reads the string at pos and returns its decoded bytes: a
// piece of data when it has no escapes, else d.buf (escaped is true).
func (d *decoder) stringBytes() (b []byte, escaped bool, err error) {
	start := d.pos + 1
	p := start
	for {
		for p < len(d.data) && plain[d.data[p]] {
			p++
		}
		if p >= len(d.data) {
			d.pos = p
			return nil, false, d.unexpected("'\"' to end the string")
		}
		c := d.data[p]
		switch {
		case c == '"':
			d.pos = p + 1
			return d.checkLength(d.data[start:p], false, start)
		case c == '\\':
			return d.escapedString(start, p)
		case c < 0x20:
			return nil, false, d.errAt(CodeInvalidJSON, p, "control character %U in a string; escape it", c)
		default:
			r, n := utf8.DecodeRune(d.data[p:])
			if r == utf8.RuneError && n == 1 {
				return nil, false, d.errAt(CodeInvalidUTF8, p, "invalid UTF-8 in a string")
			}
			p += n
		}
	}
}

// escapedString decodes the string that starts at start and has its first
// escape at p into d.buf.
func (d *decoder) escapedString(start, p int) ([]byte, bool, error) {
	buf := append(d.buf[:0], d.data[start:p]...)
	defer func() { d.buf = buf }()
	for {
		if p >= len(d.data) {
			d.pos = p
			return nil, true, d.unexpected("'\"' to end the string")
		}
		c := d.data[p]
		switch {
		case c == '"':
			d.pos = p + 1
			return d.checkLength(buf, true, start)
		case c == '\\':
			if p+1 >= len(d.data) {
				d.pos = p + 1
				return nil, true, d.unexpected("an escape")
			}
			esc := d.data[p+1]
			switch esc {
			case '"', '\\', '/':
				buf = append(buf, esc)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, n, err := d.unicodeEscape(p)
				if err != nil {
					return nil, true, err
				}
				buf = utf8.AppendRune(buf, r)
				p += n
				continue
			default:
				return nil, true, d.errAt(CodeInvalidJSON, p, "invalid escape %q", d.data[p:p+2])
			}
			p += 2
		case c < 0x20:
			return nil, true, d.errAt(CodeInvalidJSON, p, "control character %U in a string; escape it", c)
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p++
		default:
			r, n := utf8.DecodeRune(d.data[p:])
			if r == utf8.RuneError && n == 1 {
				return nil, true, d.errAt(CodeInvalidUTF8, p, "invalid UTF-8 in a string")
			}
			buf = append(buf, d.data[p:p+n]...)
			p += n
		}
	}
}

// unicodeEscape decodes the \uXXXX escape at p, and the low surrogate
// escape that must follow a high one. It returns the rune and the number
// of bytes read.
func (d *decoder) unicodeEscape(p int) (rune, int, error) {
	r, ok := hex4(d.data, p+2)
	if !ok {
		return 0, 0, d.errAt(CodeInvalidJSON, p, "invalid \\u escape, want 4 hexadecimal digits")
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, nil
	}
	if r >= 0xDC00 {
		return 0, 0, d.errAt(CodeInvalidUTF8, p, "unpaired low surrogate \\u%04x", r)
	}
	if p+7 < len(d.data) && d.data[p+6] == '\\' && d.data[p+7] == 'u' {
		if r2, ok := hex4(d.data, p+8); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
			return utf16.DecodeRune(r, r2), 12, nil
		}
	}
	return 0, 0, d.errAt(CodeInvalidUTF8, p, "unpaired high surrogate \\u%04x", r)
}

func hex4(b []byte, p int) (rune, bool) {
	if p+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[p : p+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (d *decoder) checkLength(b []byte, escaped bool, start int) ([]byte, bool, error) {
	if d.maxString > 0 && len(b) > d.maxString {
		return nil, escaped, d.errAt(CodeTooLarge, start-1, "string of %d bytes, the limit is %d", len(b), d.maxString)
	}
	return b, escaped, nil
}

// number reads a number. Besides RFC 8259's grammar, it refuses numbers
// beyond float64's range, integers beyond ±2^53 (a float64 cannot hold them
// all, so 9007199254740993 would quietly become ...992), and numbers that
// RFC 8785 writes as such an integer: those in (2^53, 10^21), which JCS
// writes without exponent (1e20 → 100000000000000000000), so that every
// accepted value's canonical form is accepted again unchanged.
func (d *decoder) number() (float64, error) {
	data, start, p := d.data, d.pos, d.pos
	digits := func() int {
		n := p
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
		return p - n
	}
	neg := data[p] == '-'
	if neg {
		p++
	}
	intStart := p
	if n := digits(); n == 0 {
		d.pos = p
		return 0, d.unexpected("a digit")
	} else if n > 1 && data[intStart] == '0' {
		return 0, d.errAt(CodeInvalidJSON, intStart, "number with a leading zero")
	}
	intEnd := p
	isInt := true
	if p < len(data) && data[p] == '.' {
		isInt = false
		p++
		if digits() == 0 {
			d.pos = p
			return 0, d.unexpected("a digit after '.'")
		}
	}
	if p < len(data) && (data[p] == 'e' || data[p] == 'E') {
		isInt = false
		p++
		if p < len(data) && (data[p] == '+' || data[p] == '-') {
			p++
		}
		if digits() == 0 {
			d.pos = p
			return 0, d.unexpected("a digit in the exponent")
		}
	}
	d.pos = p
	lit := data[start:p]
	if isInt {
		// 18 digits fit a uint64; more are beyond 2^53 anyway.
		var n uint64
		if intEnd-intStart <= 18 {
			for _, c := range data[intStart:intEnd] {
				n = n*10 + uint64(c-'0')
			}
		}
		if intEnd-intStart > 18 || n > maxExactInt {
			return 0, d.errAt(CodeInvalidField, start, "integer %s is beyond ±2^53 and would lose precision", quote(string(lit)))
		}
		f := float64(n)
		if neg {
			f = -f
		}
		return f, nil
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil { // the syntax is checked, so only range errors are left
		return 0, d.errAt(CodeInvalidField, start, "number %s is beyond the range of a float64", quote(string(lit)))
	}
	if a := math.Abs(f); a > maxExactInt && a < 1e21 {
		return 0, d.errAt(CodeInvalidField, start, "number %s is an integer beyond ±2^53 and would lose precision", quote(string(lit)))
	}
	return f, nil
}

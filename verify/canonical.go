package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Canonicalize returns the RFC 8785 canonical form of the JSON text raw,
// which must be I-JSON: valid UTF-8 and no duplicate member names.
func Canonicalize(raw []byte) ([]byte, error) {
	if !utf8.Valid(raw) {
		return nil, errInvalidUTF8
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	v, err := decodeStrict(d)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("verify: trailing data after JSON value")
	}
	return AppendCanonical(nil, v)
}

// decodeStrict reads one JSON value, refusing duplicate member names.
func decodeStrict(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		m := map[string]any{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			key := k.(string)
			if _, dup := m[key]; dup {
				return nil, fmt.Errorf("duplicate member %q", key)
			}
			if m[key], err = decodeStrict(d); err != nil {
				return nil, err
			}
		}
		_, err := d.Token()
		return m, err
	case json.Delim('['):
		a := []any{}
		for d.More() {
			v, err := decodeStrict(d)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := d.Token()
		return a, err
	}
	return t, nil
}

// IsCanonical reports whether b is a JSON object in RFC 8785 canonical
// form, byte for byte: what Stele stores as an event's details.
func IsCanonical(b []byte) bool {
	_, err := canonicalMembers(nil, b)
	return err == nil
}

// A member is one member of a canonical JSON object: its name (unescaped),
// and its value's canonical bytes.
type member struct {
	name  []byte
	value []byte
}

// canonicalMembers appends to ms the members of the canonical JSON object
// b, in order. It checks b is exactly RFC 8785 output, byte for byte, so a
// leaf can take b's pieces as they are; anything else is an error.
func canonicalMembers(ms []member, b []byte) ([]member, error) {
	s := canonScanner{b: b}
	if len(b) == 0 || b[0] != '{' {
		return nil, errNotCanonical
	}
	if !s.object(func(name, value []byte) { ms = append(ms, member{name, value}) }) || s.i != len(b) {
		return nil, errNotCanonical
	}
	return ms, nil
}

var errNotCanonical = errors.New("verify: not an RFC 8785 canonical JSON object")

// maxCanonDepth bounds nesting, as the ingest decoder does.
const maxCanonDepth = 64

// A canonScanner checks that JSON text is in RFC 8785 canonical form.
type canonScanner struct {
	b     []byte
	i     int
	depth int
}

func (s *canonScanner) value() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(nil)
	case c == '[':
		return s.array()
	case c == '"':
		_, ok := s.str()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.number()
}

// object scans an object whose names strictly increase in UTF-16 order,
// calling each (when not nil) with each member.
func (s *canonScanner) object(each func(name, value []byte)) bool {
	if s.depth++; s.depth > maxCanonDepth {
		return false
	}
	defer func() { s.depth-- }()
	s.i++ // '{'
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	var prev []byte
	for n := 0; ; n++ {
		name, ok := s.str()
		if !ok || n > 0 && compareUTF16(string(prev), string(name)) >= 0 || s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		start := s.i
		if !s.value() {
			return false
		}
		if each != nil {
			each(name, s.b[start:s.i])
		}
		prev = name
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *canonScanner) array() bool {
	if s.depth++; s.depth > maxCanonDepth {
		return false
	}
	defer func() { s.depth-- }()
	s.i++ // '['
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if !s.value() || s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// str scans a string escaped exactly as appendString escapes, and returns
// its value: a slice of s.b unless it has escapes.
func (s *canonScanner) str() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	s.i++
	start, escaped := s.i, false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if !escaped {
				return raw, true
			}
			var v string
			if err := json.Unmarshal(s.b[start-1:s.i], &v); err != nil {
				return nil, false
			}
			return []byte(v), true
		case c < 0x20:
			return nil, false
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return nil, false
			}
			escaped = true
			switch s.b[s.i+1] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				// Only control characters without a short form.
				if s.i+6 > len(s.b) || string(s.b[s.i+2:s.i+4]) != "00" {
					return nil, false
				}
				h := s.b[s.i+4 : s.i+6]
				if !isLowerHex(h[0]) || !isLowerHex(h[1]) || h[0] > '1' {
					return nil, false
				}
				switch v, _ := strconv.ParseUint(string(h), 16, 8); v {
				case '\b', '\f', '\n', '\r', '\t':
					return nil, false
				}
				s.i += 6
			default:
				return nil, false
			}
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n == 1 {
				return nil, false
			}
			s.i += n
		}
	}
	return nil, false
}

func isLowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func (s *canonScanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// number scans a number and checks it is written as appendNumber writes it.
func (s *canonScanner) number() bool {
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e') {
			break
		}
		s.i++
	}
	tok := s.b[start:s.i]
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil || len(tok) == 0 {
		return false
	}
	var buf [32]byte
	canon, err := appendNumber(buf[:0], f)
	return err == nil && bytes.Equal(canon, tok)
}

package verify_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"testing"
	"unicode/utf16"

	"github.com/steleaudit/stele/verify"
)

// canonical returns the RFC 8785 encoding of v, failing t on error.
func canonical(t testing.TB, v any) string {
	t.Helper()
	b, err := verify.AppendCanonical(nil, v)
	if err != nil {
		t.Fatalf("AppendCanonical(%#v): %v", v, err)
	}
	return string(b)
}

// TestCanonicalNumbers pins numbers to ECMAScript's Number::toString, which
// RFC 8785 section 3.2.2.3 adopts. The bit patterns are RFC 8785 appendix B;
// every expected string was also checked with node's String(x).
func TestCanonicalNumbers(t *testing.T) {
	tenth := 0.1
	for _, tt := range []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"}, // -0
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	} {
		f := math.Float64frombits(tt.bits)
		if got := canonical(t, f); got != tt.want {
			t.Errorf("AppendCanonical(%#016x = %v) = %s, want %s", tt.bits, f, got, tt.want)
		}
	}

	for _, tt := range []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{1, "1"},
		{-1, "-1"},
		{0.5, "0.5"},
		{100, "100"},
		{4.35, "4.35"},
		{12345678.9, "12345678.9"},
		{tenth + 0.2, "0.30000000000000004"}, // float64 arithmetic, not Go constant arithmetic
		{333333333.3333333, "333333333.3333333"},
		{1e20, "100000000000000000000"},
		{123456789012345680000, "123456789012345680000"}, // 21 digits: still plain
		{1e21, "1e+21"}, // 22 digits: exponent form
		{1e22, "1e+22"},
		{-1e21, "-1e+21"},
		{1.5e300, "1.5e+300"},
		{1e100, "1e+100"},
		{1 << 53, "9007199254740992"},
		{1<<53 + 2, "9007199254740994"},
		{1e-5, "0.00001"},
		{1e-6, "0.000001"}, // smallest plain magnitude
		{1.2e-6, "0.0000012"},
		{0.000001234, "0.000001234"},
		{1e-7, "1e-7"}, // exponent form below 1e-6
		{-1e-7, "-1e-7"},
		{2.5e-8, "2.5e-8"},
		{5e-324, "5e-324"},
		{1.7976931348623157e308, "1.7976931348623157e+308"},
	} {
		if got := canonical(t, tt.f); got != tt.want {
			t.Errorf("AppendCanonical(%v) = %s, want %s", tt.f, got, tt.want)
		}
	}

	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if b, err := verify.AppendCanonical(nil, f); err == nil {
			t.Errorf("AppendCanonical(%v) = %s, want error", f, b)
		}
	}
}

func TestCanonicalStrings(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want string
	}{
		{"", `""`},
		{"plain ascii", `"plain ascii"`},
		{`"`, `"\""`},
		{`\`, `"\\"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"/", `"/"`}, // solidus is not escaped
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00", `"\u0000"`},
		{"\x01\x07\x0b\x0e\x1a\x1f", `"\u0001\u0007\u000b\u000e\u001a\u001f"`}, // lowercase hex
		{"\x7f", "\"\x7f\""},                     // DEL is raw
		{"<>&", `"<>&"`},                         // no HTML escaping
		{"\u2028\u2029", "\"\u2028\u2029\""},     // raw, unlike encoding/json
		{"€ öäü 😀 \ufffd", "\"€ öäü 😀 \ufffd\""}, // non-ASCII is raw UTF-8
		{"\u0080", "\"\u0080\""},
		{"tab\there", `"tab\there"`},
	} {
		if got := canonical(t, tt.s); got != tt.want {
			t.Errorf("AppendCanonical(%q) = %s, want %s", tt.s, got, tt.want)
		}
	}

	// RFC 8785 appendix B's string example: € $ U+000F U+000A A ' B " \ " /
	if got, want := canonical(t, "€$\u000f\nA'B\"\\\\\"/"), `"€$\u000f\nA'B\"\\\\\"/"`; got != want {
		t.Errorf("RFC 8785 string example = %s, want %s", got, want)
	}

	for _, s := range []string{"\xff", "a\xc3", "\xed\xa0\x80" /* encoded surrogate */, "\xc0\xaf" /* overlong */} {
		if b, err := verify.AppendCanonical(nil, s); err == nil {
			t.Errorf("AppendCanonical(%q) = %s, want error", s, b)
		}
		if b, err := verify.AppendCanonical(nil, map[string]any{s: 1.0}); err == nil {
			t.Errorf("AppendCanonical(key %q) = %s, want error", s, b)
		}
		if b, err := verify.AppendCanonical(nil, []any{"ok", map[string]any{"k": s}}); err == nil {
			t.Errorf("AppendCanonical(nested %q) = %s, want error", s, b)
		}
	}
}

func TestCanonicalKeyOrder(t *testing.T) {
	for _, tt := range []struct {
		name string
		keys []string // in the order RFC 8785 requires
	}{
		{"ascii", []string{"", "A", "B", "a", "aa", "ab", "b"}},
		{"prefix first", []string{"a", "a\x00", "ab"}},
		// RFC 8785 section 3.2.3's example.
		{"rfc 8785", []string{"\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"}},
		// UTF-8 byte order would put U+FFFD (ef bf bd) before U+1F600
		// (f0 9f 98 80); UTF-16 puts the surrogate pair d83d de00 first.
		{"astral before U+FFFD", []string{"\U0001f600", "\ufffd"}},
		{"astral before U+E000", []string{"x\U00010000", "x\ue000", "x\uffff"}},
		{"astral among astral", []string{"\U00010000", "\U0001f600", "\U0010ffff"}},
		{"bmp below surrogates", []string{"\u00ff", "\ud7ff", "\U00010000", "\ue000"}},
	} {
		m := map[string]any{}
		want := "{"
		for i, k := range tt.keys {
			m[k] = float64(i)
			if i > 0 {
				want += ","
			}
			want += canonical(t, k) + ":" + canonical(t, float64(i))
		}
		want += "}"
		if got := canonical(t, m); got != want {
			t.Errorf("%s: AppendCanonical(%q) = %s, want %s", tt.name, tt.keys, got, want)
		}
	}
}

func TestCanonicalValues(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{true, "true"},
		{false, "false"},
		{[]any{}, "[]"},
		{map[string]any{}, "{}"},
		{[]any{nil, true, 1.0, "x", []any{}, map[string]any{}}, `[null,true,1,"x",[],{}]`},
		{
			map[string]any{"b": []any{map[string]any{"z": 1.0, "y": []any{2.0, "\n"}}}, "a": map[string]any{"d": nil, "c": false}},
			`{"a":{"c":false,"d":null},"b":[{"y":[2,"\n"],"z":1}]}`,
		},
		// RFC 8785 section 3.2.2's example.
		{
			map[string]any{
				"numbers":  []any{333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001},
				"string":   "\u20ac$\u000f\nA'B\"\\\\\"/",
				"literals": []any{nil, true, false},
			},
			`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
	} {
		if got := canonical(t, tt.v); got != tt.want {
			t.Errorf("AppendCanonical(%#v) = %s, want %s", tt.v, got, tt.want)
		}
	}

	// AppendCanonical appends.
	if got, err := verify.AppendCanonical([]byte("prefix:"), []any{1.0}); err != nil || string(got) != "prefix:[1]" {
		t.Errorf(`AppendCanonical("prefix:", [1]) = %q, %v, want "prefix:[1]"`, got, err)
	}

	// Only what a JSON decoder produces is accepted: no Go-specific types
	// whose encoding the spec does not fix.
	for _, v := range []any{1, int64(1), float32(1), json.Number("1"), map[string]string{}, []string{}, struct{}{}, []byte("x"), map[string]any{"a": []any{uint8(1)}}} {
		if b, err := verify.AppendCanonical(nil, v); err == nil {
			t.Errorf("AppendCanonical(%#v) = %s, want error", v, b)
		}
	}
}

// FuzzCanonical checks that for any JSON value encoding/json reads, the
// canonical form is valid JSON of the same value, a fixed point of
// canonicalization, and orders object members by UTF-16 code units.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		`null`, `true`, `0`, `-0`, `1e21`, `1e-7`, `0.1`, `5e-324`, `1.7976931348623157e308`,
		`"\u0000\b\f\n\r\t\"\\/\u007f\u2028\ud83d\ude00"`, `"\ud800"`,
		`{"b":1,"a":[1,2,{"c":null}],"":{}}`,
		`{"\ufb33":1,"\ud83d\ude00":2,"\u20ac":3,"\r":4,"1":5,"\u0080":6,"\u00f6":7}`,
		`{"a":1,"a":2}`, `[[[[[]]]]]`, `[1e300,-1e-300,123456789012345678901234567890]`,
		`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var v any
		if err := json.Unmarshal(in, &v); err != nil {
			return
		}
		out, err := verify.AppendCanonical(nil, v)
		if err != nil {
			t.Fatalf("AppendCanonical(%s): %v", in, err)
		}
		if !json.Valid(out) {
			t.Fatalf("AppendCanonical(%s) = %s, not valid JSON", in, out)
		}
		var w any
		if err := json.Unmarshal(out, &w); err != nil {
			t.Fatalf("decoding %s: %v", out, err)
		}
		if !reflect.DeepEqual(v, w) {
			t.Fatalf("AppendCanonical(%s) = %s, decodes to %#v, want %#v", in, out, w, v)
		}
		again, err := verify.AppendCanonical(nil, w)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("canonicalizing %s again = %s, %v", out, again, err)
		}
		if !compact(out) {
			t.Fatalf("AppendCanonical(%s) = %s, has whitespace between tokens or raw control characters", in, out)
		}
		if err := checkKeyOrder(out); err != nil {
			t.Fatal(err)
		}
	})
}

// compact reports whether b has no whitespace outside strings and no raw
// tab, carriage return or newline inside them.
func compact(b []byte) bool {
	in, esc := false, false
	for _, c := range b {
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			in = !in
		case c == '\t' || c == '\r' || c == '\n' || !in && c == ' ':
			return false
		}
	}
	return true
}

// checkKeyOrder walks JSON and checks that every object's member names are
// strictly increasing in UTF-16 code unit order, compared here the plain
// way: encode each whole name to UTF-16 and compare the slices.
func checkKeyOrder(b []byte) error {
	type frame struct {
		object  bool
		keyNext bool     // the next token is a member name
		last    []uint16 // the previous member name; nil before the first
	}
	var stack []*frame
	d := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %v", b, err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch {
		case tok == json.Delim('}') || tok == json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				stack[len(stack)-1].keyNext = stack[len(stack)-1].object
			}
		case top != nil && top.keyNext:
			k := utf16.Encode([]rune(tok.(string)))
			if top.last != nil && slices.Compare(top.last, k) >= 0 {
				return fmt.Errorf("in %s: member %q is not after the one before it", b, tok)
			}
			top.last, top.keyNext = k, false
		case tok == json.Delim('{') || tok == json.Delim('['):
			stack = append(stack, &frame{object: tok == json.Delim('{'), keyNext: tok == json.Delim('{')})
		case top != nil:
			top.keyNext = top.object
		}
	}
}

// TestCheckKeyOrder makes sure the fuzz oracle notices disorder.
func TestCheckKeyOrder(t *testing.T) {
	for _, tt := range []struct {
		json string
		ok   bool
	}{
		{`{}`, true},
		{`{"a":{"b":1,"c":[{"x":1,"y":2}]},"b":2}`, true},
		{`[{"a":1},{"a":1}]`, true},
		{`{"":1,"a":2}`, true},
		{`{"\ud83d\ude00":1,"\ufffd":2}`, true},
		{`{"\ufffd":1,"\ud83d\ude00":2}`, false},
		{`{"b":1,"a":2}`, false},
		{`{"a":1,"a":2}`, false},
		{`{"a":{"y":1,"x":2}}`, false},
		{`{"a":[1,{"b":[]}],"c":{},"b":1}`, false},
		{`[{"a":[{"b":1}]},{"b":1,"a":2}]`, false},
	} {
		if err := checkKeyOrder([]byte(tt.json)); (err == nil) != tt.ok {
			t.Errorf("checkKeyOrder(%s) = %v, want ok %v", tt.json, err, tt.ok)
		}
	}
}

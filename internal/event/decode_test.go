package event

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func nest(open, close string, n int) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

func TestDecodeJSON(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want any
	}{
		{`null`, nil},
		{`true`, true},
		{` false `, false},
		{`0`, 0.0},
		{`-0`, math.Copysign(0, -1)},
		{`1.5e3`, 1500.0},
		{`1E+2`, 100.0},
		{`0.1`, 0.1},
		{`-12.5e-1`, -1.25},
		{`9007199254740992`, 9007199254740992.0},
		{`-9007199254740992`, -9007199254740992.0},
		{`9007199254740992.0`, 9007199254740992.0},
		{`1e21`, 1e21},
		{`-1.5e300`, -1.5e300},
		{`1.7976931348623157e308`, math.MaxFloat64},
		{`5e-324`, 5e-324},
		{`1e-400`, 0.0}, // underflow rounds to zero, as in encoding/json
		{`""`, ""},
		{`"a\"\\\/\b\f\n\r\tz"`, "a\"\\/\b\f\n\r\tz"},
		{`"\u00e9\u00E9é"`, "ééé"},
		{`"\ud83d\ude00😀"`, "😀😀"},
		{`"\u0000"`, "\x00"},
		{`"\uffff"`, "\uffff"},
		{"\"\x7f\"", "\x7f"},
		{`[]`, []any{}},
		{`{}`, map[string]any{}},
		{"\t\r\n [ 1 , \"x\" , null , true , { \"b\" : { } } ] \n", []any{1.0, "x", nil, true, map[string]any{"b": map[string]any{}}}},
		{`{"a":1,"A":2,"\u0062":3}`, map[string]any{"a": 1.0, "A": 2.0, "b": 3.0}},
		{`{"":""}`, map[string]any{"": ""}},
		{`[[[]]]`, []any{[]any{[]any{}}}},
	} {
		got, err := DecodeJSON([]byte(tt.in))
		if err != nil {
			t.Errorf("DecodeJSON(%q) error = %v, want nil", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DecodeJSON(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
		if f, ok := tt.want.(float64); ok && math.Signbit(f) != math.Signbit(got.(float64)) {
			t.Errorf("DecodeJSON(%q) = %v, want sign of %v", tt.in, got, f)
		}
	}
}

func TestDecodeDepth(t *testing.T) {
	for _, in := range []string{
		nest("[", "]", MaxDepth),
		strings.Repeat(`{"a":`, MaxDepth) + "1" + strings.Repeat("}", MaxDepth),
		nest("[", "]", MaxDepth-1) + ` ` + nest("[", "]", MaxDepth-1), // trailing data, not depth
	} {
		_, err := DecodeJSON([]byte(in))
		if e, ok := err.(*Error); err != nil && (!ok || e.Code == CodeTooLarge) {
			t.Errorf("DecodeJSON(%.40s...) error = %v, want no depth error", in, err)
		}
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	for _, tt := range []struct {
		in          string
		code, field string
	}{
		// RFC 8259 syntax.
		{``, CodeInvalidJSON, ""},
		{`  `, CodeInvalidJSON, ""},
		{`{"a":1,}`, CodeInvalidJSON, ""},
		{`[1,]`, CodeInvalidJSON, "[1]"},
		{`[1 2]`, CodeInvalidJSON, ""},
		{`{"a":1 "b":2}`, CodeInvalidJSON, ""},
		{`{"a" 1}`, CodeInvalidJSON, "a"},
		{`{a:1}`, CodeInvalidJSON, ""},
		{`{1:1}`, CodeInvalidJSON, ""},
		{`'a'`, CodeInvalidJSON, ""},
		{`{"a":1}x`, CodeInvalidJSON, ""},
		{`{"a":1}{}`, CodeInvalidJSON, ""},
		{`1 2`, CodeInvalidJSON, ""},
		{`[`, CodeInvalidJSON, "[0]"},
		{`{"a":[1,{"b":}]}`, CodeInvalidJSON, "a[1].b"},
		{`01`, CodeInvalidJSON, ""},
		{`-01`, CodeInvalidJSON, ""},
		{`00`, CodeInvalidJSON, ""},
		{`[-00.5]`, CodeInvalidJSON, "[0]"},
		{`1.`, CodeInvalidJSON, ""},
		{`.5`, CodeInvalidJSON, ""},
		{`+1`, CodeInvalidJSON, ""},
		{`1e`, CodeInvalidJSON, ""},
		{`1e+`, CodeInvalidJSON, ""},
		{`-`, CodeInvalidJSON, ""},
		{`0x10`, CodeInvalidJSON, ""},
		{`NaN`, CodeInvalidJSON, ""},
		{`Infinity`, CodeInvalidJSON, ""},
		{`-Infinity`, CodeInvalidJSON, ""},
		{`tru`, CodeInvalidJSON, ""},
		{`nul`, CodeInvalidJSON, ""},
		{`True`, CodeInvalidJSON, ""},
		{`"abc`, CodeInvalidJSON, ""},
		{`"a\qb"`, CodeInvalidJSON, ""},
		{`"a\`, CodeInvalidJSON, ""},
		{`"\u12"`, CodeInvalidJSON, ""},
		{`"\u12g4"`, CodeInvalidJSON, ""},
		{`"\U0041"`, CodeInvalidJSON, ""},
		{"\"a\tb\"", CodeInvalidJSON, ""},
		{"\"a\nb\"", CodeInvalidJSON, ""},
		{"\"a\x1fb\"", CodeInvalidJSON, ""},
		{"\"\\n\x00\"", CodeInvalidJSON, ""},
		{"\xef\xbb\xbf{}", CodeInvalidJSON, ""}, // a byte order mark
		{"{}\x00", CodeInvalidJSON, ""},
		{"\u00a0[]", CodeInvalidJSON, ""}, // no-break space is not JSON white space
		// UTF-8, raw and escaped.
		{"\"\xff\"", CodeInvalidUTF8, ""},
		{"\"abc\xc3\"", CodeInvalidUTF8, ""},
		{"\"\xed\xa0\x80\"", CodeInvalidUTF8, ""}, // a surrogate in UTF-8
		{"\"\xc0\xaf\"", CodeInvalidUTF8, ""},     // overlong
		{"\"\xf4\x90\x80\x80\"", CodeInvalidUTF8, ""},
		{"\"\\n\xff\"", CodeInvalidUTF8, ""}, // after an escape
		{"{\"\xff\":1}", CodeInvalidUTF8, ""},
		{"\xff", CodeInvalidUTF8, ""},
		{"[1,\xff]", CodeInvalidUTF8, "[1]"},
		{"{\"a\":\"\xe2\x82\"}", CodeInvalidUTF8, "a"},
		{`"\ud800"`, CodeInvalidUTF8, ""},
		{`"\udc00"`, CodeInvalidUTF8, ""},
		{`"\ud800\u0041"`, CodeInvalidUTF8, ""},
		{`"\ud800x"`, CodeInvalidUTF8, ""},
		{`"\ud800\ud800"`, CodeInvalidUTF8, ""},
		{`"\udc00\ud800"`, CodeInvalidUTF8, ""},
		{`"\udc00\udc00"`, CodeInvalidUTF8, ""},
		{`"\udfff\udc00"`, CodeInvalidUTF8, ""},
		{`"\uDBFF\n"`, CodeInvalidUTF8, ""},
		{`{"k":["\udfff"]}`, CodeInvalidUTF8, "k[0]"},
		// Duplicate keys, at any depth, after unescaping.
		{`{"a":1,"a":2}`, CodeDuplicateKey, "a"},
		{`{"a":1,"b":2,"a":1}`, CodeDuplicateKey, "a"},
		{`{"a":{"b":1,"b":2}}`, CodeDuplicateKey, "a.b"},
		{`[{"x":1},{"x":1,"x":1}]`, CodeDuplicateKey, "[1].x"},
		{`{"a":1,"\u0061":2}`, CodeDuplicateKey, "a"},
		{`{"é":1,"\u00e9":2}`, CodeDuplicateKey, `["\u00e9"]`},
		{`{"a.b":{"c":1,"c":1}}`, CodeDuplicateKey, `["a.b"].c`},
		{`{"":1,"":2}`, CodeDuplicateKey, `[""]`},
		// Nesting.
		{nest("[", "]", MaxDepth+1), CodeTooLarge, strings.Repeat("[0]", MaxDepth)},
		{strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1), CodeTooLarge, strings.TrimSuffix(strings.Repeat("a.", MaxDepth), ".")},
		// Numbers that would not survive float64 and canonicalization.
		{`9007199254740993`, CodeInvalidField, ""},
		{`-9007199254740993`, CodeInvalidField, ""},
		{`12345678901234567890`, CodeInvalidField, ""},
		{`100000000000000000000000000000`, CodeInvalidField, ""},
		{`1e20`, CodeInvalidField, ""},
		{`-9.007199254740994e15`, CodeInvalidField, ""},
		{`9007199254740993.5`, CodeInvalidField, ""},
		{`1e400`, CodeInvalidField, ""},
		{`-1e400`, CodeInvalidField, ""},
		{`{"n":[1e309]}`, CodeInvalidField, "n[0]"},
	} {
		_, err := DecodeJSON([]byte(tt.in))
		e, ok := err.(*Error)
		if !ok || e.Code != tt.code || e.Field != tt.field {
			t.Errorf("DecodeJSON(%q) error = %#v, want code %s field %q", tt.in, err, tt.code, tt.field)
		}
	}
}

func TestDecodeErrorOffset(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{`{"a":1,"a":2}`, "a: duplicate key at offset 7"},
		{"[1, 2, \"\xff\"]", "[2]: invalid UTF-8 in a string at offset 8"},
		{`[1, 01]`, "[1]: number with a leading zero at offset 4"},
		{`{"a":tru}`, `a: unexpected '}', want "true" at offset 8`},
		{`"\ud800"`, `unpaired high surrogate \ud800 at offset 1`},
	} {
		_, err := DecodeJSON([]byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("DecodeJSON(%q) error = %v, want %s", tt.in, err, tt.want)
		}
	}
}

func TestStringLimit(t *testing.T) {
	for _, tt := range []struct {
		in   string
		code string
	}{
		{`"` + strings.Repeat("a", MaxStringSize) + `"`, ""},
		{`"` + strings.Repeat("é", MaxStringSize/2) + `"`, ""},
		{`"` + strings.Repeat(`\u00e9`, MaxStringSize/2) + `"`, ""}, // counted decoded
		{`"` + strings.Repeat("a", MaxStringSize+1) + `"`, CodeTooLarge},
		{`"` + strings.Repeat(`\n`, MaxStringSize+1) + `"`, CodeTooLarge},
		{`{"` + strings.Repeat("k", MaxStringSize+1) + `":1}`, CodeTooLarge},
	} {
		d := newDecoder([]byte(tt.in), MaxStringSize)
		_, err := d.value()
		code := ""
		if err != nil {
			code = err.(*Error).Code
		}
		if code != tt.code {
			t.Errorf("decode(%.20q...) error = %v, want code %q", tt.in, err, tt.code)
		}
	}
}

package sqlite

import (
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
)

// call calls f with args and returns its result, failing t on an error.
func call(t *testing.T, f func([]driver.Value) (driver.Value, error), args ...driver.Value) driver.Value {
	t.Helper()
	v, err := f(args)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

// values returns the comma-separated values of text, each "*" a
// wildcard; the value `\*` is a literal star.
func values(text string) []query.Value {
	var vs []query.Value
	for v := range strings.SplitSeq(text, ",") {
		if v == `\*` {
			vs = append(vs, query.Value{Parts: []string{"*"}})
			continue
		}
		vs = append(vs, query.Value{Parts: strings.Split(v, "*")})
	}
	return vs
}

func TestFuncMatch(t *testing.T) {
	for _, tt := range []struct {
		values string // see values
		fold   bool
		texts  []driver.Value
		want   int64
	}{
		{"abc", false, []driver.Value{"abc"}, 1},
		{"abc", false, []driver.Value{"ABC"}, 0},
		{"abc", true, []driver.Value{"ABC"}, 1},
		{"abc", true, []driver.Value{"xabc"}, 0},
		{"a*", true, []driver.Value{nil, "", "A"}, 1},
		{"*", false, []driver.Value{"", nil}, 0},
		{"*", false, []driver.Value{"", "x"}, 1},
		{"x,*c", false, []driver.Value{"abc"}, 1},
		{"a*b*a", false, []driver.Value{"aba"}, 1},
		{"a*b*a", false, []driver.Value{"aa"}, 0},
		{`\*`, false, []driver.Value{"*"}, 1},
		{`\*`, false, []driver.Value{"x"}, 0},
		{"kim", true, []driver.Value{"\u212aim"}, 1}, // KELVIN SIGN lowercases to k
		{"kim", false, []driver.Value{"\u212aim"}, 0},
		{"ürsula*", true, []driver.Value{"ÜRSULA@X"}, 1},
		{"i", true, []driver.Value{"\u0130"}, 1}, // as strings.ToLower has it
		{"%_", false, []driver.Value{"%_"}, 1},
		{"%_", false, []driver.Value{"ab"}, 0},
	} {
		p, err := encodePattern(values(tt.values))
		if err != nil {
			t.Fatal(err)
		}
		fold := int64(0)
		if tt.fold {
			fold = 1
		}
		if got := call(t, funcMatch, append([]driver.Value{p, fold}, tt.texts...)...); got != tt.want {
			t.Errorf("stele_match(%s, %v, %q) = %v, want %v", tt.values, tt.fold, tt.texts, got, tt.want)
		}
	}
}

func TestFuncText(t *testing.T) {
	for _, tt := range []struct {
		values  string // see values; lowercase
		details string
		texts   []driver.Value
		want    int64
	}{
		{"bob", "", []driver.Value{"Bob Brennan"}, 1},
		{"bob", "", []driver.Value{"", "Alice"}, 0},
		{"rate limit", `{"reason":"Rate Limit exceeded"}`, nil, 1},
		{"reason", `{"reason":"x"}`, nil, 0}, // keys aren't text
		{"7.5", `{"cvss":7.5}`, nil, 1},
		{"1e+21", `{"n":1e+21}`, nil, 1},
		{"true", `{"a":[{"b":true}]}`, nil, 1},
		{"null", `{"a":null}`, nil, 0},
		{`"checks`, `{"c":"use \"checks\""}`, nil, 1},
		{`c:\docs`, `{"c":"see C:\\docs"}`, nil, 1},
		{"é", `{"c":"\u00c9t\u00e9"}`, nil, 1}, // escaped: no shortcut
		{"größe", `{"c":"GRÖSSE"}`, nil, 0},
		{"größe", `{"c":"Größe"}`, nil, 1},
		{"kelvin", `{"c":"\u212aelvin"}`, nil, 1},
		{"kelvin", "{\"c\":\"\u212aelvin\"}", nil, 1},
		{"a*b", `{"x":"a","y":"b"}`, nil, 0}, // within one text
		{"a*b", `{"x":"xAyBz"}`, nil, 1},
		{"x", `not json`, nil, 0},
		{"x", `{"a":"x"`, nil, 1}, // as far as it goes
	} {
		p, err := encodePattern(values(tt.values))
		if err != nil {
			t.Fatal(err)
		}
		var details driver.Value
		if tt.details != "" {
			details = tt.details
		}
		if got := call(t, funcText, append([]driver.Value{p, details}, tt.texts...)...); got != tt.want {
			t.Errorf("stele_text(%s, %s, %q) = %v, want %v", tt.values, tt.details, tt.texts, got, tt.want)
		}
	}
}

func TestFuncIPIn(t *testing.T) {
	for _, tt := range []struct {
		ip, prefixes string
		want         int64
	}{
		{"10.1.2.3", "10.0.0.0/8", 1},
		{"10.1.2.3", "192.168.0.0/16,10.1.2.3/32", 1},
		{"11.1.2.3", "10.0.0.0/8", 0},
		{"::ffff:10.1.2.3", "10.0.0.0/8", 0},
		{"::ffff:10.1.2.3", "::ffff:10.0.0.0/104", 1},
		{"2001:db8::1", "2001:db8::/32", 1},
		{"fe80::1%eth0", "fe80::/10", 0},
		{"", "0.0.0.0/0", 0},
		{"not an address", "0.0.0.0/0", 0},
	} {
		if got := call(t, funcIPIn, tt.ip, tt.prefixes); got != tt.want {
			t.Errorf("stele_ip_in(%q, %q) = %v, want %v", tt.ip, tt.prefixes, got, tt.want)
		}
	}
	if _, err := funcIPIn([]driver.Value{"10.0.0.1", "10.0.0.0"}); err == nil {
		t.Errorf("stele_ip_in(10.0.0.1, 10.0.0.0) = nil error, want one")
	}
}

func TestWalkScalars(t *testing.T) {
	doc := `{"a":"x","b":{"c":[1,2.50,true,null,{"d":"y"}],"e":false},"f":{},"k":"key"}`
	var got []string
	store.WalkScalars(doc, func(s string) bool {
		got = append(got, s)
		return true
	})
	want := []string{"x", "1", "2.50", "true", "y", "false", "key"}
	if !slices.Equal(got, want) {
		t.Errorf("store.WalkScalars(%s) = %q, want %q", doc, got, want)
	}
}

// FuzzPatternMatch checks that matching a pattern, with its shortcuts,
// is matching its values against the text lowercased as Go does.
func FuzzPatternMatch(f *testing.F) {
	f.Add("a*b", "xAyBz", true)
	f.Add("k*", "\u212a", true)
	f.Add("*é*", "É", true)
	f.Add("ab", "ab", false)
	f.Fuzz(func(t *testing.T, value, s string, fold bool) {
		if strings.ContainsAny(value, valueSep+partSep) || value == "" {
			return
		}
		v := query.Value{Parts: strings.Split(value, "*")}
		arg, err := encodePattern([]query.Value{v})
		if err != nil {
			t.Fatal(err)
		}
		var last atomic.Pointer[pattern]
		p := decodePattern(&last, arg, false)
		want := v.Match(s)
		if fold {
			want = v.Match(strings.ToLower(s))
		}
		if got := p.match(s, fold); got != want {
			t.Errorf("pattern %q matching %q, fold %v = %v, want %v", value, s, fold, got, want)
		}
	})
}

// TestPatternChange checks that functions called with one pattern after
// another, row after row, match with each, though they keep the last.
func TestPatternChange(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "stele.db"))
	var rows []string
	var want []int
	for i := range 64 {
		value, text := "aaaa", "aaaa"
		if i%2 == 1 {
			value = "bbbb"
		}
		if i%3 == 1 {
			text = "bbbb"
		}
		rows = append(rows, fmt.Sprintf("(%d, '%s', '%s')", i, value, text))
		if value == text {
			want = append(want, i)
		}
	}
	q := "SELECT column1 FROM (VALUES " + strings.Join(rows, ", ") + ")" +
		" WHERE stele_match(lower(column2), 0, column3) AND stele_text(lower(column2), NULL, column3)" +
		" ORDER BY column1"
	got, err := db.r.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	var ns []int
	for got.Next() {
		var n int
		if err := got.Scan(&n); err != nil {
			t.Fatal(err)
		}
		ns = append(ns, n)
	}
	if !slices.Equal(ns, want) {
		t.Errorf("matches = %v, want %v", ns, want)
	}
}

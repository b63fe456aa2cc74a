package query

import (
	"testing"
)

func TestValue(t *testing.T) {
	tests := []struct {
		v        Value
		exact    string
		isExact  bool
		prefix   string
		isPrefix bool
		like     string
		text     string
	}{
		{pat("abc"), "abc", true, "", false, "abc", "abc"},
		{pat("project-*"), "", false, "project-", true, "project-%", "project-*"},
		{pat("*"), "", false, "", true, "%", "*"},
		{pat("*.deleted"), "", false, "", false, "%.deleted", "*.deleted"},
		{pat("a*b*"), "", false, "", false, "a%b%", "a*b*"},
		{pat("100%_sure"), "100%_sure", true, "", false, `100\%\_sure`, "100%_sure"},
		{pat(`a\b*`), "", false, `a\b`, true, `a\\b%`, `a\\b*`},
		{Value{Parts: []string{"a*b", ""}}, "", false, "a*b", true, "a*b%", `a\*b*`},
		{pat(`say "hi", me`), `say "hi", me`, true, "", false, `say "hi", me`, `"say \"hi\", me"`},
		{pat("-a:b"), "-a:b", true, "", false, "-a:b", "-a:b"},
	}
	for _, tt := range tests {
		if got, ok := tt.v.Exact(); got != tt.exact || ok != tt.isExact {
			t.Errorf("%#v.Exact() = %q, %v, want %q, %v", tt.v, got, ok, tt.exact, tt.isExact)
		}
		if got, ok := tt.v.Prefix(); got != tt.prefix || ok != tt.isPrefix {
			t.Errorf("%#v.Prefix() = %q, %v, want %q, %v", tt.v, got, ok, tt.prefix, tt.isPrefix)
		}
		if got := tt.v.Like(); got != tt.like {
			t.Errorf("%#v.Like() = %q, want %q", tt.v, got, tt.like)
		}
		if got := tt.v.String(); got != tt.text {
			t.Errorf("%#v.String() = %q, want %q", tt.v, got, tt.text)
		}
	}
}

// valueMatchTests are patterns and the texts that they match or not.
var valueMatchTests = []struct {
	pattern string
	yes, no []string
}{
	{"abc", []string{"abc"}, []string{"", "ab", "abcd", "xabc", "ABC"}},
	{"*", []string{"", "a", "anything at all"}, nil},
	{"project-*", []string{"project-", "project-123"}, []string{"project", "my-project-1"}},
	{"*.deleted", []string{".deleted", "project.deleted"}, []string{"project.deleted.x", "deleted"}},
	{"a*b", []string{"ab", "axb", "abab", "a-b-b"}, []string{"a", "b", "ba", "abc"}},
	{"a*a", []string{"aa", "aba"}, []string{"a"}},
	{"*ab*ab*", []string{"abab", "xabxabx", "ababab"}, []string{"ab", "aab"}},
	{"a*b*c", []string{"abc", "aXbYc", "abbc", "acbc"}, []string{"ac", "acb", "abcb"}},
	{"100%_sure", []string{"100%_sure"}, []string{"100% sure", "1000_sure", "100%xsure"}},
	{`a\b`, []string{`a\b`}, []string{"ab", `a\\b`}},
	{"é*ü", []string{"éü", "é-ü"}, []string{"eu"}},
}

func TestValueMatch(t *testing.T) {
	for _, tt := range valueMatchTests {
		v := pat(tt.pattern)
		for _, s := range tt.yes {
			if !v.Match(s) {
				t.Errorf("pattern %q: Match(%q) = false, want true", tt.pattern, s)
			}
			if !like(v.Like(), s) {
				t.Errorf("pattern %q: %q LIKE %q = false, want true", tt.pattern, s, v.Like())
			}
		}
		for _, s := range tt.no {
			if v.Match(s) {
				t.Errorf("pattern %q: Match(%q) = true, want false", tt.pattern, s)
			}
			if like(v.Like(), s) {
				t.Errorf("pattern %q: %q LIKE %q = true, want false", tt.pattern, s, v.Like())
			}
		}
	}
}

// like reports whether s matches the SQL LIKE pattern p with ESCAPE '\',
// case-sensitively: a model of the backends' LIKE to check Value.Like with.
func like(p, s string) bool {
	pr, sr := []rune(p), []rune(s)
	var at func(i, j int) bool
	at = func(i, j int) bool {
		for i < len(pr) {
			switch pr[i] {
			case '%':
				for k := j; k <= len(sr); k++ {
					if at(i+1, k) {
						return true
					}
				}
				return false
			case '_':
				if j == len(sr) {
					return false
				}
			case '\\':
				i++
				fallthrough
			default:
				if j == len(sr) || sr[j] != pr[i] {
					return false
				}
			}
			i, j = i+1, j+1
		}
		return j == len(sr)
	}
	return at(0, 0)
}

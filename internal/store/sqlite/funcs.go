package sqlite

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"modernc.org/sqlite"
)

// The SQL functions search needs for what SQLite can't say itself: Go's
// lowercasing (SQLite's lower() folds only ASCII), CIDRs, and free text in
// JSON. They are registered with the driver, so every connection of the
// process has them; the schema uses none, so other programs can still read
// and write the file. Each is deterministic and keeps no argument past
// the call, as VolatileArgs requires: arguments are SQLite's memory.
//
// A pattern argument is a list of query values: values are separated by
// valueSep and the parts of a value by partSep, which a query's values
// never hold (its grammar refuses control characters; encodePattern
// checks).
func init() {
	for name, f := range map[string]struct {
		n  int32
		fn func(args []driver.Value) (driver.Value, error)
	}{
		// stele_lower(s) is strings.ToLower(s): what migrations fold actors with.
		"stele_lower": {1, funcLower},
		// stele_match(pattern, fold, text...) is 1 if any non-empty text,
		// lowercased if fold is 1, matches a value of pattern, else 0.
		"stele_match": {-1, funcMatch},
		// stele_text(pattern, details, text...) is 1 if a non-empty
		// text, or the text of a string, number or boolean anywhere in the
		// JSON details, contains a value of pattern, compared lowercased;
		// else 0. Values are lowercase.
		"stele_text": {-1, funcText},
		// stele_ip_in(ip, prefixes) is 1 if the address ip is within one of
		// prefixes, CIDRs separated by commas; else 0.
		"stele_ip_in": {2, funcIPIn},
	} {
		sqlite.MustRegisterFunction(name, &sqlite.FunctionImpl{
			NArgs:         f.n,
			Deterministic: true,
			VolatileArgs:  true,
			Scalar: func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
				return f.fn(args)
			},
		})
	}
}

// Separators in pattern arguments.
const (
	valueSep = "\x01"
	partSep  = "\x00"
)

// encodePattern returns values as a pattern argument, or an error if a
// value holds a separator.
func encodePattern(values []query.Value) (string, error) {
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteString(valueSep)
		}
		for j, p := range v.Parts {
			if strings.ContainsAny(p, valueSep+partSep) {
				return "", fmt.Errorf("value %q holds a control character", v.String())
			}
			if j > 0 {
				b.WriteString(partSep)
			}
			b.WriteString(p)
		}
	}
	return b.String(), nil
}

// A pattern is a pattern argument decoded: values, and for each its
// longest part, which a text that matches it must contain.
type pattern struct {
	arg    string
	values []query.Value
	keys   []string
}

// The last patterns decoded, for stele_match and stele_text: SQLite calls
// a function with the same pattern row after row.
var lastMatch, lastText atomic.Pointer[pattern]

// decodePattern returns the pattern of arg, from last if it is that of
// arg, and keeps it there; each value is as if between two "*" if
// contained.
func decodePattern(last *atomic.Pointer[pattern], arg string, contained bool) *pattern {
	if p := last.Load(); p != nil && p.arg == arg {
		return p
	}
	arg = strings.Clone(arg) // not SQLite's memory, which is reused
	p := &pattern{arg: arg}
	for v := range strings.SplitSeq(arg, valueSep) {
		parts := strings.Split(v, partSep)
		if contained {
			parts = slices.Concat([]string{""}, parts, []string{""})
		}
		key := ""
		for _, part := range parts {
			if len(part) > len(key) {
				key = part
			}
		}
		p.values = append(p.values, query.Value{Parts: parts})
		p.keys = append(p.keys, key)
	}
	last.Store(p)
	return p
}

// match reports whether s, lowercased if fold, matches one of p's values.
func (p *pattern) match(s string, fold bool) bool {
	if fold {
		if !p.mayMatch(s) {
			return false
		}
		s = strings.ToLower(s)
	}
	for _, v := range p.values {
		if v.Match(s) {
			return true
		}
	}
	return false
}

// mayMatch reports whether s may match one of p's values when
// lowercased: whether it contains the key of one, without regard to case.
// For ASCII text that needs no lowercased copy.
func (p *pattern) mayMatch(s string) bool {
	ascii := isASCII(s)
	var lower string
	for _, k := range p.keys {
		switch {
		case k == "":
			return true
		case ascii && indexFoldASCII(s, k) >= 0:
			return true
		case !ascii:
			if lower == "" {
				lower = strings.ToLower(s)
			}
			if strings.Contains(lower, k) {
				return true
			}
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// indexFoldASCII returns the index of the first instance of sub in the
// ASCII text s lowercased, or -1.
func indexFoldASCII(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return i
		}
	}
	return -1
}

// text returns the text of a function argument: "" for NULL.
func text(v driver.Value) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	}
	return "", fmt.Errorf("argument is %T, not text", v)
}

func funcLower(args []driver.Value) (driver.Value, error) {
	s, err := text(args[0])
	if err != nil {
		return nil, err
	}
	// A copy: s is SQLite's memory, and ToLower may return it.
	return strings.Clone(strings.ToLower(s)), nil
}

func funcMatch(args []driver.Value) (driver.Value, error) {
	if len(args) < 2 {
		return nil, errors.New("stele_match: want a pattern, a fold flag and texts")
	}
	arg, err := text(args[0])
	if err != nil {
		return nil, err
	}
	fold, ok := args[1].(int64)
	if !ok {
		return nil, errors.New("stele_match: fold is not an integer")
	}
	p := decodePattern(&lastMatch, arg, false)
	for _, a := range args[2:] {
		s, err := text(a)
		if err != nil {
			return nil, err
		}
		if s != "" && p.match(s, fold == 1) {
			return int64(1), nil
		}
	}
	return int64(0), nil
}

func funcText(args []driver.Value) (driver.Value, error) {
	if len(args) < 2 {
		return nil, errors.New("stele_text: want a pattern, details and texts")
	}
	arg, err := text(args[0])
	if err != nil {
		return nil, err
	}
	details, err := text(args[1])
	if err != nil {
		return nil, err
	}
	p := decodePattern(&lastText, arg, true)
	for _, a := range args[2:] {
		s, err := text(a)
		if err != nil {
			return nil, err
		}
		if s != "" && p.match(s, true) {
			return int64(1), nil
		}
	}
	// Without a backslash, the text of every string is in the JSON as it
	// is, and that of every number and boolean too: no scalar can match
	// if the whole text can't.
	if details == "" || !strings.Contains(details, `\`) && !p.mayMatch(details) {
		return int64(0), nil
	}
	found := false
	store.WalkScalars(details, func(s string) bool {
		found = s != "" && p.match(s, true)
		return !found
	})
	if found {
		return int64(1), nil
	}
	return int64(0), nil
}

func funcIPIn(args []driver.Value) (driver.Value, error) {
	ip, err := text(args[0])
	if err != nil {
		return nil, err
	}
	prefixes, err := text(args[1])
	if err != nil {
		return nil, err
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return int64(0), nil
	}
	for s := range strings.SplitSeq(prefixes, ",") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("stele_ip_in: %w", err)
		}
		if p.Contains(a) {
			return int64(1), nil
		}
	}
	return int64(0), nil
}

package postgres

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
)

// Search: how a query compiles to SQL.
//
// Each term becomes a condition on a row of events that is three-valued:
// TRUE if the row matches the term, FALSE if it doesn't, NULL if SQL can't
// tell, and SQL's logic carries NULL through NOT, AND and OR as "unknown".
// List reads the rows whose conditions ANDed are not FALSE and tests each
// with query.Match, the reference; Facets and Histogram count those that
// are TRUE in SQL and test in Go only those that are NULL.
//
// Only details are ever unknown: details terms, and free text that may be
// in details. Everything else is decided in SQL exactly as package query
// says. Case folding is Go's: strings.ToLower maps rune by rune, and so
// does translate() given its table, which a search passes as a parameter;
// a value beyond ASCII is compared with text folded so (text that is ASCII
// can't match it). A value that is ASCII only needs the ASCII letters
// folded, which lower() does in the C collation, and the few runes beyond
// ASCII that Go folds into ASCII (the Kelvin sign, the dotted capital I),
// which translate() does with a table of two. Values only ever
// reach SQL as parameters, LIKE patterns escaped (query.Value.Like; the
// backslash is PostgreSQL's default LIKE escape).

// A search is the SQL of a filter, as it is built.
type search struct {
	args []any // parameters, $1 first: org, lo, hi.TS, and for List hi.Seq and the limit
	// match is the query's terms ANDed, three-valued; "" if SQL tests none.
	match string
	// unsure reports whether match may be NULL.
	unsure   bool
	lo       int64
	hi       store.Mark
	all, few []string // placeholders of the fold tables, once added
}

// param adds v to the parameters and returns its placeholder.
func (s *search) param(v any) string {
	s.args = append(s.args, v)
	return "$" + strconv.Itoa(len(s.args))
}

// compile returns f's search in org's log: f's bounds and its query's
// condition, with the parameters of List (hi.Seq and the limit) if list.
// It returns nil if f can match no event.
func compile(org string, f store.Filter, list bool) (*search, error) {
	f = f.Narrowed()
	lo, hi, ok := f.Bounds()
	if !ok {
		return nil, nil
	}
	s := &search{lo: lo, hi: hi}
	s.param(org)
	s.param(lo)
	s.param(hi.TS)
	if list {
		s.param(hi.Seq)
		s.param(f.Limit)
	}
	if f.Query == nil {
		return s, nil
	}
	var conds []string
	for _, t := range f.Query.Terms {
		cond, err := s.term(t)
		if err != nil {
			return nil, fmt.Errorf("term %d, %s: %w", t.Pos, t.String(), err)
		}
		if cond != "" {
			conds = append(conds, "("+cond+")")
		}
	}
	s.match = strings.Join(conds, " AND ")
	return s, nil
}

// term returns the condition of t, or "" for none (a positive timestamp
// term, which Filter.Narrowed applied).
func (s *search) term(t query.Term) (string, error) {
	var cond string
	switch t.Field {
	case query.FieldTimestamp:
		if !t.Negated {
			return "", nil
		}
		a, b, ok := store.NanoRange(t.Since, t.Until)
		if !ok {
			return "", nil // outside an empty range is everywhere
		}
		return "NOT (ts BETWEEN " + s.param(a) + " AND " + s.param(b) + ")", nil
	case query.FieldIP:
		if len(t.Prefixes) == 0 {
			cond = "FALSE"
			break
		}
		list := make([]string, len(t.Prefixes))
		for i, p := range t.Prefixes {
			if !p.IsValid() {
				return "", fmt.Errorf("invalid prefix %v", p)
			}
			list[i] = p.String()
		}
		// ip_addr is NULL where Go finds no address: no match.
		cond = "coalesce(ip_addr <<= ANY(" + s.param(list) + "::inet[]), FALSE)"
	case query.FieldText:
		cond = s.text(t.Values)
	case query.FieldDetails:
		cond = s.details(t.Values)
	default:
		m, ok := matched[t.Field]
		if !ok {
			return "", fmt.Errorf("unknown field %v", t.Field)
		}
		cond = s.values(t.Values, m.fold, false, m.columns...)
	}
	if t.Negated {
		cond = "NOT (" + cond + ")"
	}
	return cond, nil
}

// matched are the columns a term matches its values against, by field,
// and whether it lowercases them first.
var matched = map[query.Field]struct {
	fold    bool
	columns []string
}{
	query.FieldActor:    {true, []string{"actor_email", "actor_id", "actor_name"}},
	query.FieldEvent:    {true, []string{"event"}},
	query.FieldTarget:   {false, []string{"target_id", "target_name"}},
	query.FieldCategory: {true, []string{"category"}},
	// An actor without a type is a user (see verify.Actor).
	query.FieldActorType: {true, []string{"(CASE WHEN actor_type = '' THEN 'user' ELSE actor_type END)"}},
	query.FieldUserAgent: {false, []string{"user_agent"}},
}

// values returns the condition that one of columns, not empty and
// lowercased if fold, matches one of values; or contains one if
// contained. It is never NULL.
func (s *search) values(values []query.Value, fold, contained bool, columns ...string) string {
	if len(values) == 0 {
		return "FALSE"
	}
	var ors []string
	for _, c := range columns {
		for _, v := range values {
			ors = append(ors, s.value(c, v, fold, contained))
		}
	}
	return strings.Join(ors, " OR ")
}

// value returns the condition that column c, not empty and lowercased if
// fold, matches v, or contains it if contained.
func (s *search) value(c string, v query.Value, fold, contained bool) string {
	op, arg := "LIKE", v.Like()
	if text, exact := v.Exact(); exact && !contained {
		op, arg = "=", text
	} else if contained {
		arg = "%" + arg + "%"
	}
	p := s.param(arg)
	switch {
	case !fold:
		return "(" + c + " <> '' AND " + c + " " + op + " " + p + ")"
	case isASCII(v.Parts...):
		return "(" + c + " <> '' AND " + s.foldASCII(c) + " " + op + " " + p + ")"
	default:
		// Text that is ASCII lowercases to ASCII, which can't match a
		// value that isn't.
		t := s.foldAll()
		return "(CASE WHEN octet_length(" + c + ") = char_length(" + c + ") THEN FALSE ELSE translate(" +
			c + ", " + t[0] + ", " + t[1] + ") " + op + " " + p + " END)"
	}
}

// foldASCII returns an expression of the text of c lowercased, exact as
// far as ASCII characters go: what a value that is ASCII compares with.
func (s *search) foldASCII(c string) string {
	t := s.foldFew()
	return "translate(lower(" + c + " COLLATE \"C\"), " + t[0] + ", " + t[1] + ")"
}

// text returns the condition of a free-text term: the actor or target
// contains one of values, lowercased, or so might the details.
func (s *search) text(values []query.Value) string {
	if len(values) == 0 {
		return "FALSE"
	}
	cond := s.values(values, true, true, "actor_email", "actor_id", "actor_name", "target_id", "target_name")
	// Details contain a value only if their text holds the longest part
	// of it, lowercased, or a backslash (escapes hide text).
	var holds []string
	for _, v := range values {
		k := longest(v)
		if k == "" || !isASCII(k) {
			holds = nil
			break
		}
		holds = append(holds, "strpos("+s.foldASCII("details")+", "+s.param(k)+") > 0")
	}
	s.unsure = true
	cond += " OR " + s.mayHold(holds)
	if holds == nil {
		return cond
	}
	// Most rows hold no value anywhere: one look at all their texts
	// together says so, cheaper than one per text. The texts hold a value
	// only if their concatenation, lowercased, holds its longest part,
	// unless escapes in details hide it.
	all := s.foldASCII(`concat_ws(' ', actor_email, actor_id, actor_name, target_id, target_name, details)`)
	var ors []string
	for _, v := range values {
		ors = append(ors, "strpos("+all+", "+s.param(longest(v))+") > 0")
	}
	return "CASE WHEN strpos(coalesce(details, ''), " + s.param(`\`) + ") = 0 AND NOT (" +
		strings.Join(ors, " OR ") + ") THEN FALSE ELSE " + cond + " END"
}

// details returns the condition of a details term: NULL if the details
// may hold a member matching one of values, FALSE if not. The member is
// left to Go.
func (s *search) details(values []query.Value) string {
	if len(values) == 0 {
		return "FALSE"
	}
	var holds []string
	for _, v := range values {
		k := longest(v)
		if k == "" {
			holds = nil
			break
		}
		holds = append(holds, "strpos(details, "+s.param(k)+") > 0")
	}
	s.unsure = true
	return s.mayHold(holds)
}

// mayHold returns the condition that is FALSE for rows without details,
// and for rows whose details have no backslash and none of holds, and
// NULL otherwise. Without a backslash, JSON text holds the text of each
// of its strings, numbers and booleans as it is.
func (s *search) mayHold(holds []string) string {
	if len(holds) == 0 {
		return "(CASE WHEN details IS NULL THEN FALSE END)"
	}
	return "(CASE WHEN details IS NULL THEN FALSE WHEN strpos(details, " + s.param(`\`) + ") = 0 AND NOT (" +
		strings.Join(holds, " OR ") + ") THEN FALSE END)"
}

// longest returns the longest part of v, which a text it matches holds.
func longest(v query.Value) string {
	k := ""
	for _, p := range v.Parts {
		if len(p) > len(k) {
			k = p
		}
	}
	return k
}

// isASCII reports whether texts are all ASCII.
func isASCII(texts ...string) bool {
	for _, s := range texts {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return false
			}
		}
	}
	return true
}

// foldAll and foldFew return the placeholders of the tables of
// strings.ToLower as translate() takes them, from and to, adding them to
// the parameters once: all the runes it changes, and the few beyond ASCII
// that it changes into ASCII.
func (s *search) foldAll() []string {
	if s.all == nil {
		t := lowerTables()
		s.all = []string{s.param(t[0]), s.param(t[1])}
	}
	return s.all
}

func (s *search) foldFew() []string {
	if s.few == nil {
		t := lowerTables()
		s.few = []string{s.param(t[2]), s.param(t[3])}
	}
	return s.few
}

// lowerTables returns the tables of foldAll, then those of foldFew.
var lowerTables = sync.OnceValue(func() [4]string {
	var from, to, fromASCII, toASCII strings.Builder
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates: not in valid UTF-8
		}
		l := unicode.ToLower(r)
		if l == r {
			continue
		}
		from.WriteRune(r)
		to.WriteRune(l)
		if r >= utf8.RuneSelf && l < utf8.RuneSelf {
			fromASCII.WriteRune(r)
			toASCII.WriteRune(l)
		}
	}
	return [4]string{from.String(), to.String(), fromASCII.String(), toASCII.String()}
})

package storetest

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"regexp"
	"strings"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/verify"
)

// matches reports whether r matches q as package query documents it. It
// is the suite's oracle for searches, written from that documentation and
// not from any backend: the query scripts' expected seqs must agree with
// it, and so must List.
func matches(q *query.Query, r *verify.Record) bool {
	for _, t := range q.Terms {
		if matchesTerm(t, r) == t.Negated {
			return false
		}
	}
	return true
}

// matchesTerm reports whether r matches t, not negated. An empty field
// matches no value; folded fields are compared lowercased, as
// strings.ToLower has it.
func matchesTerm(t query.Term, r *verify.Record) bool {
	switch t.Field {
	case query.FieldText:
		texts := append([]string{r.Actor.Email, r.Actor.ID, r.Actor.Name, r.Target.ID, r.Target.Name}, scalars(r.Details)...)
		for _, v := range t.Values {
			// As if the value had a "*" at each end.
			in := query.Value{Parts: append(append([]string{""}, v.Parts...), "")}
			if anyMatches([]query.Value{in}, true, texts...) {
				return true
			}
		}
		return false
	case query.FieldActor:
		return anyMatches(t.Values, true, r.Actor.Email, r.Actor.ID, r.Actor.Name)
	case query.FieldEvent:
		return anyMatches(t.Values, true, r.Event)
	case query.FieldTarget:
		return anyMatches(t.Values, false, r.Target.ID, r.Target.Name)
	case query.FieldCategory:
		return anyMatches(t.Values, true, r.Category)
	case query.FieldIP:
		a, err := netip.ParseAddr(r.IP)
		if err != nil {
			return false
		}
		for _, p := range t.Prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	case query.FieldActorType:
		typ := r.Actor.Type
		if typ == "" {
			typ = "user" // as verify.Actor says
		}
		return anyMatches(t.Values, true, typ)
	case query.FieldUserAgent:
		return anyMatches(t.Values, false, r.UserAgent)
	case query.FieldTimestamp:
		return (t.Since.IsZero() || !r.Timestamp.Before(t.Since)) &&
			(t.Until.IsZero() || r.Timestamp.Before(t.Until))
	case query.FieldDetails:
		s, ok := member(r.Details, t.Path)
		return ok && anyMatches(t.Values, false, s)
	}
	panic("storetest: unknown field " + t.Field.String())
}

// anyMatches reports whether a non-empty text, lowercased if fold, matches
// one of values.
func anyMatches(values []query.Value, fold bool, texts ...string) bool {
	for _, s := range texts {
		if s == "" {
			continue
		}
		if fold {
			s = strings.ToLower(s)
		}
		for _, v := range values {
			if globRegexp(v).MatchString(s) {
				return true
			}
		}
	}
	return false
}

// globRegexp returns a regular expression matching what v does: its parts
// in order, anything between them, all of the text.
func globRegexp(v query.Value) *regexp.Regexp {
	quoted := make([]string, len(v.Parts))
	for i, p := range v.Parts {
		quoted[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?s)\A` + strings.Join(quoted, ".*") + `\z`)
}

// decode returns the JSON details as Go values, numbers as json.Number;
// nil if there are none.
func decode(details []byte) any {
	if len(details) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(details))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		panic("storetest: details are not JSON: " + err.Error())
	}
	return v
}

// scalar returns the text of a string, number (its JSON text) or
// boolean; ok is false for anything else.
func scalar(v any) (s string, ok bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// member returns the text of the scalar at path in details.
func member(details []byte, path []string) (string, bool) {
	v := decode(details)
	for _, k := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		v = obj[k]
	}
	return scalar(v)
}

// scalars returns the texts of all the scalars in details.
func scalars(details []byte) []string {
	var texts []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		default:
			if s, ok := scalar(v); ok {
				texts = append(texts, s)
			}
		}
	}
	walk(decode(details))
	return texts
}

package query

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"

	"github.com/steleaudit/stele/verify"
)

// Match reports whether r matches q, in memory: what a query means,
// which the SQL each store backend compiles must agree with (the store
// conformance suite checks every backend against it), and how events can
// be matched as they arrive.
func (q *Query) Match(r *verify.Record) bool {
	for _, t := range q.Terms {
		if matchTerm(t, r) == t.Negated {
			return false
		}
	}
	return true
}

// matchTerm reports whether r matches t, ignoring t.Negated. An empty
// field matches no value.
func matchTerm(t Term, r *verify.Record) bool {
	switch t.Field {
	case FieldText:
		texts := append([]string{r.Actor.Email, r.Actor.ID, r.Actor.Name, r.Target.ID, r.Target.Name}, detailTexts(r.Details)...)
		for _, v := range t.Values {
			contains := Value{Parts: slices.Concat([]string{""}, v.Parts, []string{""})}
			if matchAny(contains, texts, true) {
				return true
			}
		}
		return false
	case FieldActor:
		return matchValues(t.Values, true, r.Actor.Email, r.Actor.ID, r.Actor.Name)
	case FieldEvent:
		return matchValues(t.Values, true, r.Event)
	case FieldTarget:
		return matchValues(t.Values, false, r.Target.ID, r.Target.Name)
	case FieldCategory:
		return matchValues(t.Values, true, r.Category)
	case FieldIP:
		a, err := netip.ParseAddr(r.IP)
		return err == nil && slices.ContainsFunc(t.Prefixes, func(p netip.Prefix) bool { return p.Contains(a) })
	case FieldActorType:
		typ := r.Actor.Type
		if typ == "" {
			typ = "user"
		}
		return matchValues(t.Values, true, typ)
	case FieldUserAgent:
		return matchValues(t.Values, false, r.UserAgent)
	case FieldTimestamp:
		return !r.Timestamp.Before(t.Since) && (t.Until.IsZero() || r.Timestamp.Before(t.Until))
	case FieldDetails:
		s, ok := detailText(r.Details, t.Path)
		return ok && matchValues(t.Values, false, s)
	}
	panic("query: unknown field " + t.Field.String())
}

func matchValues(vs []Value, fold bool, texts ...string) bool {
	return slices.ContainsFunc(vs, func(v Value) bool { return matchAny(v, texts, fold) })
}

func matchAny(v Value, texts []string, fold bool) bool {
	for _, s := range texts {
		if fold {
			s = strings.ToLower(s)
		}
		if s != "" && v.Match(s) {
			return true
		}
	}
	return false
}

func decodeDetails(details []byte) any {
	if len(details) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(details))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil // details that are not JSON match nothing
	}
	return v
}

// scalarText returns the text of a string, number or boolean.
func scalarText(v any) (string, bool) {
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

// detailText returns the text of the member at path in details.
func detailText(details []byte, path []string) (string, bool) {
	v := decodeDetails(details)
	for _, key := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		v = m[key]
	}
	return scalarText(v)
}

// detailTexts returns the texts of all scalars in details, in any order.
func detailTexts(details []byte) []string {
	var texts []string
	var walk func(any)
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
			if s, ok := scalarText(v); ok {
				texts = append(texts, s)
			}
		}
	}
	walk(decodeDetails(details))
	return texts
}

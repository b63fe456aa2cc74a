package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
)

// Ranges are the date presets: the last day, week or month.
var ranges = map[string]time.Duration{"24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

// filterParams are the structured filters a list request may add to q,
// each one term of the query language with its value taken literally.
var filterParams = []struct {
	param     string
	qualifier string
}{
	{"category", "category"},
	{"actor", "actor"},
	{"actor_type", "actor_type"},
	{"target", "target"},
}

// searchFilter reads what selects events in a request: the search q, the
// date preset range or from and to, and the structured filters. A bad
// query is answered with the parser's message, naming its position in q.
func (s *Server) searchFilter(r *http.Request) (store.Filter, error) {
	var f store.Filter
	now := s.cfg.Now().UTC()
	params := r.URL.Query()
	q, err := query.Parse(params.Get("q"), now)
	if err != nil {
		return f, badRequest("invalid_query", "q", err.Error())
	}
	for _, fp := range filterParams {
		v := params.Get(fp.param)
		if v == "" {
			continue
		}
		t, err := query.Parse(fp.qualifier+":"+literal(v), now)
		if err != nil || len(t.Terms) != 1 {
			msg := "not a valid " + fp.param
			if qe, ok := err.(*query.Error); ok {
				msg = qe.Msg
			}
			return f, invalid(fp.param, msg)
		}
		q.Terms = append(q.Terms, t.Terms[0])
	}
	if len(q.Terms) > query.MaxTerms {
		return f, invalid("q", "too many terms with the filters added")
	}
	if f.Since, err = timeParam(r, "from"); err != nil {
		return f, err
	}
	if f.Until, err = timeParam(r, "to"); err != nil {
		return f, err
	}
	if rg := params.Get("range"); rg != "" {
		d, ok := ranges[rg]
		if !ok {
			return f, invalid("range", "want 24h, 7d or 30d")
		}
		if !f.Since.IsZero() {
			return f, invalid("range", "give range or from, not both")
		}
		f.Since = now.Add(-d)
	}
	if s.expandEvents(q) {
		return f, errNoMatch
	}
	if len(q.Terms) > 0 {
		f.Query = q
	}
	return f, nil
}

// errNoMatch says a filter can match no event, so the store need not be
// asked.
var errNoMatch = errors.New("the filter matches no event")

// literal quotes v as a value of the query language that matches v
// itself: no wildcard, no list.
func literal(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `*`, `\*`)
	return `"` + r.Replace(v) + `"`
}

// expandEvents replaces event patterns (event:*.deleted) with the event
// types of the catalog they match, so that a backend can use its index
// on the event type rather than test every event. Every stored event's
// type is in the catalog (types are refused unless registered, and never
// unregistered), so the answer does not change. A pattern matching more
// types than a list may hold is left as it is. It reports whether the
// query can match nothing at all: a term whose patterns match no type.
func (s *Server) expandEvents(q *query.Query) (none bool) {
	types := s.cat.Types()
	terms := q.Terms[:0]
	for _, t := range q.Terms {
		if t.Field != query.FieldEvent {
			terms = append(terms, t)
			continue
		}
		var vals []query.Value
		for _, v := range t.Values {
			if _, exact := v.Exact(); exact {
				vals = append(vals, v)
				continue
			}
			for _, ty := range types {
				if v.Match(ty.Name) {
					vals = append(vals, query.Value{Parts: []string{ty.Name}})
				}
			}
		}
		switch {
		case len(vals) == 0 && t.Negated:
			continue // excludes nothing
		case len(vals) == 0:
			return true
		case len(vals) <= query.MaxValues:
			t.Values = dedupe(vals)
		}
		terms = append(terms, t)
	}
	q.Terms = terms
	return false
}

func dedupe(vals []query.Value) []query.Value {
	seen := map[string]bool{}
	out := vals[:0:0]
	for _, v := range vals {
		k := strings.Join(v.Parts, "\x00")
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

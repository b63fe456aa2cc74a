// Package search turns what a reader asks for (a query in the search
// language, a date range, structured filters) into the store.Filter that
// selects those events. The API, the web pages and the CLI read searches
// through it, so that one search means the same everywhere.
package search

import (
	"errors"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
)

// Ranges are the date presets: the last day, week or month.
var Ranges = map[string]time.Duration{"24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

// A Request is a search as asked. Empty fields select everything.
type Request struct {
	Q string // the search language
	// Range is a preset of Ranges, ending now; or From and To bound the
	// events' timestamps, From <= t < To.
	Range    string
	From, To time.Time
	// Structured filters, each one term of the language with its value
	// taken literally.
	Category, Actor, ActorType, Target string
}

// An Error says what is wrong with one field of a Request; for Q, Err
// is the parser's *query.Error, with its position.
type Error struct {
	Field string
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ErrNoMatch says a search can match no event, so the store need not be
// asked.
var ErrNoMatch = errors.New("the search matches no event")

// Filter returns the filter selecting the events req asks for, as of
// now, with event patterns expanded over cat's types (see ExpandEvents).
// A search that can match nothing is ErrNoMatch; a bad field, *Error.
func Filter(req Request, now time.Time, cat *event.Catalog) (store.Filter, error) {
	var f store.Filter
	now = now.UTC()
	q, err := query.Parse(req.Q, now)
	if err != nil {
		return f, &Error{"q", err}
	}
	for _, fp := range []struct{ field, qualifier, value string }{
		{"category", "category", req.Category},
		{"actor", "actor", req.Actor},
		{"actor_type", "actor_type", req.ActorType},
		{"target", "target", req.Target},
	} {
		if fp.value == "" {
			continue
		}
		t, err := query.Parse(fp.qualifier+":"+Literal(fp.value), now)
		if err != nil || len(t.Terms) != 1 {
			msg := "not a valid " + fp.field
			if qe, ok := err.(*query.Error); ok {
				msg = qe.Msg
			}
			return f, &Error{fp.field, errors.New(msg)}
		}
		q.Terms = append(q.Terms, t.Terms[0])
	}
	if len(q.Terms) > query.MaxTerms {
		return f, &Error{"q", errors.New("too many terms with the filters added")}
	}
	if !req.From.IsZero() {
		f.Since = req.From.UTC()
	}
	if !req.To.IsZero() {
		f.Until = req.To.UTC()
	}
	if req.Range != "" {
		d, ok := Ranges[req.Range]
		if !ok {
			return f, &Error{"range", errors.New("want 24h, 7d or 30d")}
		}
		if !f.Since.IsZero() {
			return f, &Error{"range", errors.New("give range or from, not both")}
		}
		f.Since = now.Add(-d)
	}
	if ExpandEvents(q, cat) {
		return f, ErrNoMatch
	}
	if len(q.Terms) > 0 {
		f.Query = q
	}
	return f, nil
}

// Literal quotes v as a value of the search language that matches v
// itself: no wildcard, no list.
func Literal(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `*`, `\*`)
	return `"` + r.Replace(v) + `"`
}

// ExpandEvents replaces event patterns (event:*.deleted) with the event
// types of cat they match, so that a backend can use its index on the
// event type rather than test every event. Every stored event's type is
// in the catalog (types are refused unless registered, and never
// unregistered), so the answer does not change. A pattern matching more
// types than a list may hold is left as it is. It reports whether the
// query can match nothing at all: a term whose patterns match no type.
func ExpandEvents(q *query.Query, cat *event.Catalog) (none bool) {
	types := cat.Types()
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

package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/search"
)

// logsParams are the state of the Audit Logs page, all of it in its URL,
// so that a view can be bookmarked, shared and gone back to.
type logsParams struct {
	Q string // the search box
	// Range is a preset (24h, 7d, 30d) or "custom", with From and To as
	// the form's datetime-local values, in UTC, both minutes included.
	Range, From, To string
	// The filters beside the search box.
	Category, Actor, ActorType, Target string
	Limit                              int
	Cursor                             string
	Event                              string // the seq of the event shown in the panel
}

const (
	defaultRange = "7d"
	defaultLimit = 50
	localMinute  = "2006-01-02T15:04" // the form of <input type=datetime-local>
)

// pageSizes are the page sizes offered.
var pageSizes = []int{25, 50, 100, 200}

// presets are the date presets, in the order offered.
var presets = []struct{ ID, Name string }{
	{"24h", "Last 24 hours"}, {"7d", "Last 7 days"}, {"30d", "Last 30 days"}, {"custom", "Custom range"},
}

func readLogsParams(r *http.Request) logsParams {
	q := r.URL.Query()
	p := logsParams{
		Q: q.Get("q"), Range: q.Get("range"), From: q.Get("from"), To: q.Get("to"),
		Category: q.Get("category"), Actor: q.Get("actor"), ActorType: q.Get("actor_type"), Target: q.Get("target"),
		Cursor: q.Get("cursor"), Event: q.Get("event"),
	}
	if p.Range == "" {
		p.Range = defaultRange
		if p.From != "" || p.To != "" {
			p.Range = "custom"
		}
	}
	p.Limit = defaultLimit
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && slices.Contains(pageSizes, n) {
		p.Limit = n
	}
	return p
}

// values is p as URL parameters, leaving out what is at its default.
func (p logsParams) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("q", p.Q)
	if p.Range != defaultRange {
		set("range", p.Range)
	}
	if p.Range == "custom" {
		set("from", p.From)
		set("to", p.To)
	}
	set("category", p.Category)
	set("actor", p.Actor)
	set("actor_type", p.ActorType)
	set("target", p.Target)
	if p.Limit != defaultLimit {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	set("cursor", p.Cursor)
	set("event", p.Event)
	return v
}

// link is the URL of path with p's parameters, and the viewer token if
// the page was opened with one, so that links keep it.
func (p logsParams) link(path, viewer string) string {
	v := p.values()
	if viewer != "" {
		v.Set("viewer_token", viewer)
	}
	return path + queryString(v)
}

// bounds are the timestamps the range selects, From <= t < To; a zero
// To is open (up to now and beyond).
func (p logsParams) bounds(now time.Time) (from, to time.Time, err error) {
	if d, ok := search.Ranges[p.Range]; ok {
		return now.Add(-d), time.Time{}, nil
	}
	if p.Range != "custom" {
		return time.Time{}, time.Time{}, errors.New("choose a date range")
	}
	if p.From != "" {
		if from, err = time.Parse(localMinute, p.From); err != nil {
			return from, to, errors.New("the start of the range is not a date and time")
		}
	}
	if p.To != "" {
		if to, err = time.Parse(localMinute, p.To); err != nil {
			return from, to, errors.New("the end of the range is not a date and time")
		}
		to = to.Add(time.Minute) // its whole minute is in the range
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return from, to, errors.New("the range ends before it starts")
	}
	return from, to, nil
}

// search is the query the API is asked: the search box's, then each
// filter as a term matching its value literally. The box comes first, so
// that a position in an error is a position in the box.
func (p logsParams) search() string {
	terms := []string{strings.TrimSpace(p.Q)}
	for _, f := range []struct{ qualifier, value string }{
		{"category", p.Category}, {"actor", p.Actor}, {"actor_type", p.ActorType}, {"target", p.Target},
	} {
		if f.value != "" {
			terms = append(terms, f.qualifier+":"+search.Literal(f.value))
		}
	}
	return strings.TrimSpace(strings.Join(terms, " "))
}

// A chip is an active filter, shown with a link that removes it.
type chip struct {
	Label  string // what it means, "Actor is bob@example.com"
	Remove string // the page's URL without it
}

// chips are p's active filters: each filter, and each term of the search
// box, parsed.
func (p logsParams) chips(self, viewer string, now time.Time) []chip {
	var out []chip
	for _, f := range []struct {
		label string
		value string
		clear func(*logsParams)
	}{
		{"Category is ", categoryName(p.Category), func(p *logsParams) { p.Category = "" }},
		{"Actor is ", p.Actor, func(p *logsParams) { p.Actor = "" }},
		{"Actor type is ", actorTypeName(p.ActorType), func(p *logsParams) { p.ActorType = "" }},
		{"Target is ", p.Target, func(p *logsParams) { p.Target = "" }},
	} {
		if f.value == "" {
			continue
		}
		q := p
		f.clear(&q)
		q.Cursor, q.Event = "", ""
		out = append(out, chip{Label: f.label + f.value, Remove: q.link(self, viewer)})
	}
	parsed, err := query.Parse(p.Q, now)
	if err != nil {
		return out
	}
	for i, t := range parsed.Terms {
		rest := &query.Query{Terms: slices.Delete(slices.Clone(parsed.Terms), i, i+1)}
		q := p
		q.Q, q.Cursor, q.Event = rest.String(), "", ""
		out = append(out, chip{Label: termLabel(t), Remove: q.link(self, viewer)})
	}
	return out
}

// termLabel says what a term of the search language means.
func termLabel(t query.Term) string {
	s := t.String()
	if t.Negated {
		return "Not " + strings.TrimPrefix(s, "-")
	}
	return s
}

// actorTypeName names an actor type as the filter offers it.
func actorTypeName(t string) string {
	switch t {
	case "user":
		return "any user"
	case "api_key":
		return "API key"
	case "system":
		return "System"
	}
	return t
}

// queryString is "?"+v's encoding, or "" when v is empty.
func queryString(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

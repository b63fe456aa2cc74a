package web

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/search"
)

// A row is one event in the table.
type row struct {
	Seq      int64
	Time     time.Time
	Actor    actorView
	Event    string
	Category string
	Summary  string // one line on what happened
	Target   string
	TargetOf string // the target's type
	IP       string
	Open     string // the page with this event in the panel
	Part     string // the panel alone, for the page's script
	// Links that narrow (Only) or widen (Not) the search by a cell's value.
	OnlyActor, NotActor, OnlyEvent, NotEvent, OnlyTarget, NotTarget string
}

// An actorView is who did it, as the table shows them.
type actorView struct {
	Type     string // user, api_key, system
	Name     string // the name, else the email, else the id
	Detail   string // the email and id, for the title
	Initials string
	Value    string // what actor: matches
}

func (h *Web) rowOf(o *orgView, e *client.Event, p logsParams) row {
	self := orgPath(o.Base.Org.ID, "/audit-logs")
	open := p
	open.Event = strconv.FormatInt(e.Seq, 10)
	rw := row{
		Seq: e.Seq, Time: e.Timestamp, Actor: actorOf(e.Actor), Event: e.Event, Category: e.Category,
		Summary: summary(e), Target: targetName(e.Target), TargetOf: e.Target.Type, IP: e.IP,
		Open: open.link(self, o.Base.Viewer),
		Part: addViewer(self+"/events/"+strconv.FormatInt(e.Seq, 10)+"?part=1", o.Base.Viewer),
	}
	narrow := func(term string, negate bool) string {
		q := p
		q.Cursor, q.Event = "", ""
		if negate {
			term = "-" + term
		}
		q.Q = strings.TrimSpace(q.Q + " " + term)
		return q.link(self, o.Base.Viewer)
	}
	if rw.Actor.Value != "" {
		rw.OnlyActor, rw.NotActor = narrow("actor:"+quoteValue(rw.Actor.Value), false), narrow("actor:"+quoteValue(rw.Actor.Value), true)
	}
	rw.OnlyEvent, rw.NotEvent = narrow("event:"+e.Event, false), narrow("event:"+e.Event, true)
	if id := e.Target.ID; id != "" {
		rw.OnlyTarget, rw.NotTarget = narrow("target:"+quoteValue(id), false), narrow("target:"+quoteValue(id), true)
	}
	return rw
}

// quoteValue writes v as a value of the search language matching itself:
// bare when it can be, for readable URLs, else as search.Literal.
func quoteValue(v string) string {
	plain := v != ""
	for _, r := range v {
		if !(r == '@' || r == '.' || r == '-' || r == '_' || r == '+' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			plain = false
		}
	}
	if plain {
		return v
	}
	return search.Literal(v)
}

func actorOf(a client.Actor) actorView {
	v := actorView{Type: a.Type, Name: a.Name}
	if v.Type == "" {
		v.Type = "user"
	}
	if v.Name == "" {
		v.Name = a.Email
	}
	if v.Name == "" {
		v.Name = a.ID
	}
	if v.Name == "" {
		v.Name = "(erased)"
	}
	var parts []string
	for _, s := range []string{a.Email, a.ID} {
		if s != "" && s != v.Name {
			parts = append(parts, s)
		}
	}
	v.Detail = strings.Join(parts, " · ")
	v.Initials = initials(a.Name, a.Email)
	v.Value = a.Email
	if v.Value == "" {
		v.Value = a.ID
	}
	return v
}

func targetName(t client.Target) string {
	switch {
	case t.Name != "" && t.ID != "" && t.Name != t.ID:
		return t.Name + " (" + t.ID + ")"
	case t.Name != "":
		return t.Name
	}
	return t.ID
}

// A change is one field an event changed, old → new.
type change struct {
	Field    string
	Old, New string
	HasOld   bool
}

// changes pairs the details' old_X/new_X and previous_X/X members: what
// an event says it changed.
func changes(details map[string]any) []change {
	var out []change
	for k, nv := range details {
		var field, oldKey string
		switch {
		case strings.HasPrefix(k, "new_"):
			field = strings.TrimPrefix(k, "new_")
			oldKey = "old_" + field
		case details["previous_"+k] != nil:
			field, oldKey = k, "previous_"+k
		default:
			continue
		}
		ov, ok := details[oldKey]
		out = append(out, change{Field: field, Old: scalar(ov), New: scalar(nv), HasOld: ok})
	}
	slices.SortFunc(out, func(a, b change) int { return strings.Compare(a.Field, b.Field) })
	return out
}

// summary is a line on what e did: its changes, else its notable details.
func summary(e *client.Event) string {
	d := detailsMap(e.Details)
	if cs := changes(d); len(cs) > 0 {
		var parts []string
		for _, c := range cs {
			parts = append(parts, c.Field+": "+orNone(c.Old)+" → "+orNone(c.New))
		}
		return strings.Join(parts, "; ")
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		if s := scalar(d[k]); s != "" && len(parts) < 3 {
			parts = append(parts, k+": "+s)
		}
	}
	return strings.Join(parts, " · ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// scalar is valueText(v) cut at 120 characters, for a line of summary.
func scalar(v any) string {
	s := valueText(v)
	if r := []rune(s); len(r) > 120 {
		s = string(r[:119]) + "…"
	}
	return s
}

// valueText is a detail's value as text: a string as itself, null as
// nothing, anything else as compact JSON.
func valueText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

package search

import (
	"errors"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/query"
)

func TestFilter(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	cat := event.Default()
	for _, tt := range []struct {
		name  string
		req   Request
		field string // the field of an *Error; "" for none
		none  bool   // ErrNoMatch
		terms int
		since time.Time
	}{
		{name: "empty", req: Request{}},
		{name: "range", req: Request{Range: "7d"}, since: now.Add(-7 * 24 * time.Hour)},
		{name: "bad range", req: Request{Range: "1y"}, field: "range"},
		{name: "range and from", req: Request{Range: "24h", From: now}, field: "range"},
		{name: "syntax", req: Request{Q: "actor:"}, field: "q"},
		{name: "filters", req: Request{Q: "event:auth.login", Category: "auth", Actor: `a"b*`, ActorType: "user", Target: "t"}, terms: 5},
		{name: "bad actor type", req: Request{ActorType: "robot"}, field: "actor_type"},
		{name: "pattern expanded", req: Request{Q: "event:*.deleted"}, terms: 1},
		{name: "pattern matching nothing", req: Request{Q: "event:nothing.*"}, none: true},
		{name: "negated pattern matching nothing", req: Request{Q: "-event:nothing.*"}},
	} {
		f, err := Filter(tt.req, now, cat)
		var se *Error
		switch {
		case tt.field != "":
			if !errors.As(err, &se) || se.Field != tt.field {
				t.Errorf("%s: Filter = %v, want an error of field %s", tt.name, err, tt.field)
			}
			continue
		case tt.none:
			if !errors.Is(err, ErrNoMatch) {
				t.Errorf("%s: Filter = %v, want ErrNoMatch", tt.name, err)
			}
			continue
		case err != nil:
			t.Errorf("%s: Filter = %v", tt.name, err)
			continue
		}
		n := 0
		if f.Query != nil {
			n = len(f.Query.Terms)
		}
		if n != tt.terms || !f.Since.Equal(tt.since) {
			t.Errorf("%s: Filter = %d terms since %v, want %d since %v", tt.name, n, f.Since, tt.terms, tt.since)
		}
	}
	// A syntax error keeps the parser's position.
	_, err := Filter(Request{Q: "event:x acter:y"}, now, cat)
	var qe *query.Error
	if !errors.As(err, &qe) || qe.Pos != 9 {
		t.Errorf("Filter(acter:) = %v, want the parser's error at position 9", err)
	}
	// An expanded pattern lists exactly the deletion types.
	f, _ := Filter(Request{Q: "event:*.deleted"}, now, cat)
	for _, v := range f.Query.Terms[0].Values {
		if name, ok := v.Exact(); !ok || len(name) < 8 || name[len(name)-8:] != ".deleted" {
			t.Errorf("event:*.deleted expanded to %v", f.Query.Terms[0].Values)
		}
	}
}

func TestLiteral(t *testing.T) {
	for _, v := range []string{"bob@example.com", `a "quoted" *star*`, `back\slash`, "a,b", "-neg"} {
		q, err := query.Parse("target:"+Literal(v), time.Now())
		if err != nil {
			t.Errorf("Literal(%q) = %s: %v", v, Literal(v), err)
			continue
		}
		if got, ok := q.Terms[0].Values[0].Exact(); !ok || got != v || len(q.Terms[0].Values) != 1 {
			t.Errorf("target:%s reads as %v, want exactly %q", Literal(v), q.Terms[0].Values, v)
		}
	}
}

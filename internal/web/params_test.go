package web

import (
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/query"
)

func TestLogsParamsRoundTrip(t *testing.T) {
	for _, p := range []logsParams{
		{Range: "7d", Limit: 50},
		{Range: "24h", Limit: 100, Q: `actor:"a b" -event:*.deleted`, Category: "finding"},
		{Range: "custom", From: "2026-01-01T00:00", To: "2026-01-31T23:59", Limit: 25, Cursor: "abc", Event: "12"},
		{Range: "30d", Limit: 200, Actor: "bob@example.com", ActorType: "system", Target: "p-1"},
	} {
		r := httptest.NewRequest("GET", "/x"+queryString(p.values()), nil)
		if got := readLogsParams(r); !reflect.DeepEqual(got, p) {
			t.Errorf("readLogsParams(values(%+v)) = %+v", p, got)
		}
	}
	// What is not offered falls back to the defaults.
	r := httptest.NewRequest("GET", "/x?limit=7&range=", nil)
	if got := readLogsParams(r); got.Limit != defaultLimit || got.Range != defaultRange {
		t.Errorf("limit=7 = %+v, want the defaults", got)
	}
	r = httptest.NewRequest("GET", "/x?from=2026-01-01T00:00", nil)
	if got := readLogsParams(r); got.Range != "custom" {
		t.Errorf("from without range = %q, want custom", got.Range)
	}
}

func TestBounds(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		p        logsParams
		from, to string
		err      bool
	}{
		{p: logsParams{Range: "24h"}, from: "2026-03-03T12:00:00Z"},
		{p: logsParams{Range: "30d"}, from: "2026-02-02T12:00:00Z"},
		// The end minute is included.
		{p: logsParams{Range: "custom", From: "2026-01-01T00:00", To: "2026-01-01T10:59"}, from: "2026-01-01T00:00:00Z", to: "2026-01-01T11:00:00Z"},
		{p: logsParams{Range: "custom", To: "2026-01-01T10:59"}, to: "2026-01-01T11:00:00Z"},
		{p: logsParams{Range: "custom", From: "2026-01-02T00:00", To: "2026-01-01T00:00"}, err: true},
		{p: logsParams{Range: "custom", From: "yesterday"}, err: true},
		{p: logsParams{Range: "1y"}, err: true},
	} {
		from, to, err := tt.p.bounds(now)
		if tt.err {
			if err == nil {
				t.Errorf("bounds(%+v) = %v %v, want an error", tt.p, from, to)
			}
			continue
		}
		if err != nil || format(from) != tt.from || format(to) != tt.to {
			t.Errorf("bounds(%+v) = %s %s %v, want %s %s", tt.p, format(from), format(to), err, tt.from, tt.to)
		}
	}
}

func format(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func TestSearchAndChips(t *testing.T) {
	now := time.Now()
	p := logsParams{Range: "7d", Limit: 50, Q: `event:auth.failed -actor_type:system`, Category: "auth", Target: `x"y*z`}
	q, err := query.Parse(p.search(), now)
	if err != nil {
		t.Fatalf("search() = %q: %v", p.search(), err)
	}
	if len(q.Terms) != 4 {
		t.Errorf("search() = %q: %d terms, want 4", p.search(), len(q.Terms))
	}
	// The target filter matches its value literally: no wildcard.
	if v, ok := q.Terms[3].Values[0].Exact(); !ok || v != `x"y*z` {
		t.Errorf("target term = %v, want the literal value", q.Terms[3])
	}
	chips := p.chips("/orgs/acme/audit-logs", "", now)
	var labels []string
	for _, c := range chips {
		labels = append(labels, c.Label)
		u, _ := url.Parse(c.Remove)
		rest := readLogsParams(httptest.NewRequest("GET", u.String(), nil))
		if rest == p {
			t.Errorf("chip %q removes nothing: %s", c.Label, c.Remove)
		}
	}
	want := []string{"Category is Authentication", `Target is x"y*z`, "event:auth.failed", "Not actor_type:system"}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("chips = %q, want %q", labels, want)
	}
	// Removing a term of the box keeps the others.
	u, _ := url.Parse(chips[2].Remove)
	if q := u.Query().Get("q"); q != "-actor_type:system" {
		t.Errorf("without the event chip q = %q", q)
	}
}

// FuzzQuoteValue: a value written by quoteValue reads back as itself,
// exactly, whatever it holds, so "filter by this" selects that value.
func FuzzQuoteValue(f *testing.F) {
	for _, s := range []string{"bob@example.com", "a b", `x"y`, `back\slash`, "*", "a,b", "-x", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if v == "" || strings.TrimSpace(v) != v {
			return
		}
		q, err := query.Parse("target:"+quoteValue(v), time.Now())
		if err != nil {
			return // values the language can't hold (control characters, too long)
		}
		got, ok := q.Terms[0].Values[0].Exact()
		if !ok || len(q.Terms) != 1 || len(q.Terms[0].Values) != 1 || !strings.EqualFold(got, v) {
			t.Fatalf("target:%s reads as %v, want %q", quoteValue(v), q.Terms, v)
		}
	})
}

func TestCutError(t *testing.T) {
	_, err := query.Parse("event:x acter:bob", time.Now())
	qe := cutError("event:x acter:bob", err)
	if qe.Before != "event:x " || qe.At != "a" || qe.After != "cter:bob" || !strings.Contains(qe.Message, "actor") {
		t.Errorf("cutError = %+v", qe)
	}
	// An error past the end highlights a space after the text.
	_, err = query.Parse("actor:", time.Now())
	if qe := cutError("actor:", err); qe.Before+qe.At+qe.After != "actor: " {
		t.Errorf("cutError at the end = %+v", qe)
	}
	_, err = query.Parse("é acter:x", time.Now())
	if qe := cutError("é acter:x", err); qe.Before != "é " || qe.At != "a" {
		t.Errorf("cutError counts characters, not bytes: %+v", qe)
	}
}

func TestLocalPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/orgs/acme/audit-logs?q=x": true,
		"/":                         true,
		"":                          false,
		"//evil.example":            false,
		"/\\evil.example":           false,
		"https://evil.example/":     false,
		"javascript:alert(1)":       false,
		"/a\r\nSet-Cookie: x":       false,
	} {
		if got := localPath(p); got != want {
			t.Errorf("localPath(%q) = %v, want %v", p, got, want)
		}
	}
}

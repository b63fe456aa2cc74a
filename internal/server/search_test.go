package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
)

// TestSearch: q, the date preset and the structured filters select
// events through the API, and a bad query is a 400 naming its position.
// (The store's query semantics are the conformance suite's to test; this
// is about the API around them.)
func TestSearch(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.org("acme", "enterprise")
	now := time.Now().UTC()
	user := func(email string) client.Actor { return client.Actor{Email: email} }
	entries := []client.Entry{
		{ID: "a", Timestamp: now.Add(-2 * time.Hour), Actor: user("bob@example.com"), Event: "finding.assigned", Target: &client.Target{Type: "finding", ID: "finding-1"}},
		{ID: "b", Timestamp: now.Add(-3 * time.Hour), Actor: user("alice@example.com"), Event: "project.deleted", Target: &client.Target{Type: "project", ID: "project-123"}},
		{ID: "c", Timestamp: now.Add(-4 * time.Hour), Actor: user("alice@example.com"), Event: "team.deleted", Target: &client.Target{Type: "team", ID: "team-*"}},
		{ID: "d", Timestamp: now.Add(-48 * time.Hour), Actor: user("bob@example.com"), Event: "auth.failed", IP: "203.0.113.9"},
		{ID: "e", Timestamp: now.Add(-10 * 24 * time.Hour), Actor: client.Actor{Type: "system", ID: "scanner"}, Event: "contract.scanned"},
	}
	if _, err := admin.Send(ctx, "acme", entries...); err != nil {
		t.Fatal(err)
	}
	ids := func(params string) []string {
		t.Helper()
		r := ts.do(request{method: "GET", path: "/v1/orgs/acme/events?limit=100&" + params, token: platformToken})
		if r.status != 200 {
			t.Fatalf("GET ?%s = %d %+v", params, r.status, r.err)
		}
		var out []string
		var list client.EventList
		if err := json.Unmarshal(r.body, &list); err != nil {
			t.Fatal(err)
		}
		for _, e := range list.Events {
			if len(e.ID) == 1 { // the test's own, not the key's creation
				out = append(out, e.ID)
			}
		}
		return out
	}
	q := func(s string) string { return "q=" + url.QueryEscape(s) }
	for _, tt := range []struct {
		params string
		want   []string
	}{
		{q("actor:bob@example.com event:finding.assigned"), []string{"a"}},
		{q("event:*.deleted"), []string{"b", "c"}},
		{q("-event:*.deleted actor_type:user"), []string{"a", "d"}},
		{q("event:*.nothing"), nil},
		{q("-event:*.nothing actor:alice@example.com"), []string{"b", "c"}},
		{"range=24h", []string{"a", "b", "c"}},
		{"range=7d&" + q("actor:bob@example.com"), []string{"a", "d"}},
		{"category=project", []string{"b"}},
		{"actor=BOB@example.com", []string{"a", "d"}},
		{"actor_type=system", []string{"e"}},
		{"target=team-*", []string{"c"}}, // the star of a filter is literal
		{"target=team-x", nil},
		{"actor=alice@example.com&category=team", []string{"c"}},
	} {
		if got := ids(tt.params); !slices.Equal(got, tt.want) {
			t.Errorf("?%s = %v, want %v", tt.params, got, tt.want)
		}
	}

	r := ts.do(request{method: "GET", path: "/v1/orgs/acme/events?" + q("event:auth.failed actor:"), token: platformToken})
	if r.status != 400 || r.err.Code != "invalid_query" || r.err.Field != "q" || !strings.HasPrefix(r.err.Message, "position 25: ") {
		t.Errorf("a bad query = %d %+v, want 400 invalid_query at position 25", r.status, r.err)
	}

	// Pages of a search hold every match once.
	var got []string
	cursor := ""
	for range 10 {
		page, err := admin.ListEvents(ctx, "acme", client.ListOptions{Query: "actor_type:user", Limit: 1, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			got = append(got, e.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != "[a b c d]" {
		t.Errorf("paged search = %v, want [a b c d]", got)
	}
}

// TestFacetsAndHistogram: the counts honour the same filter as the list.
func TestFacetsAndHistogram(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.org("acme", "enterprise")
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -3)
	var entries []client.Entry
	for i := range 12 {
		e := client.Entry{ID: fmt.Sprint(i), Timestamp: day.Add(time.Duration(i) * 5 * time.Hour),
			Actor: client.Actor{Email: fmt.Sprintf("user%d@example.com", i%3)}, Event: "auth.login"}
		if i%4 == 0 {
			e.Event, e.Target = "project.deleted", &client.Target{ID: fmt.Sprintf("project-%d", i%8)}
		}
		entries = append(entries, e)
	}
	if _, err := admin.Send(ctx, "acme", entries...); err != nil {
		t.Fatal(err)
	}
	fc, err := admin.Facets(ctx, "acme", client.SearchOptions{Query: "-category:settings"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := `12 [{auth 9} {project 3}] [{auth.login 9} {project.deleted 3}] [{user0@example.com 4} {user1@example.com 4}] [{project-0 2} {project-4 1}]`
	if got := fmt.Sprint(fc.Total, fc.Categories, fc.Events, fc.Actors, fc.Targets); got != want {
		t.Errorf("facets = %s\nwant     %s", got, want)
	}
	fc, err = admin.Facets(ctx, "acme", client.SearchOptions{Query: "event:*.deleted"}, 0)
	if err != nil || fc.Total != 3 || len(fc.Categories) != 1 {
		t.Errorf("facets of deletions = %+v, %v", fc, err)
	}

	h, err := admin.Histogram(ctx, "acme", client.SearchOptions{Query: "actor:user0@example.com", From: day, To: day.Add(72 * time.Hour)}, "day")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range h.Buckets {
		got = append(got, fmt.Sprintf("%s:%d:%v", b.Start.Format("01-02"), b.Count, b.ByCategory))
	}
	// user0 is events 0, 3, 6, 9: hours 0, 15, 30, 45 from day; 0 and 6
	// are project deletions... only 0 (i%4==0) is.
	wantH := fmt.Sprintf("[%s:2:map[auth:1 project:1] %s:2:map[auth:2] %s:0:map[]]",
		day.Format("01-02"), day.AddDate(0, 0, 1).Format("01-02"), day.AddDate(0, 0, 2).Format("01-02"))
	if fmt.Sprint(got) != wantH || h.Bucket != "day" {
		t.Errorf("histogram = %v (%s)\nwant        %s", got, h.Bucket, wantH)
	}
	h, err = admin.Histogram(ctx, "acme", client.SearchOptions{Range: "24h"}, "")
	if err != nil || h.Bucket != "hour" || len(h.Buckets) < 24 || len(h.Buckets) > 25 {
		t.Errorf("histogram of the last 24h = %s with %d buckets, %v; want hourly", h.Bucket, len(h.Buckets), err)
	}
	for _, tt := range []struct{ path, field string }{
		{"/v1/orgs/acme/events/histogram?bucket=week", "bucket"},
		{"/v1/orgs/acme/events/histogram?bucket=hour&from=2000-01-01T00:00:00Z", "bucket"},
		{"/v1/orgs/acme/events/facets?top=1000", "top"},
		{"/v1/orgs/acme/events/facets?q=actor:", "q"},
	} {
		if r := ts.do(request{method: "GET", path: tt.path, token: platformToken}); r.status != 400 || r.err.Field != tt.field {
			t.Errorf("GET %s = %d %+v, want 400 on %s", tt.path, r.status, r.err, tt.field)
		}
	}
}

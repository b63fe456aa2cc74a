package simulate

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/event"
)

// The dev server's data: 50,000 events over the 60 days before end.
var (
	end     = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	devCfg  = Config{Seed: 1, Start: end.Add(-60 * 24 * time.Hour), End: end}
	history = sync.OnceValue(func() []client.Entry { return New(devCfg).History(50000) })
)

func TestHistoryParses(t *testing.T) {
	entries := history()
	if len(entries) != 50000 {
		t.Fatalf("History(50000) made %d entries", len(entries))
	}
	categories := map[string]int{}
	for i := 0; i < len(entries); i += event.MaxBatchEvents {
		batch := entries[i:min(i+event.MaxBatchEvents, len(entries))]
		body, err := json.Marshal(client.EntryBatch{Events: batch})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := event.ParseBatch(body, end, nil)
		if err != nil {
			t.Fatalf("ParseBatch(entries[%d:]) error = %v", i, err)
		}
		if len(recs) != len(batch) {
			t.Fatalf("ParseBatch(entries[%d:]) = %d records, want %d", i, len(recs), len(batch))
		}
		for j, r := range recs {
			e := batch[j]
			if r.ID != e.ID || r.Event != e.Event || !r.Timestamp.Equal(e.Timestamp) || r.Actor != e.Actor {
				t.Errorf("entry %s parsed as %s %s %v %+v", e.ID, r.ID, r.Event, r.Timestamp, r.Actor)
			}
			categories[r.Category]++
		}
	}
	for _, c := range []string{"auth", "member", "team", "project", "contract", "finding", "settings"} {
		if categories[c] == 0 {
			t.Errorf("no events of category %s", c)
		}
	}
	if n := categories["audit"]; n != 0 {
		t.Errorf("%d events of category audit, Stele's own", n)
	}
}

// wantTarget is the target type of each event type the story uses ("" is
// none), and wantDetails the detail keys each may have.
var (
	wantTarget = map[string]string{
		"auth.login": "", "auth.logout": "", "auth.failed": "", "auth.mfa_enabled": "", "auth.password_changed": "",
		"member.invited": "member", "member.joined": "member", "member.removed": "member", "member.role_changed": "member",
		"team.created": "team", "team.deleted": "team", "team.member_added": "member", "team.member_removed": "member",
		"project.created": "project", "project.deleted": "project",
		"project.access_granted": "member", "project.access_revoked": "member",
		"contract.uploaded": "contract", "contract.deleted": "contract", "contract.scanned": "contract",
		"finding.status_changed": "finding", "finding.assigned": "finding", "finding.commented": "finding",
		"org.settings_changed": "settings", "org.billing_updated": "settings",
		"api_key.created": "api_key", "api_key.revoked": "api_key",
	}
	wantDetails = map[string][]string{
		"auth.login":             {"method", "mfa"},
		"auth.logout":            {"reason"},
		"auth.failed":            {"email", "reason"},
		"auth.mfa_enabled":       {"method"},
		"auth.password_changed":  {"method", "reason"},
		"member.invited":         {"email", "role"},
		"member.joined":          {"email", "role"},
		"member.removed":         {"email", "role"},
		"member.role_changed":    {"email", "old_role", "new_role"},
		"team.created":           {"privacy"},
		"team.deleted":           {"members"},
		"team.member_added":      {"team_id", "team_name"},
		"team.member_removed":    {"team_id", "team_name"},
		"project.created":        {"team_id", "team_name", "visibility"},
		"project.deleted":        {"contracts"},
		"project.access_granted": {"project_id", "project_name", "permission"},
		"project.access_revoked": {"project_id", "project_name"},
		"contract.uploaded":      {"project_id", "project_name", "version", "compiler", "lines"},
		"contract.deleted":       {"project_id", "project_name", "version"},
		"contract.scanned":       {"project_id", "version", "trigger", "findings", "critical", "high", "duration_ms", "engine"},
		"finding.status_changed": {"old_status", "new_status", "severity", "reason", "contract_id", "project_id"},
		"finding.assigned":       {"assignee", "previous_assignee", "severity", "contract_id", "project_id"},
		"finding.commented":      {"comment", "comment_id", "contract_id", "project_id"},
		"org.settings_changed":   {"setting", "old_value", "new_value"},
		"org.billing_updated":    {"change", "plan", "old_seats", "new_seats", "card_brand", "card_last4", "billing_email", "billing_name"},
		"api_key.created":        {"scopes", "expires_in_days"},
		"api_key.revoked":        {"reason"},
	}
	// The documentation ranges (RFC 5737, RFC 3849).
	docRanges = []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("2001:db8::/32"),
	}
)

// TestShape checks each entry on its own: a catalog type, an actor and a
// target of the right forms, details that fit the type, addresses from
// the documentation ranges.
func TestShape(t *testing.T) {
	catalog := event.Default()
	actorTypes := map[string]int{}
	for _, e := range history() {
		typ, ok := catalog.Lookup(e.Event)
		if !ok {
			t.Fatalf("%s: event type %q not in the catalog", e.ID, e.Event)
		}
		want, ok := wantTarget[e.Event]
		if !ok {
			t.Fatalf("%s: event type %q not expected", e.ID, e.Event)
		}
		switch {
		case want == "" && e.Target != nil:
			t.Errorf("%s: %s has a target %+v", e.ID, e.Event, *e.Target)
		case want != "" && (e.Target == nil || e.Target.Type != want || e.Target.ID == "" || e.Target.Name == ""):
			t.Errorf("%s: %s target = %+v, want type %s with id and name", e.ID, e.Event, e.Target, want)
		case typ.PersonalTarget && want != "member":
			t.Errorf("%s: %s has a personal target of type %s", e.ID, e.Event, want)
		}
		for k := range e.Details {
			if !slices.Contains(wantDetails[e.Event], k) {
				t.Errorf("%s: %s has detail %q", e.ID, e.Event, k)
			}
		}
		a := e.Actor
		actorTypes[a.Type]++
		switch a.Type {
		case event.ActorUser:
			if a.Email == "" || (a.ID == "" || a.Name == "") && e.Event != "auth.failed" {
				t.Errorf("%s: user actor %+v lacks an id, email or name", e.ID, a)
			}
		case event.ActorAPIKey, event.ActorSystem:
			if a.ID == "" || a.Name == "" || a.Email != "" {
				t.Errorf("%s: actor %+v", e.ID, a)
			}
		default:
			t.Errorf("%s: actor type %q", e.ID, a.Type)
		}
		if (e.IP == "") != (a.Type == event.ActorSystem) || (e.UserAgent == "") != (e.IP == "") {
			t.Errorf("%s: %s actor %s: ip_address %q, user_agent %q", e.ID, e.Event, a.Type, e.IP, e.UserAgent)
		}
		if e.IP != "" {
			ip, err := netip.ParseAddr(e.IP)
			if err != nil || !slices.ContainsFunc(docRanges, func(p netip.Prefix) bool { return p.Contains(ip) }) {
				t.Errorf("%s: ip_address %q is not in a documentation range", e.ID, e.IP)
			}
		}
	}
	for _, typ := range []string{event.ActorUser, event.ActorAPIKey, event.ActorSystem} {
		if actorTypes[typ] == 0 {
			t.Errorf("no events by actors of type %s", typ)
		}
	}
}

func TestDeterminism(t *testing.T) {
	a, b := New(devCfg).History(3000), New(devCfg).History(3000)
	if !reflect.DeepEqual(a, b) {
		t.Error("History of one Config differs between runs")
	}
	other := devCfg
	other.Seed = 2
	c := New(other).History(3000)
	same := 0
	for i := range a {
		if a[i].Event == c[i].Event && a[i].Actor == c[i].Actor && a[i].Timestamp.Equal(c[i].Timestamp) {
			same++
		}
	}
	if same > len(a)/10 {
		t.Errorf("seeds 1 and 2 agree on %d of %d events", same, len(a))
	}

	// Next depends on the seed and the count, not on the times it is given.
	x, y, z := New(devCfg), New(devCfg), New(other)
	differ := 0
	for i := range 5000 {
		at := end.Add(time.Duration(i) * time.Second)
		ex, ey, ez := x.Next(at), y.Next(at.Add(time.Duration(i)*time.Hour)), z.Next(at)
		ey.Timestamp = at
		if !reflect.DeepEqual(ex, ey) {
			t.Fatalf("Next #%d of one Config differs between runs: %+v and %+v", i, ex, ey)
		}
		if ex.Timestamp != at {
			t.Fatalf("Next(%v) stamped %v", at, ex.Timestamp)
		}
		if ex.Event != ez.Event || ex.Actor != ez.Actor {
			differ++
		}
	}
	if differ < 4000 {
		t.Errorf("Next of seeds 1 and 2 differ in only %d of 5000 events", differ)
	}
}

func TestTimestamps(t *testing.T) {
	entries := history()
	for i, e := range entries {
		if e.Timestamp.Before(devCfg.Start) || !e.Timestamp.Before(devCfg.End) {
			t.Fatalf("%s: timestamp %v outside [%v, %v)", e.ID, e.Timestamp, devCfg.Start, devCfg.End)
		}
		if i > 0 && e.Timestamp.Before(entries[i-1].Timestamp) {
			t.Fatalf("%s: timestamp %v before the previous entry's, %v", e.ID, e.Timestamp, entries[i-1].Timestamp)
		}
		if e.Timestamp.Location() != time.UTC {
			t.Fatalf("%s: timestamp %v not in UTC", e.ID, e.Timestamp)
		}
	}
	// Spread over the whole range: every day has events, the last day too.
	days := map[int]int{}
	for _, e := range entries {
		days[int(e.Timestamp.Sub(devCfg.Start)/(24*time.Hour))]++
	}
	for d := range 60 {
		if days[d] == 0 {
			t.Errorf("no events on day %d of 60", d)
		}
	}
	// Busier on weekdays: the mean weekday has three times the events of
	// the mean weekend day, but weekends are not empty.
	var weekday, weekend [2]int // events, days
	for d := range 60 {
		i := 0
		if wd := devCfg.Start.Add(time.Duration(d)*24*time.Hour + 12*time.Hour).Weekday(); wd == time.Saturday || wd == time.Sunday {
			i = 1
		}
		weekday[i] += days[d] // weekday[1] holds the weekends'
		weekend[i]++
	}
	wdMean, weMean := float64(weekday[0])/float64(weekend[0]), float64(weekday[1])/float64(weekend[1])
	if wdMean < 3*weMean || weMean == 0 {
		t.Errorf("%.0f events on the mean weekday, %.0f on the mean weekend day", wdMean, weMean)
	}
}

func TestIDsUnique(t *testing.T) {
	s := New(devCfg)
	entries := s.History(20000)
	for i := range 20000 {
		entries = append(entries, s.Next(end.Add(time.Duration(i)*time.Millisecond)))
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.ID] {
			t.Fatalf("id %s made twice", e.ID)
		}
		seen[e.ID] = true
	}
	if id := entries[0].ID; id != "sim-1-1" {
		t.Errorf("first id = %s, want sim-1-1", id)
	}
}

// TestMix checks that the story has in it what a newcomer should find:
// password-guessing bursts, sign-ins out of hours, role changes and
// deletions, machines at work.
func TestMix(t *testing.T) {
	entries := history()
	count := map[string]int{}
	for _, e := range entries {
		count[e.Event]++
	}
	for _, typ := range []string{
		"member.role_changed", "member.removed", "project.deleted", "contract.deleted", "team.deleted",
		"api_key.revoked", "org.settings_changed", "org.billing_updated", "auth.mfa_enabled", "auth.password_changed",
	} {
		if count[typ] == 0 {
			t.Errorf("no %s events", typ)
		}
	}
	if n := count["auth.login"]; n < len(entries)/20 {
		t.Errorf("%d logins in %d events", n, len(entries))
	}

	// Bursts: 5 or more failures against one account within 10 minutes.
	failures := map[string][]time.Time{}
	bursts := map[string]bool{}
	for _, e := range entries {
		if e.Event != "auth.failed" {
			continue
		}
		f := append(failures[e.Actor.Email], e.Timestamp)
		failures[e.Actor.Email] = f
		if len(f) >= 5 && e.Timestamp.Sub(f[len(f)-5]) <= 10*time.Minute {
			bursts[e.Actor.Email] = true
		}
	}
	if len(bursts) < 3 {
		t.Errorf("failed sign-in bursts against %d accounts, want 3 or more", len(bursts))
	}

	// Out of hours: weekend sign-ins (any time zone's weekend at 08:00 to
	// 16:00 UTC) are a few percent of all.
	var logins, weekend int
	for _, e := range entries {
		if e.Event != "auth.login" {
			continue
		}
		logins++
		if wd, h := e.Timestamp.Weekday(), e.Timestamp.Hour(); (wd == time.Saturday || wd == time.Sunday) && h >= 8 && h < 16 {
			weekend++
		}
	}
	if weekend < logins/100 || weekend > logins/5 {
		t.Errorf("%d of %d sign-ins on weekend days, want a few percent", weekend, logins)
	}
}

func TestStory(t *testing.T) {
	if err := checkStory(history()); err != nil {
		t.Error(err)
	}
}

// TestNext runs the story for longer than History does, through Next,
// checking that it stays coherent and that the world stays the size of
// one organization.
func TestNext(t *testing.T) {
	s := New(Config{Seed: 7, Members: 25})
	var entries []client.Entry
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range 300000 {
		entries = append(entries, s.Next(at.Add(time.Duration(i)*time.Second)))
	}
	if err := checkStory(entries); err != nil {
		t.Error(err)
	}
	body, err := json.Marshal(client.EntryBatch{Events: entries[len(entries)-event.MaxBatchEvents:]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := event.ParseBatch(body, entries[len(entries)-1].Timestamp, nil); err != nil {
		t.Errorf("ParseBatch(last Next events) error = %v", err)
	}
	for _, b := range []struct {
		what     string
		got, max int
	}{
		{"members", len(s.members), 25 * 2},
		{"open findings", len(s.open), 25 * 12},
		{"pending events", len(s.queue), 25 * 10},
		{"projects", len(s.projects), maxProjects},
		{"teams", len(s.teams), maxTeams},
		{"api keys", len(s.keys), maxKeys + 2},
	} {
		if b.got > b.max {
			t.Errorf("after 300,000 events of Next: %d %s, want at most %d", b.got, b.what, b.max)
		}
	}
}

// TestGoneStaysGone removes a member in the middle of a session and
// deletes a contract with a scan under way, as the story rarely does, and
// checks that neither shows up again.
func TestGoneStaysGone(t *testing.T) {
	s := New(Config{Seed: 3})
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var m *member
	var c *contract
	for i := 0; m == nil || c == nil; i++ {
		if i == 100000 {
			t.Fatal("no session and scan under way in 100,000 events")
		}
		s.Next(at)
		m, c = nil, nil
		for _, p := range s.queue {
			switch {
			case p.kind == kAction && p.m.role != owner:
				m = p.m
			case p.kind == kScan:
				c = p.c
			}
		}
	}
	s.dropMember(m)
	c.alive = false
	c.project.contracts = without(c.project.contracts, c)
	for range 20000 {
		e := s.Next(at)
		if e.Actor.ID == m.id || e.Target != nil && (e.Target.ID == m.id || e.Target.ID == c.id) || e.Details["contract_id"] == c.id {
			t.Fatalf("%s: %s by %s to %+v after %s was removed and %s deleted", e.ID, e.Event, e.Actor.ID, e.Target, m.id, c.id)
		}
	}
}

// checkStory checks that entries, in order, tell a coherent story.
// Members present from the start (never invited in entries) may act from
// the first event.
func checkStory(entries []client.Entry) error {
	type person struct {
		invited, joined, removed bool
		role                     string
		addresses                []string // signed in from
	}
	people := map[string]*person{}
	get := func(id string) *person {
		p := people[id]
		if p == nil {
			p = &person{}
			people[id] = p
		}
		return p
	}
	status := map[string]string{}   // finding id → status
	assignee := map[string]string{} // finding id → email
	gone := map[string]string{}     // id of a deleted project, contract, team or revoked key → the event
	created := map[string]int{}     // key id → index of its api_key.created
	for i, e := range entries {
		if e.Event == "api_key.created" {
			created[e.Target.ID] = i
		}
	}
	next := map[string][]string{
		open: {triaged}, triaged: {fixed, falsePositive, acknowledged},
		acknowledged: {fixed}, fixed: {open},
	}
	str := func(d map[string]any, k string) string { s, _ := d[k].(string); return s }

	for i, e := range entries {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("entry %d (%s, %s by %s): %s", i, e.ID, e.Event, e.Actor.ID, fmt.Sprintf(format, args...))
		}
		d := e.Details
		for _, ref := range []string{e.Actor.ID, str(d, "project_id"), str(d, "contract_id"), str(d, "team_id")} {
			if what, ok := gone[ref]; ok {
				return bad("%s after %s", ref, what)
			}
		}
		if e.Target != nil {
			if what, ok := gone[e.Target.ID]; ok {
				return bad("target %s after %s", e.Target.ID, what)
			}
		}

		// People: nobody acts before joining or after leaving; actions
		// come from an address the person signed in from.
		if e.Actor.Type == event.ActorUser && e.Actor.ID != "" {
			p := get(e.Actor.ID)
			switch {
			case p.removed:
				return bad("actor was removed")
			case p.invited && !p.joined && e.Event != "member.joined":
				return bad("actor was invited but has not joined")
			}
			switch e.Event {
			case "auth.login":
				p.addresses = append(p.addresses, e.IP)
			case "member.joined", "auth.failed":
			default:
				if !slices.Contains(p.addresses, e.IP) {
					return bad("from %s, not an address the actor signed in from (%v)", e.IP, p.addresses)
				}
			}
		}
		if e.Target != nil && e.Target.Type == "member" {
			p := get(e.Target.ID)
			if p.removed {
				return bad("target member was removed")
			}
			switch e.Event {
			case "member.invited":
				if _, seen := people[e.Target.ID]; seen && (p.invited || p.role != "" || len(p.addresses) > 0) {
					return bad("invited someone already known")
				}
				p.invited, p.role = true, str(d, "role")
			case "member.joined":
				if !p.invited || p.joined || e.Actor.ID != e.Target.ID {
					return bad("joined without an invitation, twice, or for someone else")
				}
				p.joined = true
				p.addresses = append(p.addresses, e.IP)
			case "member.removed":
				p.removed = true
			case "member.role_changed":
				if p.role != "" && str(d, "old_role") != p.role {
					return bad("old_role %s, but the member's role is %s", str(d, "old_role"), p.role)
				}
				if str(d, "old_role") == str(d, "new_role") {
					return bad("role unchanged")
				}
				p.role = str(d, "new_role")
			}
		}

		// Things: findings move along their workflow; nothing happens to
		// what was deleted; keys act only while they exist.
		switch e.Event {
		case "finding.status_changed":
			old, st := str(d, "old_status"), str(d, "new_status")
			if cur, ok := status[e.Target.ID]; ok && old != cur {
				return bad("old_status %s, but the finding is %s", old, cur)
			}
			if !slices.Contains(next[old], st) {
				return bad("%s → %s is not a step of the workflow", old, st)
			}
			status[e.Target.ID] = st
		case "finding.assigned":
			if prev, ok := assignee[e.Target.ID]; ok && str(d, "previous_assignee") != prev {
				return bad("previous_assignee %q, but it was assigned to %s", str(d, "previous_assignee"), prev)
			}
			assignee[e.Target.ID] = str(d, "assignee")
		case "project.deleted", "contract.deleted", "team.deleted", "api_key.revoked":
			gone[e.Target.ID] = e.Event
		}
		if e.Actor.Type == event.ActorAPIKey {
			if at, ok := created[e.Actor.ID]; ok && at > i {
				return bad("key used before it was created")
			}
		}
	}
	return nil
}

func BenchmarkNext(b *testing.B) {
	s := New(Config{Seed: 1})
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		s.Next(at)
	}
}

func BenchmarkHistory(b *testing.B) {
	for b.Loop() {
		New(devCfg).History(50000)
	}
}

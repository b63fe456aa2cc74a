package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
	"github.com/steleaudit/stele/verify"
)

// searchPlans are searches of the shapes a page of results commonly
// takes, with what their plans must read. In the query, {actor} stands for
// an actor's email, {target} for a target's id and {ip} for an address,
// of the data. No plan may scan events or sort.
var searchPlans = []struct {
	name  string
	query string
	f     store.Filter // a zero Limit is 50
	want  []string
}{
	{"event", "event:auth.login", store.Filter{},
		[]string{"SEARCH events USING INDEX events_event (org=? AND event=? AND ts>? AND ts<?)"}},
	{"event, next page", "event:auth.login", store.Filter{After: &store.Position{Timestamp: planTime, Seq: 5000}},
		[]string{"SEARCH events USING INDEX events_event (org=? AND event=? AND ts>? AND ts<?)"}},
	{"event prefix", "event:auth.*", store.Filter{},
		[]string{"MERGE (UNION ALL)", "SEARCH events USING INDEX events_event (org=? AND event=? AND ts>? AND ts<?)"}},
	{"event suffix", "event:*.deleted", store.Filter{},
		[]string{"SEARCH events USING INDEX events_event (org=? AND event=? AND ts>? AND ts<?)"}},
	{"events", "event:auth.login,auth.failed,finding.assigned", store.Filter{},
		[]string{"MERGE (UNION ALL)", "SEARCH events USING INDEX events_event (org=? AND event=? AND ts>? AND ts<?)"}},
	{"category", "category:project", store.Filter{},
		[]string{"MERGE (UNION ALL)", "SEARCH events USING INDEX events_event (org=? AND event=? AND ts>? AND ts<?)"}},
	{"actor", "actor:{actor}", store.Filter{},
		[]string{"SEARCH events USING INDEX events_actor (org=? AND actor_email=? AND ts>? AND ts<?)"}},
	{"actor, any case", "actor:{actor}", store.Filter{},
		[]string{"SEARCH events USING INDEX events_actor (org=? AND actor_email=? AND ts>? AND ts<?)"}},
	{"target", "target:{target}", store.Filter{},
		[]string{"SEARCH events USING INDEX events_target (org=? AND target_id=? AND ts>? AND ts<?)"}},
	{"time range", "timestamp:2026-01-03T14:30:00Z..2026-01-03T14:30:01Z", store.Filter{},
		[]string{"SEARCH events USING INDEX events_ts (org=? AND ts>? AND ts<?)"}},
	{"relative time", "timestamp:>-1h", store.Filter{},
		[]string{"SEARCH events USING INDEX events_ts (org=? AND ts>? AND ts<?)"}},
	{"actor and event", "actor:{actor} event:finding.status_changed", store.Filter{},
		[]string{"SEARCH events USING INDEX events_actor (org=? AND actor_email=? AND ts>? AND ts<?)"}},
	{"event in a time range", "event:auth.login timestamp:>=2026-01-03T14:30:00Z", store.Filter{Until: planTime},
		[]string{"SEARCH events USING INDEX events_event (org=? AND event=? AND ts>? AND ts<?)"}},
	{"events and a target", "event:auth.*,finding.* target:{target}", store.Filter{},
		[]string{"SEARCH events USING INDEX events_target (org=? AND target_id=? AND ts>? AND ts<?)"}},
	{"event and free text", "event:finding.assigned reentrancy", store.Filter{},
		[]string{"SEARCH events USING INDEX events_event (org=? AND event=? AND ts>? AND ts<?)"}},
	{"events without one", "event:auth.* -event:auth.login", store.Filter{},
		[]string{"MERGE (UNION ALL)", "SEARCH events USING INDEX events_event (org=? AND event=? AND ts>? AND ts<?)"}},
	{"negated event", "-event:auth.login", store.Filter{},
		[]string{"SEARCH events USING INDEX events_ts (org=? AND ts>? AND ts<?)"}},
	{"free text", "reentrancy", store.Filter{},
		[]string{"SEARCH events USING INDEX events_ts (org=? AND ts>? AND ts<?)"}},
	{"ip", "ip:{ip}", store.Filter{},
		[]string{"SEARCH events USING INDEX events_actor (org=? AND actor_email=? AND ts>? AND ts<?)"}},
	{"details", "details.new_status:fixed", store.Filter{},
		[]string{"SEARCH events USING INDEX events_ts (org=? AND ts>? AND ts<?)"}},
}

// planTime is within the times of the workload's events.
var planTime = time.Date(2026, 1, 3, 14, 30, 1, 0, time.UTC)

// TestSearchPlans checks that searches read the indexes meant for them, in
// List's order, on a new database and on one with statistics.
func TestSearchPlans(t *testing.T) {
	fresh := openTest(t, filepath.Join(t.TempDir(), "fresh.db"))
	loaded := openTest(t, filepath.Join(t.TempDir(), "loaded.db"))
	w := storetest.NewWorkload(1, 20)
	first := w.Batch(500)
	for _, db := range []*DB{fresh, loaded} {
		if err := storetest.AppendBatch(t.Context(), db, first); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		if err := storetest.AppendBatch(t.Context(), loaded, w.Batch(1000)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := loaded.w.ExecContext(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	e := first["org-0"][0]
	for _, db := range []struct {
		name string
		db   *DB
	}{
		{"new", fresh},
		{"loaded", loaded},
	} {
		for _, p := range searchPlans {
			email := e.Actor.Email
			if p.name == "actor, any case" {
				email = strings.ToUpper(email)
			}
			text := strings.NewReplacer("{actor}", email, "{target}", e.Target.ID, "{ip}", e.IP).Replace(p.query)
			q, err := query.Parse(text, planTime)
			if err != nil {
				t.Fatalf("%s: Parse(%q) = %v", p.name, text, err)
			}
			f := p.f
			f.Query = q
			if f.Limit == 0 {
				f.Limit = 50
			}
			err = db.db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
				rd := r.(*reader)
				num, err := rd.orgNum(ctx, "org-0")
				if err != nil {
					return err
				}
				s, arms, err := rd.newSearch(ctx, num, f)
				if err != nil || s == nil {
					return fmt.Errorf("search %q = %v, %v", text, s, err)
				}
				lines := plan(t, db.db.r, s.sql(arms), s.args...)
				got := strings.Join(lines, "\n")
				for _, want := range p.want {
					if !strings.Contains(got, want) {
						t.Errorf("%s: %s: %s: plan =\n%s\nwant %s", db.name, p.name, text, got, want)
					}
				}
				if strings.Contains(got, "SCAN events") || strings.Contains(got, "TEMP B-TREE") {
					t.Errorf("%s: %s: %s: plan =\n%s\nwant no scan of events and no sort", db.name, p.name, text, got)
				}
				return nil
			})
			if err != nil {
				t.Errorf("%s: %s: %v", db.name, p.name, err)
			}
		}
	}
}

// TestSearchReads runs the query scripts with limits that make searches
// read by sorting the events of keys, and by reading events_ts, instead of
// merging arms, and without drivers at all.
func TestSearchReads(t *testing.T) {
	defer func(arms, keys, sorted int) {
		maxArms, maxKeys, maxSorted = arms, keys, sorted
	}(maxArms, maxKeys, maxSorted)
	for _, tt := range []struct {
		name               string
		arms, keys, sorted int
	}{
		{"sorted", 0, 1 << 20, 1 << 20},
		{"counted out", 0, 1 << 20, 0},
		{"one arm, else sorted", 1, 1 << 20, 5},
		{"no drivers", 0, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			maxArms, maxKeys, maxSorted = tt.arms, tt.keys, tt.sorted
			dir := t.TempDir()
			storetest.RunQueries(t, func(t *testing.T, name string) store.Store {
				return openTest(t, filepath.Join(dir, name+".db"))
			})
		})
	}
}

// TestMigrateSearch checks that migrating a database of version 2 with
// events in it gives it the schema of a new one, and the rows of distinct
// values that Append would have written.
func TestMigrateSearch(t *testing.T) {
	dir := t.TempDir()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	b := storetest.NewWorkload(1, 3).Batch(300)
	odd := b["org-0"][:6]
	odd[0].Actor = verify.Actor{Type: "api_key", ID: "key_1", Name: "CI"}
	odd[1].Actor = verify.Actor{Type: "user", Email: "Ünïcødé@Example.COM", Name: "\u212aim"}
	odd[2].Target = verify.Target{Type: "document", Name: "Q1 report.pdf"}
	odd[3].Target = verify.Target{}
	odd[4].Actor = verify.Actor{Type: "user", Name: "Visitor"}
	odd[5].Event, odd[5].Category = "Auth.Login", "AUTH"

	// Version 2, and its events as it wrote them.
	old := filepath.Join(dir, "old.db")
	raw, err := sql.Open("sqlite", old)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, m := range ms[:2] {
		if _, err := raw.ExecContext(t.Context(), m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	if _, err := raw.ExecContext(t.Context(), "PRAGMA user_version = 2"); err != nil {
		t.Fatal(err)
	}
	for _, org := range []string{"org-0", "org-1", "org-2"} {
		var num int64
		if err := raw.QueryRowContext(t.Context(), insertOrg, org).Scan(&num); err != nil {
			t.Fatal(err)
		}
		for _, e := range b[org] {
			args, err := eventArgs(num, e)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.ExecContext(t.Context(), insertEvent, args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	raw.Close()

	migrated := openTest(t, old)
	fresh := openTest(t, filepath.Join(dir, "fresh.db"))
	if err := storetest.AppendBatch(t.Context(), fresh, b); err != nil {
		t.Fatal(err)
	}
	dump := func(db *DB, q string) string {
		rows, err := db.r.QueryContext(t.Context(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var cols [4]sql.NullString
			if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3]); err != nil {
				t.Fatal(err)
			}
			var line []string
			for _, c := range cols {
				line = append(line, fmt.Sprintf("%q %v", c.String, c.Valid))
			}
			lines = append(lines, strings.Join(line, " "))
		}
		return strings.Join(lines, "\n")
	}
	for _, q := range []string{
		`SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name`,
		`SELECT o.id, category, event, NULL FROM event_types JOIN orgs o ON o.num = org ORDER BY 1, 2, 3`,
		`SELECT o.id, text, email, a.id FROM actors a JOIN orgs o ON o.num = org ORDER BY 1, 2, 3, 4`,
		`SELECT o.id, text, t.id, t.name FROM targets t JOIN orgs o ON o.num = org ORDER BY 1, 2, 3, 4`,
	} {
		got, want := dump(migrated, q), dump(fresh, q)
		if got != want {
			t.Errorf("%s:\nmigrated:\n%s\nnew:\n%s", q, got, want)
		}
		if want == "" {
			t.Errorf("%s: nothing", q)
		}
	}
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// storeShapes are the store's own statements, with what their plans use.
var storeShapes = []struct {
	name  string
	query string
	args  []any // after the org number
	want  string
	sorts bool
}{
	{"Events", selectEvents, []any{0, 100}, "SEARCH events USING INDEX events_seq (org=? AND seq>? AND seq<?)", false},
	{"Event", selectEvent, []any{7}, "SEARCH events USING INDEX events_seq (org=? AND seq=?)", false},
	{"List", selectList, listArgs(store.Filter{Limit: 100}), listPlan, false},
	{"List, since", selectList, listArgs(store.Filter{Since: listFrom, Limit: 100}), listPlan, false},
	{"List, until", selectList, listArgs(store.Filter{Until: listTo, Limit: 100}), listPlan, false},
	{"List, since and until", selectList, listArgs(store.Filter{Since: listFrom, Until: listTo, Limit: 100}), listPlan, false},
	{"List, after", selectList, listArgs(store.Filter{After: listAfter, Limit: 100}), listPlan, false},
	{"List, after at the start", selectList, listArgs(store.Filter{After: &store.Position{Timestamp: listFrom}, Limit: 100}), listPlan, false},
	{"List, all three", selectList, listArgs(store.Filter{Since: listFrom, Until: listTo, After: listAfter, Limit: 100}), listPlan, false},
	{"LookupIDs", selectIDs, []any{"[1,2,3]"}, "SEARCH events USING INDEX events_id (org=? AND id_hash=?)", false},
	{"Tiles", selectTiles, []any{"[[0,1],[1,0]]"}, "SEARCH t USING PRIMARY KEY (org=? AND level=? AND n=?)", false},
	{"Checkpoints", selectCheckpoints, nil, "SEARCH checkpoints USING PRIMARY KEY (org=?)", false},
	{"Checkpoint", selectCheckpoint, []any{5}, "SEARCH checkpoints USING PRIMARY KEY (org=? AND size=?)", false},
	{"LatestCheckpoint", selectLatestCheckpoint, nil, "SEARCH checkpoints USING PRIMARY KEY (org=?)", false},
	// Parameters are in the wrong order from here on: plans don't mind.
	{"SetHead", updateHead, []any{1, nil}, "SEARCH orgs USING INTEGER PRIMARY KEY (rowid=?)", false},
	{"Head", selectHead, nil, "SEARCH orgs USING INDEX sqlite_autoindex_orgs_1 (id=?)", false},
	{"orgNum", selectOrgNum, nil, "SEARCH orgs USING COVERING INDEX sqlite_autoindex_orgs_1 (id=?)", false},
	{"Orgs", selectOrgs, nil, "SCAN orgs USING COVERING INDEX sqlite_autoindex_orgs_1", false},
	{"Org", selectOrg, nil, "SEARCH orgs USING INDEX sqlite_autoindex_orgs_1 (id=?)", false},
	{"UpdateOrg", updateOrg, []any{"n", "p", "UTC", 0, false}, "SEARCH orgs USING INDEX sqlite_autoindex_orgs_1 (id=?)", false},
	{"APIKey", selectAPIKey, nil, "SEARCH api_keys USING PRIMARY KEY (id=?)", false},
	{"APIKey, its organization", selectAPIKey, nil, "SEARCH orgs USING INTEGER PRIMARY KEY (rowid=?)", false},
	{"APIKeys", selectAPIKeys, nil, "SEARCH api_keys USING INDEX api_keys_org (org=?)", false},
	{"APIKeys, the organization", selectAPIKeys, nil, "SEARCH orgs USING COVERING INDEX sqlite_autoindex_orgs_1 (id=?)", false},
	{"CreateAPIKey", insertAPIKey, []any{"k", "n", "[]", []byte{}, 1, nil}, "SEARCH orgs USING INDEX sqlite_autoindex_orgs_1 (id=?)", false},
	{"RevokeAPIKey", revokeAPIKey, []any{"k", 1}, "SEARCH api_keys USING PRIMARY KEY (id=?)", false},
}

// List reads a range of events_ts in its order, newest first: no sort.
const listPlan = "SEARCH events USING INDEX events_ts (org=? AND ts>? AND ts<?)"

// Bounds within the times of TestPlans's events, which start at the
// workload's start and take about 100µs each.
var (
	listFrom  = time.Date(2026, 1, 3, 14, 30, 0, 0, time.UTC)
	listTo    = listFrom.Add(time.Second)
	listAfter = &store.Position{Timestamp: listFrom.Add(500 * time.Millisecond), Seq: 5000}
)

// listArgs returns the arguments of selectList for f, after the org
// number.
func listArgs(f store.Filter) []any {
	lo, hi, ok := f.Bounds()
	if !ok {
		panic(fmt.Sprintf("filter %+v selects nothing", f))
	}
	return []any{lo, hi.TS, hi.Seq, f.Limit}
}

// TestPlans checks that each query shape uses the index meant for it, on a
// new database and on one with data and statistics.
func TestPlans(t *testing.T) {
	fresh := openTest(t, filepath.Join(t.TempDir(), "fresh.db"))
	loaded := openTest(t, filepath.Join(t.TempDir(), "loaded.db"))
	w := storetest.NewWorkload(1, 50)
	for range 20 {
		if err := storetest.AppendBatch(t.Context(), loaded, w.Batch(1000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := registerAll(t.Context(), loaded, 20); err != nil {
		t.Fatal(err)
	}
	if _, err := loaded.w.ExecContext(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	var org int64
	if err := loaded.r.QueryRowContext(t.Context(), "SELECT num FROM orgs WHERE id = 'org-0'").Scan(&org); err != nil {
		t.Fatal(err)
	}

	type shape struct {
		name, query string
		args        []any
		want        string
		sorts       bool
	}
	var shapes []shape
	for _, s := range storeShapes {
		shapes = append(shapes, shape{s.name, s.query, s.args, s.want, s.sorts})
	}
	for _, db := range []struct {
		name string
		db   *sql.DB
	}{
		{"new", fresh.r},
		{"loaded", loaded.r},
	} {
		for _, s := range shapes {
			p := plan(t, db.db, s.query, append([]any{org}, s.args...)...)
			text := strings.Join(p, "\n")
			switch {
			case !strings.Contains(text, s.want):
				t.Errorf("%s: %s: plan =\n%s\nwant %s", db.name, s.name, text, s.want)
			case strings.Contains(text, "SCAN events"), strings.Contains(text, "SCAN api_keys"):
				t.Errorf("%s: %s: plan =\n%s\nwant no scan of events or api_keys", db.name, s.name, text)
			case !s.sorts && strings.Contains(text, "TEMP B-TREE"):
				t.Errorf("%s: %s: plan =\n%s\nwant no sort", db.name, s.name, text)
			}
		}
	}
}

// registerAll registers every organization with a log and gives each n
// keys, made a second apart.
func registerAll(ctx context.Context, s store.Store, n int) error {
	created := time.Date(2026, 1, 3, 14, 30, 0, 0, time.UTC)
	return s.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		orgs, err := tx.Orgs(ctx)
		if err != nil {
			return err
		}
		for _, org := range orgs {
			o := store.Org{ID: org, Name: org, Plan: "startup", TimeZone: "UTC", CreatedAt: created}
			if err := tx.CreateOrg(ctx, o); err != nil {
				return err
			}
			for i := range n {
				k := store.APIKey{
					ID:        fmt.Sprintf("key_%s_%03d", org, i),
					Org:       org,
					Name:      "key",
					Scopes:    []string{"events:write"},
					Hash:      make([]byte, 32),
					CreatedAt: created.Add(time.Duration(i) * time.Second),
				}
				if err := tx.CreateAPIKey(ctx, k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// plan returns the detail lines of query's plan.
func plan(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", query, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestSearchCase checks that event types and actor emails match without
// regard to ASCII case, exactly and by prefix, while target ids don't.
func TestSearchCase(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "stele.db"))
	w := storetest.NewWorkload(1, 1)
	b := w.Batch(200)
	if err := storetest.AppendBatch(t.Context(), db, b); err != nil {
		t.Fatal(err)
	}
	e := b["org-0"][0]
	count := func(query string, args ...any) int {
		var n int
		if err := db.r.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	for _, tt := range []struct {
		query  string
		arg    string
		stored string
		match  bool
	}{
		{`event = ?`, strings.ToUpper(e.Event), e.Event, true},
		{`event LIKE ?`, strings.ToUpper(e.Category) + ".%", e.Category + ".%", true},
		{`actor_email = ?`, strings.ToUpper(e.Actor.Email), e.Actor.Email, true},
		{`actor_email LIKE ?`, strings.ToUpper(e.Actor.Email[:6]) + "%", e.Actor.Email[:6] + "%", true},
		{`target_id = ?`, strings.ToUpper(e.Target.ID), e.Target.ID, false},
	} {
		q := "SELECT count(*) FROM events WHERE org = 1 AND " + tt.query
		want := count(q, tt.stored)
		if want == 0 {
			t.Fatalf("%s with %q found nothing", q, tt.stored)
		}
		got := count(q, tt.arg)
		if (got == want) != tt.match {
			t.Errorf("%s with %q = %d, with %q = %d, want equal: %v", q, tt.arg, got, tt.stored, want, tt.match)
		}
	}
}

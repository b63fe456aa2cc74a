package sqlite

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store/storetest"
)

// TestDerivedTables checks that the tables Append keeps beside events, the
// rollups and the tables of distinct values, hold what the migrations that
// made them would compute from the same events: the two ways of filling
// them agree, on hours and days before 1970 and across midnight, and on
// actors whose emails differ only in case.
func TestDerivedTables(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "stele.db"))
	w := storetest.NewWorkload(7, 5)
	start := time.Date(1969, 12, 30, 22, 0, 0, 0, time.UTC)
	for i := range 8 {
		b := w.Batch(300)
		for _, events := range b {
			for j, e := range events {
				e.Timestamp = start.Add(time.Duration(w.Rand.Int63n(int64(5 * 24 * time.Hour))))
				switch j % 7 {
				case 0:
					e.Actor.Email = strings.ToUpper(e.Actor.Email)
				case 1:
					e.Actor.Email = "" // counted by id
				case 2:
					e.Target.ID = "" // counted by name
				case 3:
					e.Actor.Email, e.Actor.ID, e.Target.ID, e.Target.Name = "", "", "", "" // not counted
				}
			}
		}
		if err := storetest.AppendBatch(t.Context(), db, b); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	tables := []string{"event_hours", "actor_days", "target_days", "event_types", "actors", "targets", "ips"}
	// Of two values a NOCASE column takes as one, a table keeps the first
	// written, which Append and a migration may write in either order.
	nocase := map[string]bool{"event_types": true, "actors": true, "ips": true}
	dump := func() map[string]string {
		out := map[string]string{}
		for _, table := range tables {
			rows, err := db.w.QueryContext(t.Context(), "SELECT * FROM "+table)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			var lines []string
			for rows.Next() {
				var b strings.Builder
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					fmt.Fprintf(&b, "%v\t", v)
				}
				line := b.String()
				if nocase[table] {
					line = asciiLower(line)
				}
				lines = append(lines, line)
			}
			rows.Close()
			slices.Sort(lines)
			out[table] = strings.Join(lines, "\n") + "\n"
		}
		return out
	}
	kept := dump()
	for _, table := range tables {
		if strings.Count(kept[table], "\n") < 20 {
			t.Fatalf("%s holds %d rows, want more to compare", table, strings.Count(kept[table], "\n"))
		}
		if _, err := db.w.ExecContext(t.Context(), "DELETE FROM "+table); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	// The last migration to fill a table fills it as it is now.
	insert := regexp.MustCompile(`(?s)INSERT (?:OR IGNORE )?INTO (` + strings.Join(tables, "|") + `) .*?;`)
	last := map[string]string{}
	for _, m := range ms {
		for _, stmt := range insert.FindAllStringSubmatch(m.SQL, -1) {
			last[stmt[1]] = stmt[0]
		}
	}
	if len(last) != len(tables) {
		t.Fatalf("found statements filling %d of the tables in the migrations, want %d", len(last), len(tables))
	}
	for table, stmt := range last {
		if _, err := db.w.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
	}
	for table, got := range dump() {
		if got != kept[table] {
			t.Errorf("%s: the migration's rows differ from Append's:\nmigration:\n%s\nAppend:\n%s", table, got, kept[table])
		}
	}
}

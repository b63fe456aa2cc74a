package postgres

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// TestDays checks that actor_days and target_days are a GROUP BY of the
// events up to the indexer's marks, counted by the indexer over batches of
// several organizations on many days, before 1970 and across midnight, of
// actors with and without an email and targets with and without an id;
// that they leave out the day whose start bigint can't hold; that
// target_days' column heavy is what heavyDays say; and that their
// migrations fill them the same from the events, up to the marks.
func TestDays(t *testing.T) {
	u := newSchema(t)
	db := openTest(t, u)
	pauseIndexer(t, db)
	w := storetest.NewWorkload(7, 5)
	start := time.Date(1969, 12, 20, 22, 0, 0, 0, time.UTC)
	var all []*store.Event
	for i := range 8 {
		b := w.Batch(300)
		for _, events := range b {
			for j, e := range events {
				e.Timestamp = start.Add(time.Duration(w.Rand.Int63n(int64(20 * 24 * time.Hour))))
				switch j % 6 {
				case 0:
					e.Actor.Email = "" // counted by id
				case 1:
					e.Target.ID = "" // counted by name
				case 2:
					e.Actor.Email, e.Actor.ID, e.Target.ID, e.Target.Name = "", "", "", "" // not counted
				case 3:
					e.Actor.Email = strings.ToUpper(e.Actor.Email) // another actor
				case 4:
					e.Target.ID, e.Timestamp = "hot", start.Add(26*time.Hour) // a heavy day
				}
			}
		}
		if i == 0 {
			// Either side of the first whole day.
			b["org-0"][0].Timestamp = unixNano(firstDay - 1)
			b["org-0"][1].Timestamp = unixNano(firstDay)
		}
		if err := storetest.AppendBatch(t.Context(), db, b); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		for _, events := range b {
			all = append(all, events...)
		}
	}
	if got := dumpDays(t, db); got != "" {
		t.Errorf("days counted before the indexer ran:\n%s", got)
	}
	indexRounds(t, db, -1)
	checkDays(t, db, "as the indexer keeps them", all, 200)
	checkHeavy(t, db)
	if !strings.Contains(dumpKeys(wantDays(all, nil)["actor_days"]), fmt.Sprintf("org-0 %d ", firstDay)) {
		t.Errorf("no actor of org-0 counted on the first whole day")
	}

	// The migrations, with marks behind: 006 counts every event, 007 those
	// up to the marks.
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	v := slices.IndexFunc(ms, func(m store.Migration) bool { return strings.HasSuffix(m.Name, "_days.sql") })
	backTo(t, db, v) // the version before
	if _, err := db.pool.Exec(t.Context(), `UPDATE text_indexed SET up_to = up_to / 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openTest(t, u)
	pauseIndexer(t, db)
	checkDays(t, db, "as migrated", all, 100)
	indexRounds(t, db, -1)
	checkDays(t, db, "as migrated, then indexed", all, 200)
}

// wantDays counts the rows of actor_days and target_days of events, those
// up to marks[org] if marks isn't nil, another way: by day of time.Time,
// but for the days whose start Unix nanoseconds can't hold.
func wantDays(events []*store.Event, marks map[string]int64) map[string]map[dayKey]int64 {
	want := map[string]map[dayKey]int64{"actor_days": {}, "target_days": {}}
	for _, e := range events {
		day := e.Timestamp.Truncate(24 * time.Hour)
		if day.Before(store.MinTime) || marks != nil && e.Seq > marks[e.Org] {
			continue
		}
		if a := cmp.Or(e.Actor.Email, e.Actor.ID); a != "" {
			want["actor_days"][dayKey{e.Org, day.UnixNano(), a}]++
		}
		if g := cmp.Or(e.Target.ID, e.Target.Name); g != "" {
			want["target_days"][dayKey{e.Org, day.UnixNano(), g}]++
		}
	}
	return want
}

// checkDays checks actor_days and target_days against the events up to
// the marks, which it reads with them, and that each has min rows or more
// to compare.
func checkDays(t *testing.T, db *DB, stage string, events []*store.Event, min int) {
	t.Helper()
	marks := map[string]int64{}
	rows, err := db.pool.Query(t.Context(), `SELECT org, up_to FROM text_indexed`)
	if err != nil {
		t.Fatal(err)
	}
	var org string
	var mark int64
	if _, err := pgx.ForEachRow(rows, []any{&org, &mark}, func() error {
		marks[org] = mark
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := wantDays(events, marks)
	for table, rows := range want {
		if len(rows) < min {
			t.Fatalf("%s: %s: %d rows, want %d or more to compare", stage, table, len(rows), min)
		}
	}
	if got, w := dumpDays(t, db), dumpKeys(want["actor_days"])+dumpKeys(want["target_days"]); got != w {
		t.Errorf("%s:\n%s\nwant:\n%s", stage, got, w)
	}
}

// checkHeavy checks that target_days' column heavy is what heavyDays say
// of n.
func checkHeavy(t *testing.T, db *DB) {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), `SELECT DISTINCT n, heavy FROM target_days`)
	if err != nil {
		t.Fatal(err)
	}
	var n, heavy int64
	_, err = pgx.ForEachRow(rows, []any{&n, &heavy}, func() error {
		want := int64(0)
		for _, h := range heavyDays {
			if n >= h {
				want = h
				break
			}
		}
		if heavy != want {
			t.Errorf("target_days: n = %d, heavy = %d, want %d", n, heavy, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dumpDays returns the rows of actor_days, then of target_days, a line
// each, sorted.
func dumpDays(t *testing.T, db *DB) string {
	t.Helper()
	var dump string
	for _, table := range []string{"actor_days", "target_days"} {
		rows, err := db.pool.Query(t.Context(), "SELECT org, day, "+strings.TrimSuffix(table, "_days")+", n FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		got := map[dayKey]int64{}
		var k dayKey
		var n int64
		if _, err := pgx.ForEachRow(rows, []any{&k.org, &k.day, &k.value, &n}, func() error {
			got[k] = n
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		dump += dumpKeys(got)
	}
	return dump
}

// dumpKeys returns rows of actor_days or target_days, a line each,
// sorted.
func dumpKeys(rows map[dayKey]int64) string {
	var lines []string
	for k, n := range rows {
		lines = append(lines, fmt.Sprintln(k.org, k.day, k.value, n))
	}
	slices.Sort(lines)
	return strings.Join(lines, "")
}

// TestFacetsByDays checks facets of ranges over whole and partial days
// against the events, and the top targets where topTargets proves them
// from the heavy days, where it can't, and where a target of the partial
// days at the ends of the range outcounts the heavy ones: before the
// indexer has counted any event by day, when it has counted some, and
// once it has counted all.
func TestFacetsByDays(t *testing.T) {
	db := openTest(t, newSchema(t))
	pauseIndexer(t, db)
	w := storetest.NewWorkload(3, 1)
	day0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var all []*store.Event
	appendDay := func(at time.Time, targets map[string]int) {
		var events []*store.Event
		for _, target := range slices.Sorted(maps.Keys(targets)) {
			for _, e := range w.Batch(targets[target])["org-0"] {
				e.Target.ID, e.Timestamp = target, at.Add(time.Duration(len(events))*time.Second)
				events = append(events, e)
			}
		}
		if err := storetest.AppendBatch(t.Context(), db, map[string][]*store.Event{"org-0": events}); err != nil {
			t.Fatal(err)
		}
		all = append(all, events...)
	}
	for d := range 6 {
		targets := map[string]int{"edge": 4, "hot-0": 20, "hot-1": 21} // hot: heavy from 10
		for i := range 5 {
			targets[fmt.Sprintf("heavy-%d", i)] = 5 + i // heavy from 5
		}
		for i := range 40 {
			targets[fmt.Sprintf("light-%d", i)] = 1 + i%4
		}
		appendDay(day0.AddDate(0, 0, d).Add(12*time.Hour), targets)
	}
	// Heavy at the ends of a range that starts or ends mid-day, where the
	// events are read, not the daily counts.
	appendDay(day0.AddDate(0, 0, 6).Add(time.Hour), map[string]int{"edge": 200})

	checkFacetsByDays(t, db, "none counted", day0, all, false)
	defer func(n int) { textChunk = n }(textChunk)
	textChunk = len(all) / 2
	indexRounds(t, db, 1)
	var mark int64
	if err := db.pool.QueryRow(t.Context(), `SELECT up_to FROM text_indexed WHERE org = 'org-0'`).Scan(&mark); err != nil || mark != int64(textChunk)-1 {
		t.Fatalf("mark after a round = %d, %v; want %d", mark, err, textChunk-1)
	}
	checkFacetsByDays(t, db, "half counted", day0, all, false)
	textChunk = 1000
	indexRounds(t, db, -1)
	checkFacetsByDays(t, db, "all counted", day0, all, true)
}

// checkFacetsByDays checks the facets of TestFacetsByDays, with the events
// counted by day so far, and also the proofs of topTargets if proofs.
func checkFacetsByDays(t *testing.T, db *DB, stage string, day0 time.Time, all []*store.Event, proofs bool) {
	for _, c := range []struct {
		name         string
		since, until time.Time
		top          int
		heavy        int64 // the heavy days that prove the top, 0 for none
	}{
		{"hot", day0, day0.AddDate(0, 0, 6), 2, 10},
		{"all heavy", day0, day0.AddDate(0, 0, 6), 7, 5},
		{"more than the heavy", day0, day0.AddDate(0, 0, 6), 8, 0},
		{"one day", day0.AddDate(0, 0, 2), day0.AddDate(0, 0, 3), 3, 5},
		{"lights can tie", day0.AddDate(0, 0, 2), day0.AddDate(0, 0, 3), 8, 0},
		{"heavy partial day", day0.Add(-time.Hour), day0.AddDate(0, 0, 6).Add(2 * time.Hour), 3, 10},
		{"all time", time.Time{}, time.Time{}, 3, 10},
		{"since", day0.AddDate(0, 0, 1).Add(time.Minute), time.Time{}, 4, 5},
		{"until", time.Time{}, day0.AddDate(0, 0, 3).Add(12*time.Hour + time.Minute), 10, 0},
		{"none", day0, day0.AddDate(0, 0, 6), 0, 0},
	} {
		f := store.Filter{Since: c.since, Until: c.until}
		checkFacets(t, db, stage+": "+c.name, f, all, c.top)
		if c.top == 0 || !proofs {
			continue
		}
		err := db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
			lo, hi, _ := f.Bounds()
			from, to := wholeDays(lo, hi.TS)
			edges, days := map[string]int64{}, map[int64]bool{}
			for _, e := range all {
				switch ts := e.Timestamp.UnixNano(); {
				case ts < lo || ts > hi.TS:
				case ts < from || ts >= to:
					edges[targetKey(e.Target)]++
				default:
					days[dayOf(ts)] = true
				}
			}
			proved := int64(0)
			for _, heavy := range heavyDays {
				_, ok, err := r.(*reader).doubtTargets(ctx, "org-0", slices.Sorted(maps.Keys(days)), c.top, edges, heavy)
				if err != nil {
					return err
				}
				if ok {
					proved = heavy
					break
				}
			}
			if proved != c.heavy {
				t.Errorf("%s: proved by the days heavy from %d, want %d", c.name, proved, c.heavy)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}

	// Filters the counts can't answer, and ranges within a day.
	for _, text := range []string{"timestamp:2026-03-02..2026-03-04", "-timestamp:2026-03-02..2026-03-04",
		"target:hot-1", "-actor_type:system", "timestamp:>=2026-03-03"} {
		q, err := query.Parse(text, day0.AddDate(0, 0, 7))
		if err != nil {
			t.Fatal(err)
		}
		checkFacets(t, db, stage+": "+text, store.Filter{Query: q}, all, 3)
	}
	checkFacets(t, db, stage+": within a day", store.Filter{Since: day0.Add(12 * time.Hour), Until: day0.Add(13 * time.Hour)}, all, 3)

	// Too many lookups for topTargets: it reads every target.
	defer func(n int) { maxProbes = n }(maxProbes)
	maxProbes = 10
	checkFacets(t, db, stage+": maxProbes", store.Filter{Since: day0, Until: day0.AddDate(0, 0, 6)}, all, 3)
}

// pauseIndexer stops db's indexer, for indexRounds to run by hand.
func pauseIndexer(t *testing.T, db *DB) {
	t.Helper()
	db.stopText()
	<-db.textDone
}

// indexRounds runs n rounds of the indexer of db, paused, or as many as
// it takes to catch up if n is negative.
func indexRounds(t *testing.T, db *DB, n int) {
	t.Helper()
	conn, err := connectIndexer(t.Context(), db.parts.conf)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(conn)
	for i := 0; n < 0 || i < n; i++ {
		behind, err := indexRound(t.Context(), conn, new(store.Pace))
		if err != nil {
			t.Fatal(err)
		}
		if !behind && n < 0 {
			return
		}
	}
}

// checkFacets checks org-0's facets of f, with top actors and targets,
// against those of the events of all that f matches.
func checkFacets(t *testing.T, db *DB, name string, f store.Filter, all []*store.Event, top int) {
	t.Helper()
	counts := map[string]map[string]int64{"category": {}, "event": {}, "actor": {}, "target": {}}
	var total int64
	for _, e := range all {
		if !f.Since.IsZero() && e.Timestamp.Before(f.Since) || !f.Until.IsZero() && !e.Timestamp.Before(f.Until) ||
			f.Query != nil && !f.Query.Match(&e.Record) {
			continue
		}
		total++
		counts["category"][e.Category]++
		counts["event"][e.Event]++
		counts["actor"][actorKey(e.Actor)]++
		counts["target"][targetKey(e.Target)]++
	}
	want := store.Facets{Total: total, Categories: store.Ranked(counts["category"], -1), Events: store.Ranked(counts["event"], -1),
		Actors: store.Ranked(counts["actor"], top), Targets: store.Ranked(counts["target"], top)}
	err := db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
		got, err := r.Facets(ctx, "org-0", f, top)
		if err != nil {
			return err
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: Facets(top %d) = %v\nwant %v", name, top, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestTopTargetsPlan: topTargets finds the heavy targets by
// target_days_heavy, and counts their days with a lookup in
// target_days_pkey each, with or without statistics: reading all of an
// organization's days of targets is what it is there to spare.
func TestTopTargetsPlan(t *testing.T) {
	db := openTest(t, newSchema(t))
	ctx := t.Context()
	// 10 organizations, 100 days of 100 targets each, a few heavy.
	if _, err := db.pool.Exec(ctx, `INSERT INTO target_days (org, day, target, n)
		SELECT 'org-' || o, d * 86400000000000, 'target-' || g, CASE WHEN g % 20 = 0 THEN 50 ELSE 1 END
		FROM generate_series(0, 9) o, generate_series(0, 99) d, generate_series(0, 99) g`); err != nil {
		t.Fatal(err)
	}
	from, to := 40*nsDay, 70*nsDay
	var days []int64
	for d := from; d < to; d += nsDay {
		days = append(days, d)
	}
	targets := []string{"target-0", "target-20", "target-40", "target-7"}
	for _, stats := range []string{"without statistics", "after ANALYZE"} {
		if stats == "after ANALYZE" {
			if _, err := db.pool.Exec(ctx, "ANALYZE target_days"); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			name, sql string
			args      []any
			want      string
		}{
			{"heavyTargets", heavyTargets, []any{"org-3", from, to, 10}, "target_days_heavy"},
			{"heavyTargets", heavyTargets, []any{"org-3", from, to, 5}, "target_days_heavy"},
			{"targetsOfDays", targetsOfDays, []any{"org-3", days, targets}, "Index Cond: ((org = 'org-3'::text) AND (day = d.day) AND (target = c.target))"},
		} {
			rows, err := db.pool.Query(ctx, "EXPLAIN "+c.sql, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(plan, "\n")
			if !strings.Contains(got, c.want) || strings.Contains(got, "Seq Scan") {
				t.Errorf("%s: %s plan =\n%s\nwant %s, and no Seq Scan", stats, c.name, got, c.want)
			}
		}
	}
}

// TestWholeDays checks the whole days of ranges, to the ends of what
// Unix nanoseconds hold.
func TestWholeDays(t *testing.T) {
	lastDay := math.MaxInt64 / nsDay * nsDay // the start of the partial last day
	for _, c := range []struct {
		lo, hi   int64
		from, to int64
	}{
		{0, nsDay - 1, 0, nsDay},
		{0, nsDay - 2, 0, 0},
		{1, 2*nsDay - 1, nsDay, 2 * nsDay},
		{-nsDay, nsDay, -nsDay, nsDay},
		{-nsDay - 1, -2, 0, 0},
		{math.MinInt64, -1, firstDay, 0},
		{math.MinInt64, firstDay + 5, 0, 0},
		{math.MinInt64, math.MaxInt64, firstDay, lastDay},
		{lastDay - 1, math.MaxInt64, 0, 0},
		{lastDay + 1, math.MaxInt64, 0, 0},
		{5, 3, 0, 0},
	} {
		from, to := wholeDays(c.lo, c.hi)
		if from < to || c.from < c.to {
			if from != c.from || to != c.to {
				t.Errorf("wholeDays(%d, %d) = %d, %d, want %d, %d", c.lo, c.hi, from, to, c.from, c.to)
			}
		}
	}
}

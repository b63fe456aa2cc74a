package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// pauseText stops db's indexer, so that the test decides what is indexed.
func pauseText(db *DB) {
	db.stopText()
	<-db.textDone
}

// indexer returns a connection such as the indexer's to db's database,
// closed when t ends.
func indexer(t testing.TB, db *DB) *pgx.Conn {
	t.Helper()
	conn, err := connectIndexer(t.Context(), db.parts.conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeConn(conn) })
	return conn
}

// catchUp indexes all the events of conn's database.
func catchUp(ctx context.Context, conn *pgx.Conn) error {
	for {
		behind, err := indexRound(ctx, conn, new(store.Pace))
		if err != nil || !behind {
			return err
		}
	}
}

// indexedWrites is a DB whose indexer is paused and that indexes, after
// each write transaction, all events, or only a round of at most
// textChunk events of each organization.
type indexedWrites struct {
	*DB
	conn *pgx.Conn
	all  bool
}

// ReadWrite runs f as DB.ReadWrite does, then indexes.
func (db indexedWrites) ReadWrite(ctx context.Context, f func(context.Context, store.Tx) error) error {
	if err := db.DB.ReadWrite(ctx, f); err != nil {
		return err
	}
	if db.all {
		return catchUp(ctx, db.conn)
	}
	_, err := indexRound(ctx, db.conn, new(store.Pace))
	return err
}

// forceText makes searches read by the text index whenever it can
// narrow them, until the test ends.
func forceText(t *testing.T) {
	keys := maxTextKeys
	t.Cleanup(func() { maxTextKeys = keys })
	maxTextKeys = 1 << 20
}

// setChunk sets textChunk, and textYield to 0, until the test ends.
func setChunk(t *testing.T, chunk int) {
	c, y := textChunk, textYield
	t.Cleanup(func() { textChunk, textYield = c, y })
	textChunk, textYield = chunk, 0
}

// TestTextQueries runs the query scripts with searches read by the text
// index wherever it can narrow them: with nothing indexed, with
// everything indexed as it is written, and with the index always behind.
func TestTextQueries(t *testing.T) {
	for _, tt := range []struct {
		name  string
		chunk int
		open  func(t *testing.T, db *DB) store.Store
	}{
		{"unindexed", 1000, func(t *testing.T, db *DB) store.Store { return db }},
		{"indexed", 1000, func(t *testing.T, db *DB) store.Store { return indexedWrites{db, indexer(t, db), true} }},
		{"behind", 5, func(t *testing.T, db *DB) store.Store { return indexedWrites{db, indexer(t, db), false} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			forceText(t)
			setChunk(t, tt.chunk)
			storetest.RunQueries(t, func(t *testing.T, name string) store.Store {
				db, err := Open(t.Context(), newSchema(t))
				if err != nil {
					t.Fatalf("Open(%s) = %v", name, err)
				}
				pauseText(db)
				return tt.open(t, db)
			})
		})
	}
}

// TestTextHostile checks that searches for words of hostile texts find
// what query.Match finds, before and after indexing, that they read by
// the text index whenever it can look for them, and that the index lists
// every event that matches.
func TestTextHostile(t *testing.T) {
	forceText(t)
	db := openTest(t, newSchema(t))
	pauseText(db)
	conn := indexer(t, db)
	b := storetest.HostileEvents()
	if err := storetest.AppendBatch(t.Context(), db, map[string][]*store.Event{"org-0": b}); err != nil {
		t.Fatal(err)
	}
	needles := storetest.HostileNeedles()
	for _, state := range []string{"unindexed", "indexed"} {
		if state == "indexed" {
			if err := catchUp(t.Context(), conn); err != nil {
				t.Fatal(err)
			}
		}
		for _, needle := range needles {
			if strings.ContainsRune(needle, 0) {
				continue // PostgreSQL's text can't hold one, and Parse refuses it
			}
			q := &query.Query{Terms: []query.Term{{Field: query.FieldText, Values: []query.Value{{Parts: []string{needle}}}}}}
			want := storetest.Matching(b, q)
			got, text := searchSeqs(t, db, "org-0", q)
			if !slices.Equal(got, want) {
				t.Errorf("%s: search %q = %v, want %v", state, needle, got, want)
			}
			if drives := valueTrigrams(q.Terms[0].Values[0]) != nil; text != drives {
				t.Errorf("%s: search %q read by the text index: %v, want %v", state, needle, text, drives)
			}
			if state == "indexed" {
				listed := textListed(t, db, "org-0", q.Terms[0].Values[0])
				for _, e := range want {
					if !listed[e] {
						t.Errorf("events_text LIKE %q lists %v, not event %d, which matches", needle, listed, e)
					}
				}
			}
		}
	}
}

// searchSeqs returns the seqs of the events of org that List finds for
// q, and whether the text index drove it.
func searchSeqs(t *testing.T, db *DB, org string, q *query.Query) (seqs []int64, text bool) {
	t.Helper()
	f := store.Filter{Query: q, Limit: 1000}
	seqs = []int64{}
	err := db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
		s, err := compile(org, f, true)
		if err != nil {
			return err
		}
		if _, text, err = r.(*reader).textKeys(ctx, org, s, q); err != nil {
			return err
		}
		return r.List(ctx, org, f, func(e *store.Event) error {
			seqs = append(seqs, e.Seq)
			return nil
		})
	})
	if err != nil {
		t.Fatalf("search %s: %v", q, err)
	}
	return seqs, text
}

// textListed returns the seqs of the events of org whose row of
// events_text is LIKE v.
func textListed(t *testing.T, db *DB, org string, v query.Value) map[int64]bool {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), `SELECT seq FROM events_text WHERE org = $1 AND text LIKE $2`, org, "%"+v.Like()+"%")
	if err != nil {
		t.Fatalf("LIKE %q: %v", v.Like(), err)
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	listed := map[int64]bool{}
	for _, s := range seqs {
		listed[s] = true
	}
	return listed
}

// TestEventText checks what events_text holds for an event.
func TestEventText(t *testing.T) {
	for _, tt := range []struct {
		details string
		texts   []string
		want    string
	}{
		{"", nil, ""},
		{"", []string{"Ann@X.Example", "", "ANN"}, "ann@x.example\nann\n"},
		{`{"a":"Caf\u00e9","b":[1.50,true,null,{"C":"D"}],"e":false}`, nil, "café\n1.50\ntrue\nd\nfalse\n"},
		{`{"k":"\u212aELVIN İ","nul":"a\u0000b"}`, []string{"ẞ"}, "ß\nkelvin i\na\nb\n"},
		{`{"a":"ok", broken`, nil, "ok\n"},
		{`"top"`, nil, "top\n"},
	} {
		if got := store.FreeText(tt.details, tt.texts...); got != tt.want {
			t.Errorf("store.FreeText(%q, %q) = %q, want %q", tt.details, tt.texts, got, tt.want)
		}
	}
}

// TestValueTrigrams checks which trigrams estimate how many events hold
// a value.
func TestValueTrigrams(t *testing.T) {
	tri := func(s string) int32 {
		var n int32
		for i := range 3 {
			n = n*36 + digit36(s[i])
		}
		return n
	}
	for _, tt := range []struct {
		parts []string
		want  []string
	}{
		{[]string{"vault"}, []string{"vau", "ult"}},
		{[]string{"reentrancy"}, []string{"ree", "ntr", "anc", "ncy"}},
		{[]string{"aaaaaa"}, []string{"aaa"}},
		{[]string{"sec-12345"}, []string{"sec", "123", "345"}},
		{[]string{"", "ab", "cdef", ""}, []string{"cde", "def"}},
		{[]string{"zoë müller"}, []string{"lle", "ler"}},
		{[]string{"ab", "é1"}, nil},
		{[]string{"a\x00bcd"}, nil},
		{[]string{"ABC"}, nil},
		{[]string{"user number 42"}, []string{"use", "ser", "num", "ber"}},
	} {
		var want []int32
		for _, s := range tt.want {
			want = append(want, tri(s))
		}
		if got := valueTrigrams(query.Value{Parts: tt.parts}); !slices.Equal(got, want) {
			t.Errorf("valueTrigrams(%q) = %v, want %v (%q)", tt.parts, got, want, tt.want)
		}
	}
	var got []int32
	eachTrigram("ab1-XYZ abc\nzz9z é0é", func(t int32) { got = append(got, t) })
	if want := []int32{tri("ab1"), tri("abc"), tri("zz9"), tri("z9z")}; !slices.Equal(got, want) {
		t.Errorf("eachTrigram = %v, want %v", got, want)
	}
}

// rowsRead returns how many rows of the partitions of events the
// transaction of r has read so far.
func rowsRead(ctx context.Context, t *testing.T, r store.Reader) int64 {
	t.Helper()
	var n int64
	err := r.(*reader).tx.QueryRow(ctx, `SELECT coalesce(sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)), 0)
		FROM pg_stat_xact_user_tables WHERE schemaname = current_schema() AND relname ~ '^events_([0-9]|default)'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTextDrives checks that a rare word drives a search through the
// text index, which then reads few rows of events, and a common one
// doesn't; and how the statements read.
func TestTextDrives(t *testing.T) {
	db := openTest(t, newSchema(t))
	pauseText(db)
	conn := indexer(t, db)
	w := storetest.NewWorkload(1, 1)
	for i := range 10 {
		b := w.Batch(1000)
		if i == 5 {
			for j, e := range b["org-0"][:30] {
				e.Details = json.RawMessage(`{"note":"quasar"}`)
				if j < 3 {
					e.Event, e.Category = "team.archived", "team"
				}
			}
		}
		if err := storetest.AppendBatch(t.Context(), db, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := catchUp(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	for i, tt := range []struct {
		query  string
		drives bool
		found  int
		read   int64 // at most, rows of events
	}{
		{"quasar", true, 30, 30},
		{"quasar event:team.archived", true, 3, 30},
		{"quasar -event:team.archived", true, 27, 30},
		{"reentrancy", false, 50, 100},
		{"sec-12345 quasar", true, 0, 30},
		{"nothing-of-the-kind", true, 0, 0},
		{"re", false, 50, 100},
		// 500 events more, 5 of them with quasar, not indexed: read
		// all the same.
		{"quasar", true, 35, 535},
	} {
		if i == 7 {
			b := w.Batch(500)
			for _, e := range b["org-0"][:5] {
				e.Details = json.RawMessage(`{"note":"quasar"}`)
			}
			if err := storetest.AppendBatch(t.Context(), db, b); err != nil {
				t.Fatal(err)
			}
		}
		q, err := query.Parse(tt.query, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		err = db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
			f := store.Filter{Query: q, Limit: 50}
			s, err := compile("org-0", f, true)
			if err != nil {
				return err
			}
			keys, drives, err := r.(*reader).textKeys(ctx, "org-0", s, q)
			if err != nil {
				return err
			}
			if drives != tt.drives {
				t.Errorf("%s: driven by the text index: %v (%d keys), want %v", tt.query, drives, len(keys), tt.drives)
			}
			before := rowsRead(ctx, t, r)
			found := 0
			if err := r.List(ctx, "org-0", f, func(*store.Event) error { found++; return nil }); err != nil {
				return err
			}
			// The statistics of the transaction's reads are flushed
			// with each statement.
			if read := rowsRead(ctx, t, r) - before; found != tt.found || read > tt.read {
				t.Errorf("%s: found %d events reading %d rows of events, want %d reading at most %d", tt.query, found, read, tt.found, tt.read)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
	}

	// The index is read by its GIN index, a bitmap; unindexed events by
	// leaves' key; events by theirs.
	explain := func(sql string, args ...any) string {
		t.Helper()
		tx, err := db.pool.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(t.Context())
		if _, err := tx.Exec(t.Context(), bitmapOnly); err != nil {
			t.Fatal(err)
		}
		rows, err := tx.Query(t.Context(), "EXPLAIN "+sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(plan, "\n")
	}
	probe := selectTextKeys + "text LIKE $6 OR text LIKE $7) LIMIT $5"
	got := explain(probe, "org-0", int64(9999), int64(0), int64(1)<<62, 2001, "%quasar%", "%nebula%")
	if !strings.Contains(got, "Bitmap Index Scan on events_text_trgm") || strings.Contains(got, "Seq Scan") {
		t.Errorf("selectTextKeys: plan =\n%s\nwant a bitmap of events_text_trgm, and no scan", got)
	}
	rows, err := db.pool.Query(t.Context(), "EXPLAIN "+selectUnindexed, "org-0", int64(9999), int64(0), int64(1)<<62, 2001)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan, "\n"); !strings.Contains(got, "leaves_pkey") {
		t.Errorf("selectUnindexed: plan =\n%s\nwant leaves_pkey", got)
	}
}

// TestTextIndexer checks that the indexer catches up with events on its
// own, from scratch when a store opens, and that Close stops it, even
// while it is behind.
func TestTextIndexer(t *testing.T) {
	u := newSchema(t)
	db := openTest(t, u)
	pauseText(db)
	w := storetest.NewWorkload(1, 3)
	for range 3 {
		if err := storetest.AppendBatch(t.Context(), db, w.Batch(1000)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db = openTest(t, u)
	if err := storetest.AppendBatch(t.Context(), db, w.Batch(500)); err != nil {
		t.Fatal(err)
	}
	waitIndexed(t, db)
	checkIndex(t, db)
	var rows int
	if err := db.pool.QueryRow(t.Context(), `SELECT count(*) FROM events_text WHERE text LIKE '%reentrancy%'`).Scan(&rows); err != nil || rows != 3500 {
		t.Errorf("events_text lists %d events for reentrancy, %v, want 3500", rows, err)
	}

	// Closed while behind: Close waits for the indexer to stop.
	u = newSchema(t)
	db = openTest(t, u)
	pauseText(db)
	for range 10 {
		if err := storetest.AppendBatch(t.Context(), db, w.Batch(1000)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db = openTest(t, u)
	time.Sleep(50 * time.Millisecond) // indexing
	closed := make(chan error)
	go func() { closed <- db.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close() = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close() didn't return")
	}
	select {
	case <-db.textDone:
	default:
		t.Error("Close() returned before the indexer stopped")
	}
}

// checkIndex checks that the text index of db, all caught up, holds what
// it should: a row for each event with text, with what store.FreeText makes
// of it; marks at each organization's last seq; and the counts of
// trigrams and events of those rows, each event counted once.
func checkIndex(t *testing.T, db *DB) {
	t.Helper()
	ctx := t.Context()
	rows, err := db.pool.Query(ctx, `SELECT l.org, l.seq, e.actor_email, e.actor_id, e.actor_name, e.target_id, e.target_name,
		coalesce(e.details, ''), x.text FROM leaves l JOIN events e USING (org, ts, seq)
		LEFT JOIN events_text x USING (org, seq) ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]map[int32]int64{}
	events := map[string]int64{}
	last := map[string]int64{}
	var org string
	var seq int64
	var s [6]string
	var text *string
	_, err = pgx.ForEachRow(rows, []any{&org, &seq, &s[0], &s[1], &s[2], &s[3], &s[4], &s[5], &text}, func() error {
		want := store.FreeText(s[5], s[:5]...)
		if got := ""; text != nil {
			got = *text
			if got != want || want == "" {
				t.Errorf("events_text of %s/%d = %q, want %q", org, seq, got, want)
			}
		} else if want != "" {
			t.Errorf("events_text has no row for %s/%d", org, seq)
		}
		if counts[org] == nil {
			counts[org] = map[int32]int64{}
		}
		seen := map[int32]bool{}
		eachTrigram(want, func(t int32) {
			if !seen[t] {
				seen[t] = true
				counts[org][t]++
			}
		})
		events[org]++
		last[org] = seq
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err = db.pool.Query(ctx, `SELECT org, up_to, events FROM text_indexed`)
	if err != nil {
		t.Fatal(err)
	}
	var upTo, n int64
	_, err = pgx.ForEachRow(rows, []any{&org, &upTo, &n}, func() error {
		if upTo != last[org] || n != events[org] {
			t.Errorf("text_indexed of %s: up to %d, %d events, want %d, %d", org, upTo, n, last[org], events[org])
		}
		delete(last, org)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(last) > 0 {
		t.Errorf("text_indexed has no row for %v", last)
	}
	rows, err = db.pool.Query(ctx, `SELECT org, trigram, n FROM text_trigrams`)
	if err != nil {
		t.Fatal(err)
	}
	var tri int32
	_, err = pgx.ForEachRow(rows, []any{&org, &tri, &n}, func() error {
		if n != counts[org][tri] {
			t.Errorf("text_trigrams of %s, %d = %d, want %d", org, tri, n, counts[org][tri])
		}
		delete(counts[org], tri)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for org, c := range counts {
		if len(c) > 0 {
			t.Errorf("text_trigrams of %s lacks %d trigrams", org, len(c))
		}
	}
}

// TestTextConcurrent checks that stores on one database, all indexing
// at once while others write, index every event once, and search right
// all along.
func TestTextConcurrent(t *testing.T) {
	setChunk(t, 100)
	u := newSchema(t)
	var dbs []*DB
	for range 3 {
		dbs = append(dbs, openTest(t, u))
	}
	w := storetest.NewWorkload(2, 20)
	var all []*store.Event
	var mu sync.Mutex
	var wg sync.WaitGroup
	batches := make(chan map[string][]*store.Event)
	for i := range 2 {
		wg.Go(func() {
			for b := range batches {
				if err := appendLedger(t.Context(), dbs[i], b); err != nil {
					t.Error(err)
				}
			}
		})
	}
	forceText(t)
	// Searches while writing and indexing: what each one's snapshot
	// holds is found.
	searching, searched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(searched)
		q, err := query.Parse("quasar", time.Now())
		if err != nil {
			t.Error(err)
			return
		}
		for n := 0; ; n++ {
			select {
			case <-searching:
				t.Logf("%d searches while writing", n)
				return
			default:
			}
			err := dbs[2].Read(t.Context(), func(ctx context.Context, r store.Reader) error {
				var want []*store.Event
				err := r.Events(ctx, "org-0", 0, 1<<40, func(e *store.Event) error {
					c := *e
					want = append(want, &c)
					return nil
				})
				if err != nil {
					return err
				}
				var got []int64
				err = r.List(ctx, "org-0", store.Filter{Query: q, Limit: 1000}, func(e *store.Event) error {
					got = append(got, e.Seq)
					return nil
				})
				if err != nil {
					return err
				}
				if w := storetest.Matching(want, q); !slices.Equal(got, w) {
					t.Errorf("search %d while writing = %v, want %v", n, got, w)
				}
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range 30 {
		b := w.Batch(200)
		for _, events := range b {
			for j, e := range events {
				if (i+j)%97 == 0 {
					e.Details = json.RawMessage(`{"note":"quasar"}`)
				}
			}
		}
		mu.Lock()
		for _, events := range b {
			all = append(all, events...)
		}
		mu.Unlock()
		batches <- b
	}
	close(batches)
	wg.Wait()
	close(searching)
	<-searched
	waitIndexed(t, dbs[2])
	checkIndex(t, dbs[2])
	var mine []*store.Event
	for _, e := range all {
		if e.Org == "org-0" {
			mine = append(mine, e)
		}
	}
	for _, text := range []string{"quasar", "reentrancy", "sec-12345", "quasar event:auth.login", "user"} {
		q, err := query.Parse(text, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		want := storetest.Matching(mine, q)
		if got := listAll(t, dbs[1], "org-0", store.Filter{Query: q}); !slices.Equal(got, want[:min(len(want), 1000)]) {
			t.Errorf("List(%s) = %v, want %v", text, got, want)
		}
	}
}

// appendLedger appends the events of b as a ledger does, whichever
// writer of the organization comes first: each organization's at the
// seqs that follow its head, once locked.
func appendLedger(ctx context.Context, db *DB, b map[string][]*store.Event) error {
	orgs := slices.Sorted(maps.Keys(b))
	return db.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, org := range orgs {
			h, err := tx.LockHead(ctx, org)
			if err != nil {
				return err
			}
			for i, e := range b[org] {
				e.Seq = h.Size + int64(i)
			}
			if err := tx.Append(ctx, org, b[org]); err != nil {
				return err
			}
			h.Size += int64(len(b[org]))
			if err := tx.SetHead(ctx, org, h); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestTextExtension checks that a role that may not create the
// extensions the schema needs fails to open a database without them,
// saying why.
func TestTextExtension(t *testing.T) {
	needServer(t)
	role := randomName("stele_noext_")
	admin(t, "CREATE ROLE "+role+" LOGIN")
	t.Cleanup(func() { admin(t, "DROP ROLE "+role) }) // after the database, which has its schema
	name := newDatabase(t, "stele_noext_")
	conn, err := pgx.Connect(t.Context(), withParams(t, serverURL, "dbname="+name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), "CREATE SCHEMA stele AUTHORIZATION "+role); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	db, err := Open(t.Context(), withParams(t, serverURL, "dbname="+name, "user="+role, "search_path=stele"))
	if err == nil {
		db.Close()
		t.Fatal("Open by a role that may not create pg_trgm = nil error, want one")
	}
	if !strings.Contains(err.Error(), "pg_trgm") || !strings.Contains(err.Error(), "may not create it") {
		t.Errorf("Open by a role that may not create pg_trgm = %v, want it to say so", err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("Open by a role that may not create pg_trgm = %v, want SQLSTATE 42501", err)
	}
}

// TestOneIndexer checks that of two stores on one schema (two servers)
// one indexes at a time, and that the other takes over once it closes.
func TestOneIndexer(t *testing.T) {
	u := newSchema(t)
	first := openTest(t, u)
	waitIndexers(t, first, 1) // first's
	second := openTest(t, u)
	w := storetest.NewWorkload(1, 2)
	if err := storetest.AppendBatch(t.Context(), second, w.Batch(300)); err != nil {
		t.Fatal(err)
	}
	waitIndexed(t, second)       // by first
	time.Sleep(3 * textInterval) // second tries to take the lock
	if n := indexers(t, second); n != 1 {
		t.Errorf("%d indexers with both stores open, want 1", n)
	}
	first.Close()
	if err := storetest.AppendBatch(t.Context(), second, w.Batch(300)); err != nil {
		t.Fatal(err)
	}
	waitIndexers(t, second, 1) // second's
	waitIndexed(t, second)
	checkIndex(t, second)
}

// indexers counts the sessions that hold the lock of db's indexer.
func indexers(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	err := db.pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 2
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND classid = hashtext('stele.text')::oid AND objid = `+schemaKey+`::oid`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitIndexers waits, for a few seconds at most, until n sessions hold
// the lock of db's indexer.
func waitIndexers(t *testing.T, db *DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got := indexers(t, db)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d indexers, want %d", got, n)
		}
	}
}

// TestIndexerCounts checks that an indexing transaction counts the
// schema's events, whichever store appends them, and those it indexed:
// what the indexer decides to rest by.
func TestIndexerCounts(t *testing.T) {
	u := newSchema(t)
	indexing := openTest(t, u)
	pauseText(indexing)
	conn := indexer(t, indexing)
	appending := openTest(t, u) // another server's store
	pauseText(appending)
	setChunk(t, 100)
	w := storetest.NewWorkload(1, 1)
	if err := storetest.AppendBatch(t.Context(), appending, w.Batch(500)); err != nil {
		t.Fatal(err)
	}
	var org string
	if err := conn.QueryRow(t.Context(), `SELECT id FROM orgs`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), insertIndexed); err != nil { // as indexRound does
		t.Fatal(err)
	}
	step := func(stage string, want textCounts) {
		t.Helper()
		got, err := indexOrgs(t.Context(), conn, []string{org})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: counts %+v, want %+v", stage, got, want)
		}
	}
	step("first", textCounts{appended: 500, n: 100})
	step("second", textCounts{appended: 500, n: 100})
	if err := storetest.AppendBatch(t.Context(), appending, w.Batch(100)); err != nil {
		t.Fatal(err)
	}
	step("after another store appended", textCounts{appended: 600, n: 100})
}

package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
)

// pauseText stops db's indexer, so that the test decides what is indexed.
func pauseText(db *DB) {
	db.stopText()
	<-db.textDone
}

// catchUp indexes all of db's events.
func catchUp(ctx context.Context, db *DB) error {
	for {
		n, err := db.indexChunk(ctx)
		if err != nil || n < textChunk {
			return err
		}
	}
}

// indexedWrites is a DB whose indexer is paused and that indexes, after
// each write transaction, all events or only one chunk of them.
type indexedWrites struct {
	*DB
	all bool
}

// ReadWrite runs f as DB.ReadWrite does, then indexes.
func (db indexedWrites) ReadWrite(ctx context.Context, f func(context.Context, store.Tx) error) error {
	if err := db.DB.ReadWrite(ctx, f); err != nil {
		return err
	}
	if db.all {
		return catchUp(ctx, db.DB)
	}
	_, err := db.indexChunk(ctx)
	return err
}

// forceText makes searches read by the text index whenever it can
// narrow them, until the test ends.
func forceText(t *testing.T) {
	sorted, counted := maxSorted, maxCounted
	t.Cleanup(func() { maxSorted, maxCounted = sorted, counted })
	maxSorted, maxCounted = 1<<20, 0
}

// TestTextQueries runs the query scripts with searches read by the text
// index where it can, with nothing indexed, with everything indexed as it
// is written, and with the index always behind.
func TestTextQueries(t *testing.T) {
	defer func(chunk int) { textChunk = chunk }(textChunk)
	for _, tt := range []struct {
		name  string
		chunk int
		open  func(db *DB) store.Store
	}{
		{"unindexed", 1000, func(db *DB) store.Store { return db }},
		{"indexed", 1000, func(db *DB) store.Store { return indexedWrites{db, true} }},
		{"behind", 5, func(db *DB) store.Store { return indexedWrites{db, false} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			forceText(t)
			textChunk = tt.chunk
			dir := t.TempDir()
			storetest.RunQueries(t, func(t *testing.T, name string) store.Store {
				db, err := Open(t.Context(), filepath.Join(dir, name+".db"))
				if err != nil {
					t.Fatalf("Open(%s) = %v", name, err)
				}
				pauseText(db)
				return tt.open(db)
			})
		})
	}
}

// TestTextHostile checks that searches for words of hostile texts find
// what query.Match finds, before and after indexing, and that the index
// lists every event that matches a word it can look for.
func TestTextHostile(t *testing.T) {
	forceText(t)
	db := openTest(t, filepath.Join(t.TempDir(), "stele.db"))
	pauseText(db)
	b := storetest.HostileEvents()
	if err := storetest.AppendBatch(t.Context(), db, map[string][]*store.Event{"org-0": b}); err != nil {
		t.Fatal(err)
	}
	needles := storetest.HostileNeedles()
	for _, state := range []string{"unindexed", "indexed"} {
		if state == "indexed" {
			if err := catchUp(t.Context(), db); err != nil {
				t.Fatal(err)
			}
		}
		for _, needle := range needles {
			q := &query.Query{Terms: []query.Term{{Field: query.FieldText, Values: []query.Value{{Parts: []string{needle}}}}}}
			want := storetest.Matching(b, q)
			got, text := searchSeqs(t, db, "org-0", q)
			if !slices.Equal(got, want) {
				t.Errorf("%s: search %q = %v, want %v", state, needle, got, want)
			}
			if drives := utf8.RuneCountInString(needle) >= 3; text != drives {
				t.Errorf("%s: search %q read by the text index: %v, want %v", state, needle, text, drives)
			}
			if state == "indexed" && text {
				listed := textListed(t, db, textMatch(q))
				for _, e := range want {
					if !listed[e] {
						t.Errorf("text index for %q lists %v, not event %d, which matches", needle, listed, e)
					}
				}
			}
		}
	}
}

// searchSeqs returns the seqs of the events of org that List finds for
// q, and whether it read them by the text index, or found by it that no
// event can match.
func searchSeqs(t *testing.T, db *DB, org string, q *query.Query) (seqs []int64, text bool) {
	t.Helper()
	f := store.Filter{Query: q, Limit: 1000}
	seqs = []int64{}
	err := db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
		rd := r.(*reader)
		num, err := rd.orgNum(ctx, org)
		if err != nil {
			return err
		}
		s, arms, err := rd.newSearch(ctx, num, f)
		if err != nil {
			return err
		}
		text = s == nil || len(arms) == 1 && arms[0].index == ""
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

// textListed returns the seqs of the events of the organization numbered
// 1 that the text index lists for the full-text query match.
func textListed(t *testing.T, db *DB, match string) map[int64]bool {
	t.Helper()
	lo, hi := textRowids(1)
	rows, err := db.r.QueryContext(t.Context(), "SELECT rowid - ?2 FROM events_text WHERE events_text MATCH ?1 AND rowid BETWEEN ?2 AND ?3", match, lo, hi)
	if err != nil {
		t.Fatalf("MATCH %q: %v", match, err)
	}
	defer rows.Close()
	listed := map[int64]bool{}
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			t.Fatal(err)
		}
		listed[seq] = true
	}
	return listed
}

// TestTextMatch checks the full-text queries that terms compile to.
func TestTextMatch(t *testing.T) {
	text := func(values ...[]string) query.Term {
		t := query.Term{Field: query.FieldText}
		for _, v := range values {
			t.Values = append(t.Values, query.Value{Parts: v})
		}
		return t
	}
	negated := text([]string{"vault"})
	negated.Negated = true
	for _, tt := range []struct {
		terms []query.Term
		want  string
	}{
		{[]query.Term{text([]string{"vault"})}, `(("vau" AND "ult"))`},
		{[]query.Term{text([]string{"reentrancy"})}, `(("ree" AND "ntr" AND "anc" AND "ncy"))`},
		{[]query.Term{text([]string{"aaaaaa"})}, `(("aaa"))`},
		{[]query.Term{text([]string{`say "hi"`})}, `(("say" AND " ""h" AND "hi"""))`},
		{[]query.Term{text([]string{"ab", "cdef", ""})}, `(("cde" AND "def"))`},
		{[]query.Term{text([]string{"éé", "abc"})}, `(("abc"))`},
		{[]query.Term{text([]string{"zoë"})}, `(("zoë"))`},
		{[]query.Term{text([]string{"vault"}, []string{"okta"})}, `(("vau" AND "ult") OR ("okt" AND "kta"))`},
		{[]query.Term{text([]string{"vault"}), text([]string{"okta"})}, `(("vau" AND "ult")) AND (("okt" AND "kta"))`},
		{[]query.Term{text([]string{"vault"}), text([]string{"ok"})}, `(("vau" AND "ult"))`},
		{[]query.Term{text([]string{"vault"}, []string{"ok"})}, ""},
		{[]query.Term{text([]string{"", "é1", ""})}, ""},
		{[]query.Term{text([]string{"a\x00bc"})}, ""},
		{[]query.Term{text()}, ""},
		{[]query.Term{negated}, ""},
		{[]query.Term{{Field: query.FieldActor, Values: []query.Value{{Parts: []string{"vault"}}}}}, ""},
	} {
		q := &query.Query{Terms: tt.terms}
		if got := textMatch(q); got != tt.want {
			t.Errorf("textMatch(%v) = %q, want %q", q, got, tt.want)
		}
	}
}

// TestTextPlans checks which way searches with free text read, and that
// the text index is read for a rare word, and then its events by key.
func TestTextPlans(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "stele.db"))
	pauseText(db)
	w := storetest.NewWorkload(1, 1)
	for range 8 {
		if err := storetest.AppendBatch(t.Context(), db, w.Batch(1000)); err != nil {
			t.Fatal(err)
		}
	}
	b := w.Batch(1000)
	for i, e := range b["org-0"][:30] {
		e.Details = json.RawMessage(`{"note":"quasar"}`)
		if i < 3 {
			e.Event, e.Category = "team.archived", "team"
		}
	}
	// Quasar is commoner in another organization than the index may
	// read, newer too, but the index lists each organization's apart.
	other := storetest.NewWorkload(2, 1).Batch(1000)["org-0"]
	for _, e := range other {
		e.Org = "org-1"
		e.Details = json.RawMessage(`{"note":"quasar"}`)
	}
	defer func(n int) { maxMatched = n }(maxMatched)
	maxMatched = 500
	for _, b := range []map[string][]*store.Event{b, {"org-1": other}} {
		if err := storetest.AppendBatch(t.Context(), db, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := catchUp(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	const byKey = "SEARCH events USING INTEGER PRIMARY KEY (rowid=?)\nLIST SUBQUERY 1\nSCAN json_each VIRTUAL TABLE"
	// Every event is about reentrancy; team.archived is rarer than
	// quasar, and auth.login commoner.
	for _, tt := range []struct {
		query string
		want  string
	}{
		{"quasar", byKey},
		{"quasar event:auth.login", byKey},
		{"quasar event:team.archived", "SEARCH events USING INDEX events_event"},
		{"reentrancy", "SEARCH events USING INDEX events_ts"},
		{"re", "SEARCH events USING INDEX events_ts"},
	} {
		q, err := query.Parse(tt.query, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		err = db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
			rd := r.(*reader)
			num, err := rd.orgNum(ctx, "org-0")
			if err != nil {
				return err
			}
			s, arms, err := rd.newSearch(ctx, num, store.Filter{Query: q, Limit: 50})
			if err != nil {
				return err
			}
			got := strings.Join(plan(t, db.r, s.sql(arms), s.args...), "\n")
			if !strings.Contains(got, tt.want) || strings.Contains(got, "SCAN events\n") {
				t.Errorf("%s: plan =\n%s\nwant %s, and no scan of events", tt.query, got, tt.want)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
	}
	// The text index lists the organization's events newest first,
	// without sorting, and they are looked up by seq.
	lo, hi := textRowids(1)
	got := strings.Join(plan(t, db.r, selectTextListed, 1, 0, 0, `("quasar")`, lo, hi, 10), "\n")
	for _, want := range []string{
		"SCAN events_text VIRTUAL TABLE",
		"SEARCH e USING INDEX events_seq (org=? AND seq=?)",
	} {
		if !strings.Contains(got, want) || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("selectTextListed: plan =\n%s\nwant %s, and no sort", got, want)
		}
	}
	got = strings.Join(plan(t, db.r, selectUnindexed, 1, 0, 0, 0, 10), "\n")
	if want := "SEARCH events USING INTEGER PRIMARY KEY (rowid>?)"; got != want {
		t.Errorf("selectUnindexed: plan =\n%s\nwant %s", got, want)
	}
}

// TestTextIndexer checks that the indexer catches up with events on its
// own, from scratch when a store opens, and that Close stops it, even
// while it is behind.
func TestTextIndexer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stele.db")
	db := openTest(t, path)
	pauseText(db)
	w := storetest.NewWorkload(1, 3)
	for range 3 {
		if err := storetest.AppendBatch(t.Context(), db, w.Batch(1000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, path)
	if err := storetest.AppendBatch(t.Context(), db, w.Batch(500)); err != nil {
		t.Fatal(err)
	}
	// The indexer must catch up; it fails only once it stalls (no event
	// indexed for 10 s), as a slow machine under -race may take long.
	for last, stalled := -1, time.Now().Add(10*time.Second); ; {
		var behind int
		err := db.r.QueryRowContext(t.Context(), "SELECT count(*) FROM events WHERE key > (SELECT up_to FROM text_indexed)").Scan(&behind)
		if err != nil {
			t.Fatal(err)
		}
		if behind == 0 {
			break
		}
		if behind != last {
			last, stalled = behind, time.Now().Add(10*time.Second)
		}
		if time.Now().After(stalled) {
			t.Fatalf("the indexer left %d events unindexed for 10s", behind)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var rows int
	if err := db.r.QueryRowContext(t.Context(), `SELECT count(*) FROM events_text WHERE events_text MATCH '"ree" AND "ncy"'`).Scan(&rows); err != nil || rows != 3500 {
		t.Errorf("events_text lists %d events for reentrancy, %v, want 3500", rows, err)
	}

	// Closed while behind: Close waits for the indexer to stop.
	path = filepath.Join(t.TempDir(), "stele.db")
	db = openTest(t, path)
	pauseText(db)
	for range 10 {
		if err := storetest.AppendBatch(t.Context(), db, w.Batch(1000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, path)
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

// TestTextAppended checks the count the indexer rests by: the events
// committed, whatever the batches, and none of a transaction that failed.
func TestTextAppended(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "stele.db"))
	pauseText(db)
	w := storetest.NewWorkload(1, 3)
	for _, n := range []int{1, 10, 1000} {
		if err := storetest.AppendBatch(t.Context(), db, w.Batch(n)); err != nil {
			t.Fatal(err)
		}
	}
	failed := errors.New("the caller failed")
	err := db.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		for org, events := range w.Batch(100) {
			h, err := tx.LockHead(ctx, org)
			if err != nil {
				return err
			}
			for i, e := range events {
				e.Seq = h.Size + int64(i)
			}
			if err := tx.Append(ctx, org, events); err != nil {
				return err
			}
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("ReadWrite = %v, want %v", err, failed)
	}
	if got := db.appended.Load(); got != 1011 {
		t.Errorf("appended = %d, want 1011", got)
	}
}

// BenchmarkTextIndex measures how fast the indexer catches up with
// 100,000 events of 1,000 organizations (-benchtime=Nx indexes N times
// as many, into a growing index).
func BenchmarkTextIndex(b *testing.B) {
	db := openTest(b, filepath.Join(b.TempDir(), "stele.db"))
	pauseText(db)
	w := storetest.NewWorkload(1, 1000)
	const events = 100_000
	var elapsed time.Duration
	for b.Loop() {
		for range events / 1000 {
			if err := storetest.AppendBatch(b.Context(), db, w.Batch(1000)); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		if err := catchUp(b.Context(), db); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(b.N*events)/elapsed.Seconds(), "events/s")
}

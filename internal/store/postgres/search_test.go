package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/storetest"
	"github.com/steleaudit/stele/verify"
)

// checkSearches checks that List, Facets and Histogram of org find, for
// each of queries, what query.Match finds among events.
func checkSearches(t *testing.T, db *DB, org string, events []*store.Event, queries []string) {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	since, until := now.AddDate(0, 0, -30), now.AddDate(0, 0, 1)
	for _, text := range queries {
		q, err := query.Parse(text, now)
		if err != nil {
			t.Errorf("Parse(%q) = %v", text, err)
			continue
		}
		var want []*store.Event
		for _, e := range events {
			if q.Match(&e.Record) {
				want = append(want, e)
			}
		}
		slices.SortFunc(want, func(a, b *store.Event) int {
			return cmp.Or(b.Timestamp.Compare(a.Timestamp), cmp.Compare(b.Seq, a.Seq))
		})
		var seqs []int64
		for _, e := range want {
			seqs = append(seqs, e.Seq)
		}
		if got := listAll(t, db, org, store.Filter{Query: q}); !slices.Equal(got, seqs) {
			t.Errorf("List(%s) = %v, want %v", text, got, seqs)
		}
		err = db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
			f := store.Filter{Since: since, Until: until, Query: q}
			fc, err := r.Facets(ctx, org, f, 10)
			if err != nil || fc.Total != int64(len(want)) {
				t.Errorf("Facets(%s).Total = %d, %v, want %d", text, fc.Total, err, len(want))
			}
			bs, err := r.Histogram(ctx, org, f, 24*time.Hour)
			n := int64(0)
			for _, b := range bs {
				n += b.N
			}
			if err != nil || n != int64(len(want)) {
				t.Errorf("Histogram(%s) counts %d, %v, want %d", text, n, err, len(want))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestInjection checks that values which mean something to SQL, to LIKE
// or to PostgreSQL's string syntax are matched as the text they are.
func TestInjection(t *testing.T) {
	db := openTest(t, newSchema(t))
	at := time.Date(2026, 2, 27, 10, 0, 0, 0, time.UTC)
	hostile := []struct{ name, target, ua, details string }{
		{`Robert'); DROP TABLE events; --`, `x' OR '1'='1`, `$1 $2 ?1 :name`, `{"note":"it's 50% off_ \\ 'quoted'"}`},
		{`100%_off\`, `a%b`, `E'\\x00' || chr(65)`, `{"note":"50x off"}`},
		{`100 percent`, `a_b`, `%`, `{"note":"\\u0027 escaped"}`},
		{`plain`, `ab`, `_`, `{"note":"plain"}`},
	}
	var events []*store.Event
	for i, h := range hostile {
		e := testEvent("acme", int64(i), at.Add(time.Duration(i)*time.Minute))
		e.Actor.Name, e.Target = h.name, verify.Target{Type: "x", ID: h.target}
		e.UserAgent, e.Details = h.ua, json.RawMessage(h.details)
		events = append(events, e)
	}
	appendEvents(t, db, "acme", events...)
	checkSearches(t, db, "acme", events, []string{
		`actor:"robert'); drop table events; --"`,
		`actor:"100%_off\\"`, `actor:100*`, `actor:"100%"`, `actor:1_0*`, `actor:*%*`, `actor:*\\`,
		`target:"x' OR '1'='1"`, `target:a%b`, `target:a_b`, `target:a*b`, `target:"a%"*`,
		`user_agent:"$1 $2 ?1 :name"`, `user_agent:%`, `user_agent:_`, `user_agent:*chr(65)`,
		`details.note:*50%*`, `details.note:"50% off_*"`, `details.note:*'*`, `details.note:*\\*`,
		`"it's"`, `"off_"`, `escaped`, `"'"`, `-"'"`, `-details.note:*%*`,
		`"; drop table"`, `"\\"`,
	})
	var n int
	if err := db.pool.QueryRow(t.Context(), `SELECT count(*) FROM events`).Scan(&n); err != nil || n != len(events) {
		t.Errorf("events has %d rows, %v, want %d", n, err, len(events))
	}
}

// TestFolding checks case folding beyond ASCII against Go's: the Kelvin
// sign and the dotted capital I fold into ASCII, final sigma does not
// exist for strings.ToLower, and folding never crosses into case-sensitive
// fields.
func TestFolding(t *testing.T) {
	db := openTest(t, newSchema(t))
	at := time.Date(2026, 2, 27, 10, 0, 0, 0, time.UTC)
	names := []string{"\u212Aelvin", "İstanbul", "ΣΊΣΥΦΟΣ", "Ürsula Müller", "ÅNGSTRÖM", "kelvin", "Straße", "ǅemal"}
	var events []*store.Event
	for i, name := range names {
		e := testEvent("acme", int64(i), at.Add(time.Duration(i)*time.Minute))
		e.Actor = verify.Actor{Type: "user", Name: name} // neither email nor id: no index key
		e.Target = verify.Target{Type: "x", Name: name}
		e.Event = "Auth.LOGIN"
		events = append(events, e)
	}
	appendEvents(t, db, "acme", events...)
	checkSearches(t, db, "acme", events, []string{
		`actor:kelvin`, `actor:k*`, `actor:*K*`, `actor:istanbul`, `actor:i*`, `actor:σίσυφοσ`, `actor:σίσυφος`,
		`actor:ürsula*`, `actor:*müller`, `actor:ångström`, `actor:*ß*`, `actor:ǆemal`, `actor:dž*`,
		`kelvin`, `stanbul`, `"σίσυφοσ"`, `ß`, `-actor:k*`, `-kelvin`,
		`target:kelvin`, "target:\u212Aelvin", `target:*K*`, `event:auth.login`, `-event:auth.*`,
	})
}

// TestQueriesWithoutArms runs the query scripts with drives that read all
// their keys at once, not an arm each (listMany): the newest events along
// time, then the keys' events, sorted or, too many, along time; and with
// no drives at all.
func TestQueriesWithoutArms(t *testing.T) {
	for _, tt := range []struct {
		name                        string
		arms, keys, scanned, sorted int
	}{
		{"newest", 0, 256, 1 << 30, 0},
		{"sorted", 0, 256, 1, 1 << 30},
		{"along time", 0, 256, 1, 0},
		{"none", 0, 0, 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			arms, keys, scanned, sorted := maxArms, maxKeys, maxScanned, maxSorted
			maxArms, maxKeys, maxScanned, maxSorted = tt.arms, tt.keys, tt.scanned, tt.sorted
			t.Cleanup(func() { maxArms, maxKeys, maxScanned, maxSorted = arms, keys, scanned, sorted })
			storetest.RunQueries(t, func(t *testing.T, name string) store.Store {
				db, err := Open(t.Context(), newSchema(t))
				if err != nil {
					t.Fatal(err)
				}
				return db
			})
		})
	}
}

// TestManyKeys checks how List reads a term of more than maxArms keys
// (listMany): along time, finding a page in a few rows to each match when
// their events are common; by key and sorted when they are few, reading
// little more than them; along time when they are neither, after
// counting them by their index.
func TestManyKeys(t *testing.T) {
	db := openTest(t, newSchema(t))
	pauseText(db) // the text index lists no event: it doesn't drive
	w := storetest.NewWorkload(1, 1)
	for i := range 10 {
		b := w.Batch(1000)
		for j, e := range b["org-0"] {
			// In seq order a millisecond apart: batch 9 is the newest.
			e.Timestamp = w.Now.Add(time.Duration(i*1000+j-10000) * time.Millisecond)
			switch {
			case j%5 == 0: // 2,000 events, one in five
				e.Target = verify.Target{Type: "project", ID: fmt.Sprintf("proj-%02d", j/5%40)}
			case i < 4 && j%100 == 1: // 40 events, old
				e.Target = verify.Target{Type: "repo", ID: fmt.Sprintf("rare-%02d", i*10+j/100)}
			case i >= 5 && i <= 8: // 3,200 events, neither new nor old
				e.Target = verify.Target{Type: "team", ID: fmt.Sprintf("mid-%02d", j%50)}
			}
		}
		if err := storetest.AppendBatch(t.Context(), db, b); err != nil {
			t.Fatal(err)
		}
	}
	// Analyzed, and the newest events counted off by an index-only scan,
	// which reads no rows.
	if _, err := db.pool.Exec(t.Context(), "VACUUM (ANALYZE) events"); err != nil {
		t.Fatal(err)
	}
	scanned := int64(maxScanned)
	for _, tt := range []struct {
		query  string
		sorted int // maxSorted, if not 0
		found  int
		read   int64 // at most, rows of events
	}{
		{"target:proj-*", 0, 50, 400},
		{"target:proj-*,rare-*", 0, 50, 400},
		// The newest events, then the 40 counted, then read.
		{"target:rare-*", 0, 40, scanned + 40 + 40},
		{"target:rare-* -target:rare-1*", 0, 30, scanned + 40 + 40},
		// Too many to sort: the newest, 20 counted, then the rest.
		{"target:rare-*", 20, 40, 10000 + 20},
		// None among the newest, 2,000 counted, the page found soon
		// after: not all 3,200 read and sorted.
		{"target:mid-*", 0, 50, scanned + 2000 + 300},
	} {
		sorted := maxSorted
		if tt.sorted != 0 {
			maxSorted = tt.sorted
		}
		q, err := query.Parse(tt.query, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		err = db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
			before := rowsRead(ctx, t, r)
			found := 0
			if err := r.List(ctx, "org-0", store.Filter{Query: q, Limit: 50}, func(*store.Event) error { found++; return nil }); err != nil {
				return err
			}
			if read := rowsRead(ctx, t, r) - before; found != tt.found || read > tt.read {
				t.Errorf("%s: found %d events reading %d rows of events, want %d reading at most %d", tt.query, found, read, tt.found, tt.read)
			}
			return nil
		})
		maxSorted = sorted
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
	}
}

// TestSet checks that the planner's parameters that set changes come back
// as they were on reset, whatever they were.
func TestSet(t *testing.T) {
	db := openTest(t, newSchema(t))
	err := db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
		rd := r.(*reader)
		get := func(name string) string {
			var v string
			if err := rd.tx.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		if _, err := rd.tx.Exec(ctx, "SET LOCAL max_parallel_workers_per_gather = 3"); err != nil {
			return err
		}
		reset, err := rd.set(ctx, "enable_seqscan", "off", "max_parallel_workers_per_gather", "0")
		if err != nil {
			return err
		}
		if s, w := get("enable_seqscan"), get("max_parallel_workers_per_gather"); s != "off" || w != "0" {
			t.Errorf("set: enable_seqscan %s, max_parallel_workers_per_gather %s, want off and 0", s, w)
		}
		reset()
		if s, w := get("enable_seqscan"), get("max_parallel_workers_per_gather"); s != "on" || w != "3" {
			t.Errorf("reset: enable_seqscan %s, max_parallel_workers_per_gather %s, want on and 3", s, w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

package postgres

import (
	"cmp"
	"context"
	"encoding/json"
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
// their keys in one condition, not an arm each, and with none at all.
func TestQueriesWithoutArms(t *testing.T) {
	for _, tt := range []struct {
		name       string
		arms, keys int
	}{
		{"any", 0, 256},
		{"none", 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			arms, keys := maxArms, maxKeys
			maxArms, maxKeys = tt.arms, tt.keys
			t.Cleanup(func() { maxArms, maxKeys = arms, keys })
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

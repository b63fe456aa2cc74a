package postgres

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestLookupIDsPlan: the idempotency lookup of every batch probes
// leaves_id once an id, with or without statistics, and never reads an
// organization's leaves by leaves_pkey: that grows with the log.
func TestLookupIDsPlan(t *testing.T) {
	db := openTest(t, newSchema(t))
	ctx := t.Context()
	if _, err := db.pool.Exec(ctx, `INSERT INTO orgs (id) VALUES ('acme');
		INSERT INTO leaves (org, seq, ts, id_hash)
		SELECT 'acme', g, g, (random() * 9e18)::bigint FROM generate_series(0, 49999) g`); err != nil {
		t.Fatal(err)
	}
	hashes := make([]int64, 400)
	for i := range hashes {
		hashes[i] = rand.Int64()
	}
	for _, stats := range []string{"without statistics", "after ANALYZE"} {
		if stats == "after ANALYZE" {
			if _, err := db.pool.Exec(ctx, "ANALYZE leaves"); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.pool.Query(ctx, "EXPLAIN "+lookupIDs, slices.Repeat([]string{"acme"}, len(hashes)), hashes)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range plan {
			if len(line) > 120 {
				plan[i] = line[:120] + "…" // the hashes
			}
		}
		got := strings.Join(plan, "\n")
		if !strings.Contains(got, "leaves_id") || strings.Contains(got, "leaves_pkey") || strings.Contains(got, "Seq Scan on leaves") {
			t.Errorf("%s: lookupIDs plan =\n%s\nwant probes of leaves_id only", stats, got)
		}
	}
}

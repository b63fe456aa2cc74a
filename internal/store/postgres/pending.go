package postgres

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/steleaudit/stele/internal/store"
)

// Pending writes: a ledger's transaction writes to organization after
// organization, and per statement and round trip it spends more than its
// rows cost. So Append, PutTiles and SetHead gather their rows in the
// transaction's pending writes when they can't fail but by an error of
// the database, and the transaction sends them all at once, one statement
// a table, in one round trip: before the first statement that could read
// them, or before its commit. An error of theirs comes back from that
// statement or the commit; the transaction fails either way, as a Tx
// that failed does.

// pending is the rows a transaction holds back. Its zero value holds
// none.
type pending struct {
	orgs                   map[string]bool // organizations with rows here
	events                 columns         // and their leaves
	types, actors, targets rowSet
	hours                  map[hourKey]int64
	tiles                  map[tileKey][]byte // the widest data of each
	heads                  map[string]store.Head
}

// A tileKey is a row of tiles.
type tileKey struct {
	org string
	l   int
	n   int64
}

// hold notes that org has pending rows.
func (p *pending) hold(org string) {
	if p.orgs == nil {
		p.orgs = map[string]bool{}
	}
	p.orgs[org] = true
}

// flush sends the pending writes. Once it failed, the transaction is
// aborted, and it returns the same error again.
func (t *tx) flush(ctx context.Context) error {
	if t.failed != nil {
		return t.failed
	}
	p := &t.pending
	if len(p.orgs) == 0 {
		return nil
	}
	b := new(pgx.Batch)
	t.queueEvents(ctx, b)
	p.queueDistinct(b)
	p.queueHours(b)
	p.queueTiles(b)
	p.queueHeads(b)
	t.pending = pending{}
	if err := t.raw.SendBatch(ctx, b).Close(); err != nil {
		t.failed = conflict(err)
		return t.failed
	}
	return nil
}

// queueEvents queues the statement that inserts the pending events and
// their leaves: into their month's partition (creating it if need be),
// which measured a little faster than through events; or, if they span
// months, through events, which sends each to its month's partition or
// the default one.
func (t *tx) queueEvents(ctx context.Context, b *pgx.Batch) {
	c := &t.pending.events
	if len(c.seq) == 0 {
		return
	}
	var months []month
	for _, ts := range c.ts {
		if m := monthOf(ts); !slices.Contains(months, m) {
			months = append(months, m)
		}
	}
	have := t.db.parts.ensure(ctx, t.raw, months)
	table := "events"
	if len(months) == 1 && have[months[0]] {
		table = months[0].table()
	}
	b.Queue(insertSQL(table), c.args()...)
}

// queueTiles queues the statement that upserts the pending tiles, keeping
// the widest data.
func (p *pending) queueTiles(b *pgx.Batch) {
	if len(p.tiles) == 0 {
		return
	}
	// In one order, so that writers never wait for each other in a cycle.
	keys := slices.SortedFunc(maps.Keys(p.tiles), func(a, b tileKey) int {
		return cmp.Or(strings.Compare(a.org, b.org), cmp.Compare(a.l, b.l), cmp.Compare(a.n, b.n))
	})
	var orgs []string
	var levels []int32
	var ns []int64
	var data [][]byte
	for _, k := range keys {
		orgs, levels, ns, data = append(orgs, k.org), append(levels, int32(k.l)), append(ns, k.n), append(data, p.tiles[k])
	}
	b.Queue(`INSERT INTO tiles (org, level, n, data)
		SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::bytea[])
		ON CONFLICT (org, level, n) DO UPDATE SET data = excluded.data
		WHERE length(excluded.data) > length(tiles.data)`, orgs, levels, ns, data)
}

// queueHeads queues the statement that updates the pending heads, whose
// rows of orgs are known to be there.
func (p *pending) queueHeads(b *pgx.Batch) {
	if len(p.heads) == 0 {
		return
	}
	orgs := slices.Sorted(maps.Keys(p.heads))
	sizes := make([]int64, len(orgs))
	roots := make([][]byte, len(orgs))
	for i, org := range orgs {
		h := p.heads[org]
		sizes[i], roots[i] = h.Size, rootOf(h)
	}
	b.Queue(`UPDATE orgs SET tree_size = h.size, tree_root = h.root
		FROM unnest($1::text[], $2::bigint[], $3::bytea[]) AS h (id, size, root)
		WHERE orgs.id = h.id`, orgs, sizes, roots)
}

// A flushing is a write transaction that sends the pending writes ahead
// of every statement of a reader (Exec, Query, QueryRow), so that the
// statement sees them.
type flushing struct {
	pgx.Tx
	t *tx
}

// Exec sends the pending writes, then runs sql.
func (f flushing) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := f.t.flush(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return f.Tx.Exec(ctx, sql, args...)
}

// Query sends the pending writes, then runs sql.
func (f flushing) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := f.t.flush(ctx); err != nil {
		return nil, err
	}
	return f.Tx.Query(ctx, sql, args...)
}

// QueryRow sends the pending writes, then runs sql.
func (f flushing) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := f.t.flush(ctx); err != nil {
		return errRow{err}
	}
	return f.Tx.QueryRow(ctx, sql, args...)
}

// errRow is a row that failed.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

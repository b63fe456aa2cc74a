package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// A reader answers questions inside one transaction, read-only or not. Like
// the transaction's connection, it is for one goroutine at a time.
type reader struct {
	tx pgx.Tx
	db *DB
}

var _ store.Reader = (*reader)(nil)

// Orgs lists the rows of orgs, whose ids compare bytewise.
func (r *reader) Orgs(ctx context.Context) ([]string, error) {
	rows, err := r.tx.Query(ctx, `SELECT id FROM orgs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("couldn't list organizations: %w", err)
	}
	orgs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("couldn't list organizations: %w", err)
	}
	if orgs == nil {
		orgs = []string{}
	}
	return orgs, nil
}

// Head reads org's row of orgs.
func (r *reader) Head(ctx context.Context, org string) (store.Head, error) {
	h, err := scanHead(r.tx.QueryRow(ctx, `SELECT tree_size, tree_root FROM orgs WHERE id = $1`, org))
	if err != nil {
		return store.Head{}, fmt.Errorf("couldn't read head of %q: %w", org, err)
	}
	return h, nil
}

// scanHead reads a row of tree_size and tree_root; no row is ErrNotFound.
func scanHead(row pgx.Row) (store.Head, error) {
	var h store.Head
	var root []byte
	err := row.Scan(&h.Size, &root)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Head{}, store.ErrNotFound
	}
	if err != nil {
		return store.Head{}, err
	}
	return headOf(h.Size, root)
}

// headOf returns the head of a tree_size and tree_root.
func headOf(size int64, root []byte) (store.Head, error) {
	h := store.Head{Size: size}
	switch len(root) {
	case 0:
	case tlog.HashSize:
		copy(h.Root[:], root)
	default:
		return store.Head{}, fmt.Errorf("root is %d bytes", len(root))
	}
	return h, nil
}

// selectLeaves reads events through their leaves, in seq order: $1 is the
// organization, and seqs run from $2 to $3, exclusive. The leaf's id hash
// comes last.
const selectLeaves = `SELECT ` + eventColumnsOf + `, l.id_hash FROM leaves l
	JOIN events e ON e.org = l.org AND e.ts = l.ts AND e.seq = l.seq
	WHERE l.org = $1 AND l.seq >= $2 AND l.seq < $3 ORDER BY l.seq`

// eventsChunk is the most seqs Events reads in one statement. The
// planner can't tell how many leaves a range of seqs holds: given a
// million at once, it joined and sorted them all, on disk, before the
// first (5.3 s); a thousand go by index, in order.
const eventsChunk = 1000

// Events reads events through their leaves, so that it finds them by
// seq whatever partition holds them, eventsChunk seqs at a time.
func (r *reader) Events(ctx context.Context, org string, from, to int64, fn func(*store.Event) error) error {
	from = max(from, 0)
	if to-from > eventsChunk {
		// Callers may ask for everything from a seq on (to = MaxInt64).
		var last *int64
		err := r.tx.QueryRow(ctx, `SELECT max(seq) FROM leaves WHERE org = $1`, org).Scan(&last)
		if err != nil {
			return fmt.Errorf("couldn't read the last leaf of %q: %w", org, err)
		}
		if last == nil {
			return nil
		}
		to = min(to, *last+1)
	}
	for ; from < to; from += eventsChunk {
		if err := r.events(ctx, org, from, min(from+eventsChunk, to), fn); err != nil {
			return err
		}
	}
	return nil
}

// events reads org's events from seq from to seq to, in one statement.
func (r *reader) events(ctx context.Context, org string, from, to int64, fn func(*store.Event) error) error {
	rows, err := r.tx.Query(ctx, selectLeaves, org, from, to)
	if err != nil {
		return fmt.Errorf("couldn't read events: %w", err)
	}
	defer rows.Close()
	s := newScanner(org)
	var hash *int64
	s.dest = append(s.dest, &hash)
	for rows.Next() {
		e, err := s.scan(rows)
		if err != nil {
			return fmt.Errorf("couldn't read events: %w", err)
		}
		checkIDHash(e, hash)
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't read events: %w", err)
	}
	return nil
}

// Event reads org's event at seq.
func (r *reader) Event(ctx context.Context, org string, seq int64) (*store.Event, error) {
	// The leaf first, then its event by timestamp, which reads (and
	// locks) one partition of events, not all of them.
	var ts int64
	var hash *int64
	err := r.tx.QueryRow(ctx, `SELECT ts, id_hash FROM leaves WHERE org = $1 AND seq = $2`, org, seq).Scan(&ts, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("couldn't read event %d of %q: %w", seq, org, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read event %d of %q: %w", seq, org, err)
	}
	rows, err := r.tx.Query(ctx, `SELECT `+eventColumns+` FROM events WHERE org = $1 AND ts = $2 AND seq = $3`, org, ts, seq)
	if err != nil {
		return nil, fmt.Errorf("couldn't read event %d of %q: %w", seq, org, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("couldn't read event %d of %q: %w", seq, org, err)
		}
		return nil, fmt.Errorf("couldn't read event %d of %q: %w", seq, org, store.ErrNotFound)
	}
	e, err := newScanner(org).scan(rows)
	if err != nil {
		return nil, fmt.Errorf("couldn't read event %d of %q: %w", seq, org, err)
	}
	checkIDHash(e, hash)
	c := *e // the scanner's buffers are its own: nothing to clone
	return &c, nil
}

// lookupIDs finds the leaves of id hashes $2 in the logs of $1 (pairs,
// organization and hash), one index probe of leaves_id each. Asked as
// one id_hash = ANY($2) of one log, the planner read every leaf of the
// log instead: by leaves_pkey without statistics (autovacuum off, or not
// run yet), 18 ms a batch at 200k events and growing; by a scan with
// them, at 50k. OFFSET 0 keeps each probe a subquery of its own, where
// leaves_id, matching both columns, wins.
const lookupIDs = `SELECT l.org, l.seq, l.ts FROM unnest($1::text[], $2::bigint[]) AS h(org, id_hash),
	LATERAL (SELECT org, seq, ts FROM leaves WHERE org = h.org AND id_hash = h.id_hash OFFSET 0) l`

// LookupIDs finds the leaves by the hash of their id, then compares the
// ids of their events.
func (r *reader) LookupIDs(ctx context.Context, org string, ids []string) (map[string]int64, error) {
	all, err := r.lookupAll(ctx, map[string][]string{org: ids})
	if err != nil {
		return nil, err
	}
	if all[org] == nil {
		return map[string]int64{}, nil
	}
	return all[org], nil
}

// lookupAll is LookupIDs of several organizations in two statements,
// whatever their number.
func (r *reader) lookupAll(ctx context.Context, ids map[string][]string) (map[string]map[string]int64, error) {
	type key struct{ org, id string }
	want := map[key]bool{}
	var orgs []string
	var hashes []int64
	for org, of := range ids {
		for _, id := range of {
			if id == "" || want[key{org, id}] {
				continue
			}
			want[key{org, id}] = true
			orgs, hashes = append(orgs, org), append(hashes, *idHash(id))
		}
	}
	found := map[string]map[string]int64{}
	if len(hashes) == 0 {
		return found, nil
	}
	// The leaves whose id hash is one of ids', then their events' ids,
	// by timestamp, reading (and locking) only their partitions: that
	// way a write transaction that looked up ids holds no lock on the
	// default partition, which creating a partition needs.
	type pos struct {
		org     string
		ts, seq int64
	}
	leaf := map[pos]bool{}
	var leafOrgs []string
	var seqs, tss []int64
	rows, err := r.tx.Query(ctx, lookupIDs, orgs, hashes)
	if err != nil {
		return nil, fmt.Errorf("couldn't look up ids: %w", err)
	}
	var org string
	var seq, ts int64
	_, err = pgx.ForEachRow(rows, []any{&org, &seq, &ts}, func() error {
		leafOrgs, seqs, tss = append(leafOrgs, org), append(seqs, seq), append(tss, ts)
		leaf[pos{org, ts, seq}] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("couldn't look up ids: %w", err)
	}
	if len(seqs) == 0 {
		return found, nil
	}
	// Any org, ts and seq of those found: leaf keeps the ones that go
	// together.
	rows, err = r.tx.Query(ctx, `SELECT org, ts, seq, id FROM events WHERE org = ANY($1) AND ts = ANY($2) AND seq = ANY($3)`,
		slices.Compact(slices.Sorted(slices.Values(leafOrgs))), tss, seqs)
	if err != nil {
		return nil, fmt.Errorf("couldn't look up ids: %w", err)
	}
	var id string
	_, err = pgx.ForEachRow(rows, []any{&org, &ts, &seq, &id}, func() error {
		if leaf[pos{org, ts, seq}] && want[key{org, id}] { // not just a hash collision
			if found[org] == nil {
				found[org] = map[string]int64{}
			}
			found[org][id] = seq
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("couldn't look up ids: %w", err)
	}
	return found, nil
}

// Tiles reads the tiles asked for in one statement.
func (r *reader) Tiles(ctx context.Context, org string, tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	if len(tiles) == 0 {
		return data, nil
	}
	levels := make([]int32, len(tiles))
	ns := make([]int64, len(tiles))
	for i, t := range tiles {
		levels[i], ns[i] = int32(t.L), t.N
	}
	rows, err := r.tx.Query(ctx, `SELECT level, n, data FROM tiles
		WHERE org = $1 AND (level, n) IN (SELECT * FROM unnest($2::integer[], $3::bigint[]))`, org, levels, ns)
	if err != nil {
		return nil, fmt.Errorf("couldn't read tiles: %w", err)
	}
	type ln struct {
		l int32
		n int64
	}
	stored := map[ln][]byte{}
	var l int32
	var n int64
	var b []byte
	_, err = pgx.ForEachRow(rows, []any{&l, &n, &b}, func() error {
		stored[ln{l, n}] = b
		b = nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("couldn't read tiles: %w", err)
	}
	for i, t := range tiles {
		data[i] = stored[ln{int32(t.L), t.N}]
		if len(data[i]) < t.W*tlog.HashSize {
			return nil, fmt.Errorf("couldn't read tile %v of %q: %w", t.Path(), org, store.ErrNotFound)
		}
	}
	return data, nil
}

const checkpointColumns = `size, note, signed_at`

// Checkpoints reads org's checkpoints in size order.
func (r *reader) Checkpoints(ctx context.Context, org string, fn func(store.Checkpoint) error) error {
	rows, err := r.tx.Query(ctx, `SELECT `+checkpointColumns+` FROM checkpoints WHERE org = $1 ORDER BY size`, org)
	if err != nil {
		return fmt.Errorf("couldn't read checkpoints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return fmt.Errorf("couldn't read checkpoints: %w", err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't read checkpoints: %w", err)
	}
	return nil
}

// Checkpoint reads org's checkpoint at size.
func (r *reader) Checkpoint(ctx context.Context, org string, size int64) (store.Checkpoint, error) {
	return r.oneCheckpoint(ctx, org, `SELECT `+checkpointColumns+` FROM checkpoints WHERE org = $1 AND size = $2`, org, size)
}

// LatestCheckpoint reads org's largest checkpoint.
func (r *reader) LatestCheckpoint(ctx context.Context, org string) (store.Checkpoint, error) {
	return r.oneCheckpoint(ctx, org, `SELECT `+checkpointColumns+` FROM checkpoints WHERE org = $1 ORDER BY size DESC LIMIT 1`, org)
}

// oneCheckpoint reads the checkpoint that sql selects, or ErrNotFound.
func (r *reader) oneCheckpoint(ctx context.Context, org, sql string, args ...any) (store.Checkpoint, error) {
	c, err := scanCheckpoint(r.tx.QueryRow(ctx, sql, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Checkpoint{}, fmt.Errorf("couldn't read checkpoint of %q: %w", org, store.ErrNotFound)
	}
	if err != nil {
		return store.Checkpoint{}, fmt.Errorf("couldn't read checkpoint of %q: %w", org, err)
	}
	return c, nil
}

// scanCheckpoint reads a row of checkpointColumns.
func scanCheckpoint(row pgx.Row) (store.Checkpoint, error) {
	var c store.Checkpoint
	var signed int64
	if err := row.Scan(&c.Size, &c.Note, &signed); err != nil {
		return store.Checkpoint{}, err
	}
	c.SignedAt = unixNano(signed)
	return c, nil
}

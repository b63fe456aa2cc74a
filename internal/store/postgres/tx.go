package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/steleaudit/stele/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// A tx is a write transaction, READ COMMITTED. LockHead's row lock is
// what serializes the writers of an organization, here and in other
// processes. It holds writes back in pending (pending.go); its reader
// reads through a flushing, which sends them first.
type tx struct {
	reader
	raw     pgx.Tx           // the transaction, without flushing
	pending pending          // writes not sent yet
	failed  error            // why the transaction can't go on, once it can't
	logs    map[string]bool  // organizations known to have a log, in this transaction
	next    map[string]int64 // of each organization whose head this transaction locked: one past its greatest seq stored or pending
	written []store.KnownRow // rows of distinct values written, known once committed
}

var _ store.Tx = (*tx)(nil)

// LockHead locks org's row of orgs FOR UPDATE, inserting it first if
// there is none, and learns the greatest seq of org's log, so that
// Append can tell when to hold events back: LockHeads of org alone.
func (t *tx) LockHead(ctx context.Context, org string) (store.Head, error) {
	heads, err := t.LockHeads(ctx, []string{org})
	if err != nil {
		return store.Head{}, err
	}
	return heads[org], nil
}

// createLogs creates the logs of $1 that don't exist; lockHeads locks
// the rows of all, in the order of their names; lastSeqs then reads the
// greatest seq of each. Another transaction may be creating one of the
// logs: the insert then waits for it, and does nothing if it commits.
// They are separate statements because a READ COMMITTED statement sees
// what committed before it started: lockHeads must see the rows created,
// and lastSeqs what the writers before, whose locks lockHeads waited
// for, committed.
const (
	createLogs = `INSERT INTO orgs (id) SELECT n.id FROM unnest($1::text[]) AS n(id)
		WHERE NOT EXISTS (SELECT FROM orgs o WHERE o.id = n.id) ON CONFLICT (id) DO NOTHING`
	lockHeads = `SELECT id, tree_size, tree_root FROM orgs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`
	lastSeqs  = `SELECT n.id, (SELECT coalesce(max(seq), -1) FROM leaves WHERE org = n.id) FROM unnest($1::text[]) AS n(id)`
)

// LockHeads locks the heads of orgs in three statements, one round trip,
// whatever their number. Logs that don't exist are created first, before
// any row is locked: creating one may wait for another transaction
// creating it, which may be waiting for a row this one locked.
func (t *tx) LockHeads(ctx context.Context, orgs []string) (map[string]store.Head, error) {
	sorted := slices.Compact(slices.Sorted(slices.Values(orgs)))
	if err := t.flushAny(ctx, sorted); err != nil {
		return nil, err
	}
	b := new(pgx.Batch)
	b.Queue(createLogs, sorted)
	b.Queue(lockHeads, sorted)
	b.Queue(lastSeqs, sorted)
	br := t.raw.SendBatch(ctx, b)
	heads, err := t.readHeads(br, len(sorted))
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't lock heads: %w", err)
	}
	return heads, nil
}

// readHeads reads the answers of LockHeads' batch for n organizations.
func (t *tx) readHeads(br pgx.BatchResults, n int) (map[string]store.Head, error) {
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	heads := make(map[string]store.Head, n)
	rows, _ := br.Query()
	var id string
	var size int64
	var root []byte
	_, err := pgx.ForEachRow(rows, []any{&id, &size, &root}, func() error {
		h, err := headOf(size, root)
		if err != nil {
			return fmt.Errorf("head of %q: %w", id, err)
		}
		heads[id] = h
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(heads) != n {
		return nil, fmt.Errorf("locked %d heads of %d", len(heads), n)
	}
	rows, _ = br.Query()
	var last int64
	_, err = pgx.ForEachRow(rows, []any{&id, &last}, func() error {
		t.logs[id] = true
		t.next[id] = last + 1
		return nil
	})
	return heads, err
}

// of returns a reader of orgs' rows that sends the pending writes first
// only if some are of orgs: those of other organizations can't change
// what it reads, and wait.
func (t *tx) of(ctx context.Context, orgs ...string) (*reader, error) {
	if err := t.flushAny(ctx, orgs); err != nil {
		return nil, err
	}
	return &reader{tx: t.raw, db: t.db}, nil
}

// LookupAllIDs looks up the ids of several logs, sending their pending
// writes first.
func (t *tx) LookupAllIDs(ctx context.Context, ids map[string][]string) (map[string]map[string]int64, error) {
	r, err := t.of(ctx, slices.Collect(maps.Keys(ids))...)
	if err != nil {
		return nil, fmt.Errorf("couldn't look up ids: %w", err)
	}
	return r.lookupAll(ctx, ids)
}

// flushAny sends the pending writes if some are of orgs, and returns
// why the transaction can't go on, if it can't.
func (t *tx) flushAny(ctx context.Context, orgs []string) error {
	for _, org := range orgs {
		if t.pending.orgs[org] {
			if err := t.flush(ctx); err != nil {
				return err
			}
			break
		}
	}
	return t.failed
}

// LookupIDs looks up ids in org's log, sending pending writes of org
// first.
func (t *tx) LookupIDs(ctx context.Context, org string, ids []string) (map[string]int64, error) {
	r, err := t.of(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("couldn't look up ids: %w", err)
	}
	return r.LookupIDs(ctx, org, ids)
}

// Event reads org's event at seq, sending pending writes of org first.
func (t *tx) Event(ctx context.Context, org string, seq int64) (*store.Event, error) {
	r, err := t.of(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("couldn't read event %d of %q: %w", seq, org, err)
	}
	return r.Event(ctx, org, seq)
}

// Tiles reads org's tiles, sending pending writes of org first.
func (t *tx) Tiles(ctx context.Context, org string, tiles []tlog.Tile) ([][]byte, error) {
	r, err := t.of(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("couldn't read tiles: %w", err)
	}
	return r.Tiles(ctx, org, tiles)
}

// LatestCheckpoint reads org's largest checkpoint, sending pending writes
// of org first.
func (t *tx) LatestCheckpoint(ctx context.Context, org string) (store.Checkpoint, error) {
	r, err := t.of(ctx, org)
	if err != nil {
		return store.Checkpoint{}, fmt.Errorf("couldn't read checkpoint of %q: %w", org, err)
	}
	return r.LatestCheckpoint(ctx, org)
}

// needLog returns ErrNotFound if org has no log.
func (t *tx) needLog(ctx context.Context, org string) error {
	if t.logs[org] {
		return nil
	}
	r, err := t.of(ctx, org)
	if err != nil {
		return err
	}
	var ok bool
	if err := r.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM orgs WHERE id = $1)`, org).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("organization %q: %w", org, store.ErrNotFound)
	}
	t.logs[org] = true
	return nil
}

// rootOf returns h's root as tree_root holds it: NULL for an empty tree.
func rootOf(h store.Head) []byte {
	if h == (store.Head{}) {
		return nil
	}
	return h.Root[:]
}

// SetHead holds back the update of org's row of orgs if the row is known
// to be there, and else updates it at once, to say if it isn't.
func (t *tx) SetHead(ctx context.Context, org string, h store.Head) error {
	if t.logs[org] {
		if t.pending.heads == nil {
			t.pending.heads = map[string]store.Head{}
		}
		t.pending.heads[org] = h
		t.pending.hold(org)
		return nil
	}
	tag, err := t.tx.Exec(ctx, `UPDATE orgs SET tree_size = $2, tree_root = $3 WHERE id = $1`, org, h.Size, rootOf(h))
	if err != nil {
		return fmt.Errorf("couldn't set head of %q: %w", org, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("couldn't set head of %q: %w", org, store.ErrNotFound)
	}
	return nil
}

// Append adds events to the pending writes, with their rows of the
// tables of distinct values and the hourly counts. It holds
// them back when their seqs are past all that org's log holds, as
// LockHead found it, and ascend, so that none can conflict; else it
// sends them at once, to say if one does.
func (t *tx) Append(ctx context.Context, org string, events []*store.Event) error {
	if err := t.needLog(ctx, org); err != nil {
		return fmt.Errorf("couldn't append: %w", err)
	}
	ts := make([]int64, len(events))
	for i, e := range events {
		if e == nil {
			return fmt.Errorf("couldn't append to %q: event %d of the batch is nil", org, i)
		}
		if e.Org != org {
			return fmt.Errorf("couldn't append event %d to %q: it is of %q", e.Seq, org, e.Org)
		}
		var err error
		if ts[i], err = nanos(e.Timestamp); err != nil {
			return fmt.Errorf("couldn't append event %d to %q: timestamp: %w", e.Seq, org, err)
		}
	}
	if len(events) == 0 {
		return nil
	}
	next, locked := t.next[org]
	free := locked
	for i, e := range events {
		if err := t.pending.events.add(e, ts[i]); err != nil {
			// Part of e may be pending: the transaction can't go on.
			t.failed = fmt.Errorf("couldn't append event %d to %q: %w", e.Seq, org, err)
			return t.failed
		}
		free = free && e.Seq >= next
		next = e.Seq + 1
	}
	t.addDistinct(org, events)
	t.pending.addHours(org, events, ts)
	t.pending.hold(org)
	if free {
		t.next[org] = next
		return nil
	}
	// Seqs that may be taken: the statement says.
	delete(t.next, org)
	if err := t.flush(ctx); err != nil {
		return fmt.Errorf("couldn't append to %q: %w", org, err)
	}
	return nil
}

// PutTiles adds the tiles to the pending writes, keeping the widest data
// of each.
func (t *tx) PutTiles(ctx context.Context, org string, tiles []tlog.Tile, data [][]byte) error {
	if len(tiles) != len(data) {
		return fmt.Errorf("couldn't put tiles: %d tiles, %d data", len(tiles), len(data))
	}
	if err := t.needLog(ctx, org); err != nil {
		return fmt.Errorf("couldn't put tiles: %w", err)
	}
	for i, tile := range tiles {
		if len(data[i]) != tile.W*tlog.HashSize {
			return fmt.Errorf("couldn't put tile %v of %q: %d bytes of data", tile.Path(), org, len(data[i]))
		}
	}
	p := &t.pending
	if p.tiles == nil {
		p.tiles = map[tileKey][]byte{}
	}
	for i, tile := range tiles {
		k := tileKey{org, tile.L, tile.N}
		if old, ok := p.tiles[k]; !ok || len(data[i]) > len(old) {
			p.tiles[k] = bytes.Clone(data[i]) // which the caller may change
		}
	}
	if len(tiles) > 0 {
		p.hold(org)
	}
	return nil
}

// PutCheckpoint inserts a checkpoint, unless one of its size is there.
func (t *tx) PutCheckpoint(ctx context.Context, org string, c store.Checkpoint) error {
	if err := t.needLog(ctx, org); err != nil {
		return fmt.Errorf("couldn't put checkpoint: %w", err)
	}
	signed, err := nanos(c.SignedAt)
	if err != nil {
		return fmt.Errorf("couldn't put checkpoint %d of %q: signed_at: %w", c.Size, org, err)
	}
	note := c.Note
	if note == nil {
		note = []byte{}
	}
	tag, err := t.tx.Exec(ctx, `INSERT INTO checkpoints (org, size, note, signed_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, org, c.Size, note, signed)
	if err != nil {
		return fmt.Errorf("couldn't put checkpoint %d of %q: %w", c.Size, org, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("couldn't put checkpoint %d of %q: %w", c.Size, org, store.ErrConflict)
	}
	return nil
}

// conflict returns store.ErrConflict, wrapped with err, if err is a
// violated uniqueness constraint, and err otherwise.
func conflict(err error) error {
	var e *pgconn.PgError
	if errors.As(err, &e) && e.Code == "23505" {
		return fmt.Errorf("%w (%v)", store.ErrConflict, err)
	}
	return err
}

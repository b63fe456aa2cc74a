package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/steleaudit/stele/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// A tx is a write transaction, READ COMMITTED. LockHead's row lock is
// what serializes the writers of an organization, here and in other
// processes.
type tx struct {
	reader
	pipe    *pipe           // the transaction: reader.tx
	logs    map[string]bool // organizations known to have a log, in this transaction
	written []knownRow      // rows of distinct values written, known once committed
}

var _ store.Tx = (*tx)(nil)

const lockHead = `SELECT tree_size, tree_root FROM orgs WHERE id = $1 FOR UPDATE`

// LockHead locks org's row of orgs FOR UPDATE, inserting it first if
// there is none.
func (t *tx) LockHead(ctx context.Context, org string) (store.Head, error) {
	// In a batch, to go with held statements.
	b := new(pgx.Batch)
	b.Queue(lockHead, org)
	br := t.tx.SendBatch(ctx, b)
	h, err := scanHead(br.QueryRow())
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if errors.Is(err, store.ErrNotFound) {
		// Another transaction may be creating the same log: the insert
		// then waits for it, and does nothing if it commits. Either way
		// the row is there to lock afterwards, as each statement of a
		// READ COMMITTED transaction sees what committed before it.
		if _, err := t.tx.Exec(ctx, `INSERT INTO orgs (id) VALUES ($1) ON CONFLICT (id) DO NOTHING`, org); err != nil {
			return store.Head{}, fmt.Errorf("couldn't create log of %q: %w", org, err)
		}
		h, err = scanHead(t.tx.QueryRow(ctx, lockHead, org))
	}
	if err != nil {
		return store.Head{}, fmt.Errorf("couldn't lock head of %q: %w", org, err)
	}
	t.logs[org] = true
	return h, nil
}

// needLog returns ErrNotFound if org has no log.
func (t *tx) needLog(ctx context.Context, org string) error {
	if t.logs[org] {
		return nil
	}
	var ok bool
	if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM orgs WHERE id = $1)`, org).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("organization %q: %w", org, store.ErrNotFound)
	}
	t.logs[org] = true
	return nil
}

const setHead = `UPDATE orgs SET tree_size = $2, tree_root = $3 WHERE id = $1`

// SetHead updates org's row of orgs, or holds the update back until the
// next statement if the row is known to be there.
func (t *tx) SetHead(ctx context.Context, org string, h store.Head) error {
	var root []byte
	if h != (store.Head{}) {
		root = h.Root[:]
	}
	if t.logs[org] {
		// The row is there, and can't fail to be updated but by an
		// error of the database: the update can wait for the next
		// statement.
		t.pipe.hold(setHead, org, h.Size, root)
		return nil
	}
	tag, err := t.tx.Exec(ctx, setHead, org, h.Size, root)
	if err != nil {
		return fmt.Errorf("couldn't set head of %q: %w", org, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("couldn't set head of %q: %w", org, store.ErrNotFound)
	}
	return nil
}

// Append writes each month's events, and their leaves, in one statement
// into its partition (creating it if need be), and adds them to the
// tables of distinct values and the hourly counts, all in one round trip.
func (t *tx) Append(ctx context.Context, org string, events []*store.Event) error {
	if err := t.needLog(ctx, org); err != nil {
		return fmt.Errorf("couldn't append: %w", err)
	}
	// Each event's timestamp and month, whose partition takes it.
	ts := make([]int64, len(events))
	of := make([]month, len(events))
	var months []month
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
		of[i] = monthOf(ts[i])
		if !slices.Contains(months, of[i]) {
			months = append(months, of[i])
		}
	}
	if len(events) == 0 {
		return nil
	}
	have := t.db.parts.ensure(ctx, t.tx, months)
	// One statement per partition, and one for the months without, whose
	// events go to the default partition through events.
	tables := map[string]*columns{}
	var order []string
	for i, e := range events {
		table := "events"
		if have[of[i]] {
			table = of[i].table()
		}
		c := tables[table]
		if c == nil {
			c = new(columns)
			tables[table] = c
			order = append(order, table)
		}
		if err := c.add(e, ts[i]); err != nil {
			return fmt.Errorf("couldn't append event %d to %q: %w", e.Seq, org, err)
		}
	}
	b := new(pgx.Batch)
	for _, table := range order {
		b.Queue(insertSQL(table), tables[table].args(org)...)
	}
	t.queueDistinct(b, org, events)
	queueHours(b, org, events, ts)
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("couldn't append to %q: %w", org, conflict(err))
	}
	return nil
}

// PutTiles upserts the tiles in one statement, keeping the widest data.
func (t *tx) PutTiles(ctx context.Context, org string, tiles []tlog.Tile, data [][]byte) error {
	if len(tiles) != len(data) {
		return fmt.Errorf("couldn't put tiles: %d tiles, %d data", len(tiles), len(data))
	}
	if err := t.needLog(ctx, org); err != nil {
		return fmt.Errorf("couldn't put tiles: %w", err)
	}
	// One row per tile, its widest data: a statement can't write a row
	// twice.
	type ln struct {
		l int
		n int64
	}
	at := map[ln]int{}
	var levels []int32
	var ns []int64
	var widest [][]byte
	for i, tile := range tiles {
		if len(data[i]) != tile.W*tlog.HashSize {
			return fmt.Errorf("couldn't put tile %v of %q: %d bytes of data", tile.Path(), org, len(data[i]))
		}
		k := ln{tile.L, tile.N}
		j, ok := at[k]
		switch {
		case !ok:
			at[k] = len(widest)
			levels, ns, widest = append(levels, int32(tile.L)), append(ns, tile.N), append(widest, data[i])
		case len(data[i]) > len(widest[j]):
			widest[j] = data[i]
		}
	}
	if len(widest) == 0 {
		return nil
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO tiles (org, level, n, data)
		SELECT $1, * FROM unnest($2::integer[], $3::bigint[], $4::bytea[])
		ON CONFLICT (org, level, n) DO UPDATE SET data = excluded.data
		WHERE length(excluded.data) > length(tiles.data)`, org, levels, ns, widest)
	if err != nil {
		return fmt.Errorf("couldn't put tiles of %q: %w", org, err)
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

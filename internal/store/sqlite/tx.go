package sqlite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"golang.org/x/mod/sumdb/tlog"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// A tx is a write transaction on the writer connection. It holds the
// database's write lock from BEGIN IMMEDIATE to its end, which makes
// LockHead's promise hold for every organization at once.
type tx struct {
	reader
	known    *store.Known     // the DB's
	written  []store.KnownRow // rows of distinct values written, known once committed
	appended int64            // events appended, counted by the DB once committed
}

var _ store.Tx = (*tx)(nil)

func (t *tx) LockHead(ctx context.Context, org string) (store.Head, error) {
	_, h, err := t.head(ctx, org)
	if !errors.Is(err, store.ErrNotFound) {
		if err != nil {
			return store.Head{}, fmt.Errorf("couldn't lock head: %w", err)
		}
		return h, nil
	}
	var num int64
	if err := t.stmt(ctx, t.s.insertOrg).QueryRowContext(ctx, org).Scan(&num); err != nil {
		return store.Head{}, fmt.Errorf("couldn't create log of %q: %w", org, err)
	}
	t.remember(org, num)
	return store.Head{}, nil
}

// LockHeads locks each of orgs' heads in turn: SQLite has one writer,
// so a lock is no more than a read.
func (t *tx) LockHeads(ctx context.Context, orgs []string) (map[string]store.Head, error) {
	heads := make(map[string]store.Head, len(orgs))
	for _, org := range slices.Compact(slices.Sorted(slices.Values(orgs))) {
		h, err := t.LockHead(ctx, org)
		if err != nil {
			return nil, err
		}
		heads[org] = h
	}
	return heads, nil
}

// LookupAllIDs looks up each organization's ids in turn: each lookup is
// a call into the library, no round trip.
func (t *tx) LookupAllIDs(ctx context.Context, ids map[string][]string) (map[string]map[string]int64, error) {
	all := map[string]map[string]int64{}
	for org, of := range ids {
		found, err := t.LookupIDs(ctx, org, of)
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			all[org] = found
		}
	}
	return all, nil
}

func (t *tx) SetHead(ctx context.Context, org string, h store.Head) error {
	num, err := t.orgNum(ctx, org)
	if err != nil {
		return fmt.Errorf("couldn't set head: %w", err)
	}
	var root any
	if h != (store.Head{}) {
		root = h.Root[:]
	}
	if _, err := t.stmt(ctx, t.s.updateHead).ExecContext(ctx, h.Size, root, num); err != nil {
		return fmt.Errorf("couldn't set head of %q: %w", org, err)
	}
	return nil
}

func (t *tx) Append(ctx context.Context, org string, events []*store.Event) error {
	num, err := t.orgNum(ctx, org)
	if err != nil {
		return fmt.Errorf("couldn't append: %w", err)
	}
	for i, e := range events {
		if e == nil {
			return fmt.Errorf("couldn't append to %q: event %d of the batch is nil", org, i)
		}
	}
	// Insert in seq order, whatever the batch's: selectList orders by key
	// for seq, so key order must be seq order within an organization.
	// Batches come in seq order, each after the last (the ledger appends
	// from the locked head's size), so this sorts nothing as a rule.
	bySeq := func(a, b *store.Event) int { return cmp.Compare(a.Seq, b.Seq) }
	if !slices.IsSortedFunc(events, bySeq) {
		events = slices.Clone(events)
		slices.SortStableFunc(events, bySeq)
	}
	insert := t.stmt(ctx, t.s.insertEvent)
	for _, e := range events {
		if e.Org != org {
			return fmt.Errorf("couldn't append event %d to %q: it is of %q", e.Seq, org, e.Org)
		}
		args, err := eventArgs(num, e)
		if err != nil {
			return fmt.Errorf("couldn't append event %d to %q: %w", e.Seq, org, err)
		}
		if _, err := insert.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("couldn't append event %d to %q: %w", e.Seq, org, conflict(err))
		}
	}
	if err := t.insertDistinct(ctx, num, events); err != nil {
		return fmt.Errorf("couldn't append to %q: %w", org, err)
	}
	if err := t.countRollups(ctx, num, events); err != nil {
		return fmt.Errorf("couldn't append to %q: %w", org, err)
	}
	t.appended += int64(len(events))
	return nil
}

func (t *tx) PutTiles(ctx context.Context, org string, tiles []tlog.Tile, data [][]byte) error {
	if len(tiles) != len(data) {
		return fmt.Errorf("couldn't put tiles: %d tiles, %d data", len(tiles), len(data))
	}
	num, err := t.orgNum(ctx, org)
	if err != nil {
		return fmt.Errorf("couldn't put tiles: %w", err)
	}
	upsert := t.stmt(ctx, t.s.upsertTile)
	for i, tile := range tiles {
		if len(data[i]) != tile.W*tlog.HashSize {
			return fmt.Errorf("couldn't put tile %v of %q: %d bytes of data", tile.Path(), org, len(data[i]))
		}
		if _, err := upsert.ExecContext(ctx, num, tile.L, tile.N, data[i]); err != nil {
			return fmt.Errorf("couldn't put tile %v of %q: %w", tile.Path(), org, err)
		}
	}
	return nil
}

func (t *tx) PutCheckpoint(ctx context.Context, org string, c store.Checkpoint) error {
	num, err := t.orgNum(ctx, org)
	if err != nil {
		return fmt.Errorf("couldn't put checkpoint: %w", err)
	}
	signed, err := nanos(c.SignedAt)
	if err != nil {
		return fmt.Errorf("couldn't put checkpoint %d of %q: signed_at: %w", c.Size, org, err)
	}
	res, err := t.stmt(ctx, t.s.insertCheckpoint).ExecContext(ctx, num, c.Size, c.Note, signed)
	if err != nil {
		return fmt.Errorf("couldn't put checkpoint %d of %q: %w", c.Size, org, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("couldn't put checkpoint %d of %q: %w", c.Size, org, store.ErrConflict)
	}
	return nil
}

func scanCheckpoint(row interface{ Scan(...any) error }) (store.Checkpoint, error) {
	var c store.Checkpoint
	var signed int64
	if err := row.Scan(&c.Size, &c.Note, &signed); err != nil {
		return store.Checkpoint{}, err
	}
	c.SignedAt = time.Unix(0, signed).UTC()
	return c, nil
}

// conflict returns store.ErrConflict, wrapped with err, if err is a
// violated uniqueness constraint, and err otherwise.
func conflict(err error) error {
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w (%v)", store.ErrConflict, err)
		}
	}
	return err
}

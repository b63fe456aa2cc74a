package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/steleaudit/stele/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// A reader answers questions inside one transaction, read-only or not.
type reader struct {
	tx *sql.Tx
	s  *statements // of the pool tx runs on

	mu    sync.Mutex
	bound map[*sql.Stmt]*sql.Stmt // s's statements bound to tx
	nums  map[string]int64        // organizations' numbers, once looked up
}

func newReader(tx *sql.Tx, s *statements) *reader {
	r := new(reader)
	r.init(tx, s)
	return r
}

func (r *reader) init(tx *sql.Tx, s *statements) {
	r.tx, r.s = tx, s
	r.bound = map[*sql.Stmt]*sql.Stmt{}
	r.nums = map[string]int64{}
}

var _ store.Reader = (*reader)(nil)

// stmt returns s bound to r's transaction. Binding finds the statement
// already prepared on the connection; it is kept for the transaction, so
// it must not carry ctx's cancellation, only the executions do.
func (r *reader) stmt(ctx context.Context, s *sql.Stmt) *sql.Stmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.bound[s]
	if !ok {
		b = r.tx.StmtContext(context.WithoutCancel(ctx), s)
		r.bound[s] = b
	}
	return b
}

func (r *reader) remember(org string, num int64) {
	r.mu.Lock()
	r.nums[org] = num
	r.mu.Unlock()
}

// orgNum returns the number that stands for org in the other tables, or
// ErrNotFound if org has no log.
func (r *reader) orgNum(ctx context.Context, org string) (int64, error) {
	r.mu.Lock()
	num, ok := r.nums[org]
	r.mu.Unlock()
	if ok {
		return num, nil
	}
	err := r.stmt(ctx, r.s.orgNum).QueryRowContext(ctx, org).Scan(&num)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("organization %q: %w", org, store.ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	r.remember(org, num)
	return num, nil
}

func (r *reader) Orgs(ctx context.Context) ([]string, error) {
	rows, err := r.stmt(ctx, r.s.orgs).QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("couldn't list organizations: %w", err)
	}
	defer rows.Close()
	orgs := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("couldn't list organizations: %w", err)
		}
		orgs = append(orgs, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't list organizations: %w", err)
	}
	return orgs, nil
}

func (r *reader) Head(ctx context.Context, org string) (store.Head, error) {
	_, h, err := r.head(ctx, org)
	if err != nil {
		return store.Head{}, fmt.Errorf("couldn't read head: %w", err)
	}
	return h, nil
}

// head returns org's number and tree head, or ErrNotFound.
func (r *reader) head(ctx context.Context, org string) (int64, store.Head, error) {
	var num int64
	var h store.Head
	var root []byte
	err := r.stmt(ctx, r.s.head).QueryRowContext(ctx, org).Scan(&num, &h.Size, &root)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.Head{}, fmt.Errorf("organization %q: %w", org, store.ErrNotFound)
	}
	if err != nil {
		return 0, store.Head{}, err
	}
	switch len(root) {
	case 0:
	case tlog.HashSize:
		copy(h.Root[:], root)
	default:
		return 0, store.Head{}, fmt.Errorf("organization %q: root is %d bytes", org, len(root))
	}
	r.remember(org, num)
	return num, h, nil
}

func (r *reader) Events(ctx context.Context, org string, from, to int64, fn func(*store.Event) error) error {
	if from >= to {
		return nil
	}
	num, err := r.orgNum(ctx, org)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("couldn't read events: %w", err)
	}
	rows, err := r.stmt(ctx, r.s.events).QueryContext(ctx, num, from, to)
	if err != nil {
		return fmt.Errorf("couldn't read events: %w", err)
	}
	defer rows.Close()
	s := newEventScanner(org, r.stmt(ctx, r.s.texts))
	for rows.Next() {
		e, err := s.scan(ctx, rows)
		if err != nil {
			return fmt.Errorf("couldn't read events: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't read events: %w", err)
	}
	return nil
}

func (r *reader) Event(ctx context.Context, org string, seq int64) (*store.Event, error) {
	num, err := r.orgNum(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("couldn't read event %d: %w", seq, err)
	}
	e, err := r.event(ctx, org, num, seq)
	if err != nil {
		return nil, fmt.Errorf("couldn't read event %d of %q: %w", seq, org, err)
	}
	return e, nil
}

// event returns the event at seq of org, numbered num, or ErrNotFound.
func (r *reader) event(ctx context.Context, org string, num, seq int64) (*store.Event, error) {
	rows, err := r.stmt(ctx, r.s.event).QueryContext(ctx, num, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, store.ErrNotFound
	}
	e, err := newEventScanner(org, r.stmt(ctx, r.s.texts)).scan(ctx, rows)
	if err != nil {
		return nil, err
	}
	c := *e
	c.Details, c.Salt = bytes.Clone(e.Details), bytes.Clone(e.Salt)
	return &c, rows.Close()
}

func (r *reader) LookupIDs(ctx context.Context, org string, ids []string) (map[string]int64, error) {
	found := make(map[string]int64)
	want := make(map[string]bool, len(ids))
	hashes := []byte{'['}
	for _, id := range ids {
		if id == "" || want[id] {
			continue
		}
		want[id] = true
		if len(hashes) > 1 {
			hashes = append(hashes, ',')
		}
		hashes = strconv.AppendInt(hashes, idHash(id).Int64, 10)
	}
	hashes = append(hashes, ']')
	if len(want) == 0 {
		return found, nil
	}
	num, err := r.orgNum(ctx, org)
	if errors.Is(err, store.ErrNotFound) {
		return found, nil
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't look up ids: %w", err)
	}
	rows, err := r.stmt(ctx, r.s.ids).QueryContext(ctx, num, string(hashes))
	if err != nil {
		return nil, fmt.Errorf("couldn't look up ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, fmt.Errorf("couldn't look up ids: %w", err)
		}
		if want[id] { // not just a hash collision
			found[id] = seq
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't look up ids: %w", err)
	}
	return found, nil
}

func (r *reader) Tiles(ctx context.Context, org string, tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	if len(tiles) == 0 {
		return data, nil
	}
	num, err := r.orgNum(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("couldn't read tiles: %w", err)
	}
	list := []byte{'['}
	for i, t := range tiles {
		if i > 0 {
			list = append(list, ',')
		}
		list = append(list, '[')
		list = strconv.AppendInt(list, int64(t.L), 10)
		list = append(list, ',')
		list = strconv.AppendInt(list, t.N, 10)
		list = append(list, ']')
	}
	list = append(list, ']')
	rows, err := r.stmt(ctx, r.s.tiles).QueryContext(ctx, num, string(list))
	if err != nil {
		return nil, fmt.Errorf("couldn't read tiles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var b []byte
		if err := rows.Scan(&i, &b); err != nil {
			return nil, fmt.Errorf("couldn't read tiles: %w", err)
		}
		data[i] = b
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("couldn't read tiles: %w", err)
	}
	for i, t := range tiles {
		if len(data[i]) < t.W*tlog.HashSize {
			return nil, fmt.Errorf("couldn't read tile %v of %q: %w", t.Path(), org, store.ErrNotFound)
		}
	}
	return data, nil
}

func (r *reader) Checkpoints(ctx context.Context, org string, fn func(store.Checkpoint) error) error {
	num, err := r.orgNum(ctx, org)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("couldn't read checkpoints: %w", err)
	}
	rows, err := r.stmt(ctx, r.s.checkpoints).QueryContext(ctx, num)
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

func (r *reader) Checkpoint(ctx context.Context, org string, size int64) (store.Checkpoint, error) {
	return r.oneCheckpoint(ctx, org, r.s.checkpoint, size)
}

func (r *reader) LatestCheckpoint(ctx context.Context, org string) (store.Checkpoint, error) {
	return r.oneCheckpoint(ctx, org, r.s.latestCheckpoint)
}

func (r *reader) oneCheckpoint(ctx context.Context, org string, s *sql.Stmt, args ...any) (store.Checkpoint, error) {
	num, err := r.orgNum(ctx, org)
	if err != nil {
		return store.Checkpoint{}, fmt.Errorf("couldn't read checkpoint: %w", err)
	}
	c, err := scanCheckpoint(r.stmt(ctx, s).QueryRowContext(ctx, append([]any{num}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Checkpoint{}, fmt.Errorf("couldn't read checkpoint of %q: %w", org, store.ErrNotFound)
	}
	if err != nil {
		return store.Checkpoint{}, fmt.Errorf("couldn't read checkpoint of %q: %w", org, err)
	}
	return c, nil
}

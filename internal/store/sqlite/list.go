package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/steleaudit/stele/internal/store"
)

func (r *reader) List(ctx context.Context, org string, f store.Filter, fn func(*store.Event) error) error {
	if f.Limit <= 0 {
		return fmt.Errorf("couldn't list events: limit %d is not positive", f.Limit)
	}
	lo, hi, ok := f.Bounds()
	if !ok {
		return nil
	}
	num, err := r.orgNum(ctx, org)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("couldn't list events: %w", err)
	}
	s := newEventScanner(org, r.stmt(ctx, r.s.texts))
	var rows *sql.Rows
	if f.Query == nil || len(f.Query.Terms) == 0 {
		rows, err = r.stmt(ctx, r.s.list).QueryContext(ctx, num, lo, hi.TS, hi.Seq, f.Limit)
	} else {
		rows, err = r.search(ctx, num, f)
	}
	if err != nil {
		return fmt.Errorf("couldn't list events: %w", err)
	}
	if rows == nil {
		return nil
	}
	defer rows.Close()
	for rows.Next() {
		e, err := s.scan(ctx, rows)
		if err != nil {
			return fmt.Errorf("couldn't list events: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("couldn't list events: %w", err)
	}
	return nil
}

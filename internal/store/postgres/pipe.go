package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A pipe is a write transaction that holds back statements whose results
// nobody waits for (SetHead's), and sends them ahead of the next
// statement: in the same round trip when that is a batch, as LockHead's
// and Append's are. A ledger's transaction writes to many organizations
// one after the other, and each round trip saved counts. The error of a
// held statement comes back from the statement it was sent with, or from
// Commit: the transaction fails either way, as a Tx that failed does.
type pipe struct {
	pgx.Tx
	held []*pgx.QueuedQuery
}

// hold holds back a statement.
func (p *pipe) hold(sql string, args ...any) {
	p.held = append(p.held, &pgx.QueuedQuery{SQL: sql, Arguments: args})
}

// SendBatch sends the held statements, then b's.
func (p *pipe) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	n := len(p.held)
	if n == 0 {
		return p.Tx.SendBatch(ctx, b)
	}
	all := &pgx.Batch{QueuedQueries: append(p.held, b.QueuedQueries...)}
	p.held = nil
	br := p.Tx.SendBatch(ctx, all)
	for range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return failed{br, err}
		}
	}
	return br
}

// flush sends the held statements.
func (p *pipe) flush(ctx context.Context) error {
	if len(p.held) == 0 {
		return nil
	}
	return p.SendBatch(ctx, new(pgx.Batch)).Close()
}

// Exec sends the held statements, then runs sql.
func (p *pipe) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := p.flush(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return p.Tx.Exec(ctx, sql, args...)
}

// Query sends the held statements, then runs sql.
func (p *pipe) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.Tx.Query(ctx, sql, args...)
}

// QueryRow sends the held statements, then runs sql.
func (p *pipe) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := p.flush(ctx); err != nil {
		return errRow{err}
	}
	return p.Tx.QueryRow(ctx, sql, args...)
}

// Commit sends the held statements, then commits.
func (p *pipe) Commit(ctx context.Context) error {
	if err := p.flush(ctx); err != nil {
		return err
	}
	return p.Tx.Commit(ctx)
}

// failed is the results of a batch whose held statements failed.
type failed struct {
	pgx.BatchResults // closed
	err              error
}

// Exec returns the error of the held statements; so do the others.
func (f failed) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, f.err }
func (f failed) Query() (pgx.Rows, error)         { return nil, f.err }
func (f failed) QueryRow() pgx.Row                { return errRow{f.err} }
func (f failed) Close() error                     { return f.err }

// errRow is a row that failed.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

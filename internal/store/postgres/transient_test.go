package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/steleaudit/stele/internal/store"
)

func TestTransient(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("couldn't lock head of %q: %w", "acme", err) }
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57P01"}, true}, // admin_shutdown
		{&pgconn.PgError{Code: "57P03"}, true}, // cannot_connect_now
		{&pgconn.PgError{Code: "08006"}, true}, // connection_failure
		{&pgconn.PgError{Code: "40001"}, true}, // serialization_failure
		{&pgconn.PgError{Code: "40P01"}, true}, // deadlock_detected
		{&pgconn.PgError{Code: "53300"}, true}, // too_many_connections
		{wrap(&pgconn.PgError{Code: "57P01"}), true},
		{wrap(io.ErrUnexpectedEOF), true},
		{wrap(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), true},
		{pgconn.ErrConnClosed, true},
		{&pgconn.PgError{Code: "23505"}, false}, // unique_violation: a bug or a forgery, not weather
		{&pgconn.PgError{Code: "57P04"}, false}, // database_dropped
		{&pgconn.PgError{Code: "42P01"}, false}, // undefined_table
		{&pgconn.PgError{Code: "58030"}, false}, // io_error
		{wrap(store.ErrConflict), false},
		{pgx.ErrNoRows, false},
		{errors.New("disk I/O error"), false},
	} {
		if got := transient(c.err); got != c.want {
			t.Errorf("transient(%v) = %v, want %v", c.err, got, c.want)
		}
		if got := errors.Is(classify(c.err), store.ErrTransient); got != c.want {
			t.Errorf("classify(%v) is ErrTransient: %v, want %v", c.err, got, c.want)
		}
	}
	if classify(nil) != nil {
		t.Error("classify(nil) != nil")
	}
}

// TestTransientUnreachable: a store whose server can't be reached fails
// reads and writes with ErrTransient.
func TestTransientUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, "postgres://postgres@"+addr+"/test?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := &DB{pool: pool}
	err = db.Read(ctx, func(context.Context, store.Reader) error { return nil })
	if !errors.Is(err, store.ErrTransient) {
		t.Errorf("Read on an unreachable server = %v, want ErrTransient", err)
	}
	err = db.ReadWrite(ctx, func(context.Context, store.Tx) error { return nil })
	if !errors.Is(err, store.ErrTransient) {
		t.Errorf("ReadWrite on an unreachable server = %v, want ErrTransient", err)
	}
}

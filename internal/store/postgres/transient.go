package postgres

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/steleaudit/stele/internal/store"
)

// classify returns err, marked store.ErrTransient when it says the
// server could not be reached or ended the transaction for a reason
// that passes.
func classify(err error) error {
	if err == nil || !transient(err) {
		return err
	}
	return fmt.Errorf("%w: %w", store.ErrTransient, err)
}

// transient reports whether err is one of PostgreSQL's, or of the way to
// it, that a later try of the same transaction may not meet.
func transient(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return transientCode(pgErr.Code)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}

// transientCode reports whether the SQLSTATE code names a passing
// condition: a connection exception (class 08), a transaction rollback
// for serialization or deadlock (40), insufficient resources such as too
// many connections (53), or the server shutting down or starting
// (57P01-57P05).
func transientCode(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "40"), strings.HasPrefix(code, "53"):
		return true
	case code == "57P01", code == "57P02", code == "57P03", code == "57P05":
		return true
	}
	return false
}

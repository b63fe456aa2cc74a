package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/store"
)

// An apiError is an answer for the client: its status, code, message and
// field are public.
type apiError struct {
	status  int
	code    string
	message string
	field   string
	retry   int // seconds, for Retry-After; 0: none
}

func (e *apiError) Error() string { return e.message }

func badRequest(code, field, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, field: field, message: message}
}

func invalid(field, message string) *apiError {
	return badRequest("invalid_field", field, message)
}

var (
	errNotFound = &apiError{status: http.StatusNotFound, code: "not_found", message: "not found"}
	errUnauth   = &apiError{status: http.StatusUnauthorized, code: "unauthenticated",
		message: "missing or invalid credentials; send Authorization: Bearer <token>"}
	errForbidden = &apiError{status: http.StatusForbidden, code: "forbidden",
		message: "this credential lacks the permission this needs"}
)

// public turns any error into what the client may see. Errors that are
// not the client's are logged here and answered with a generic 500 or 503.
func (s *Server) public(r *http.Request, err error) *apiError {
	var ae *apiError
	var ee *event.Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ee):
		status := http.StatusBadRequest
		if ee.Code == event.CodeTooLarge || ee.Code == event.CodeTooManyEvents {
			status = http.StatusRequestEntityTooLarge
		}
		return &apiError{status: status, code: ee.Code, field: ee.Field, message: ee.Reason}
	case errors.Is(err, auth.ErrUnauthenticated):
		return errUnauth
	case errors.Is(err, store.ErrNotFound):
		return errNotFound
	case errors.Is(err, ledger.ErrBusy):
		return &apiError{status: http.StatusServiceUnavailable, code: "busy", retry: 1,
			message: "the server is saturated; retry shortly"}
	case errors.Is(err, ledger.ErrClosed):
		return &apiError{status: http.StatusServiceUnavailable, code: "shutting_down", retry: 5,
			message: "the server is shutting down; retry shortly"}
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client hung up; nobody reads this answer.
		return &apiError{status: 499, code: "canceled", message: "request canceled"}
	}
	// The route's pattern, not the path: a path may hold a secret (an
	// invitation's token).
	s.log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "err", err)
	switch {
	case errors.Is(err, ledger.ErrUnavailable) || errors.Is(err, store.ErrTransient) || errors.Is(err, context.DeadlineExceeded):
		// A commit's answer may have been lost: events may have been
		// stored, but a retry with their ids never stores them twice.
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", retry: 5,
			message: "storage is unavailable; retry later (events sent again with the same ids are stored once)"}
	case errors.Is(err, ledger.ErrRollback):
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", retry: 30,
			message: "this organization's log is smaller than its last signed checkpoint; nothing was stored"}
	}
	return &apiError{status: http.StatusInternalServerError, code: "internal", message: "internal error"}
}

// fail writes err's public form.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) int {
	e := s.public(r, err)
	h := w.Header()
	if e.retry > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retry))
	}
	if e.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="stele"`)
	}
	writeJSON(w, e.status, client.ErrorBody{Error: client.ErrorDetail{Code: e.code, Message: e.message, Field: e.field}})
	return e.status
}

// writeJSON writes v as the JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types are written; they always encode.
		panic(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

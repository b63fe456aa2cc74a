package server

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// healthz says the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz says the server can take traffic: the store answers and the
// ledger accepts appends.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := s.st.Read(ctx, func(ctx context.Context, rd store.Reader) error {
		_, err := rd.Org(ctx, "-") // any read will do; "-" is never an organization
		if err == nil || errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	switch {
	case err != nil:
		s.log.WarnContext(r.Context(), "not ready: store", "err", err)
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", retry: 5, message: "storage is not answering"}
	case s.led.Failed():
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", retry: 30, message: "storage failed; the server refuses writes until restarted"}
	case s.led.Closed() || s.isStopping():
		return &apiError{status: http.StatusServiceUnavailable, code: "shutting_down", retry: 5, message: "shutting down"}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves the OpenAPI 3 description of this API.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, c *call) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDoc)
	return nil
}

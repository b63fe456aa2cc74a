package server

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// checkpoint answers the organization's latest signed checkpoint, or with
// ?size=N the one signed at exactly N leaves, in signed-note form.
func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := onlyParams(r, "size"); err != nil {
		return err
	}
	var cp store.Checkpoint
	var err error
	if r.URL.Query().Has("size") {
		size, perr := intParam(r, "size", 0, math.MaxInt64)
		if perr != nil {
			return perr
		}
		cp, err = s.led.CheckpointAt(r.Context(), c.org, size)
	} else {
		cp, err = s.led.LatestCheckpoint(r.Context(), c.org)
	}
	if errors.Is(err, store.ErrNotFound) && r.URL.Query().Has("size") {
		return &apiError{status: http.StatusNotFound, code: "not_found", message: "no checkpoint signed at this size (yet)"}
	}
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{status: http.StatusNotFound, code: "not_found", message: "no checkpoint signed yet"}
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(cp.Note)))
	if !cp.SignedAt.IsZero() {
		w.Header().Set("Last-Modified", cp.SignedAt.UTC().Format(http.TimeFormat))
	}
	w.Write(cp.Note)
	return nil
}

// verifierKey answers the note verifier key that checks every checkpoint.
func (s *Server) verifierKey(w http.ResponseWriter, r *http.Request, c *call) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s.led.Key().VerifierKey + "\n"))
	return nil
}

// inclusionProof proves ?seq=N is in the tree of ?tree_size=M leaves (by
// default, that of the latest checkpoint).
func (s *Server) inclusionProof(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := onlyParams(r, "seq", "tree_size"); err != nil {
		return err
	}
	if !r.URL.Query().Has("seq") {
		return badRequest("missing_parameter", "seq", "seq is required")
	}
	seq, err := intParam(r, "seq", 0, math.MaxInt64-1)
	if err != nil {
		return err
	}
	size, err := s.sizeParam(r, c, "tree_size")
	if err != nil {
		return err
	}
	p, err := s.led.ProveInclusion(r.Context(), c.org, seq, size)
	if err != nil {
		return proofError(err)
	}
	writeJSON(w, http.StatusOK, proofJSON(p))
	return nil
}

// consistencyProof proves the tree of ?from=A leaves is a prefix of that
// of ?to=B leaves (by default, the latest checkpoint's).
func (s *Server) consistencyProof(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := onlyParams(r, "from", "to"); err != nil {
		return err
	}
	if !r.URL.Query().Has("from") {
		return badRequest("missing_parameter", "from", "from is required")
	}
	from, err := intParam(r, "from", 0, math.MaxInt64)
	if err != nil {
		return err
	}
	to, err := s.sizeParam(r, c, "to")
	if err != nil {
		return err
	}
	hashes, err := s.led.ProveConsistency(r.Context(), c.org, from, to)
	if err != nil {
		return proofError(err)
	}
	writeJSON(w, http.StatusOK, client.ConsistencyProof{From: from, To: to, Hashes: hashesJSON(hashes)})
	return nil
}

// sizeParam reads a tree size, defaulting to the latest checkpoint's.
func (s *Server) sizeParam(r *http.Request, c *call, name string) (int64, error) {
	if r.URL.Query().Has(name) {
		return intParam(r, name, 0, math.MaxInt64)
	}
	cp, err := s.led.LatestCheckpoint(r.Context(), c.org)
	if errors.Is(err, store.ErrNotFound) {
		return 0, &apiError{status: http.StatusNotFound, code: "not_found", message: "no checkpoint signed yet"}
	}
	return cp.Size, err
}

func proofError(err error) error {
	if errors.Is(err, ledger.ErrBadRange) {
		return badRequest("bad_range", "", "no such proof: sizes must satisfy 0 < from <= to <= the tree size, and seq < tree_size")
	}
	return err
}

func hashesJSON(hs []tlog.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

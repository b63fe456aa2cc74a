package server

import (
	"context"
	"errors"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/search"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
)

const (
	defaultPage = 100
	maxPage     = 1000
)

// listEvents answers one page of an organization's events, newest first,
// with the cursor of the next page.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := onlyParams(r, append(searchParams, "limit", "cursor")...); err != nil {
		return err
	}
	f, err := s.searchFilter(r)
	none := errors.Is(err, search.ErrNoMatch)
	if err != nil && !none {
		return err
	}
	limit, err := intParam(r, "limit", defaultPage, maxPage)
	if err != nil {
		return err
	}
	if limit == 0 {
		return invalid("limit", "want 1 to "+strconv.Itoa(maxPage))
	}
	f.Limit = int(limit)
	if cur := r.URL.Query().Get("cursor"); cur != "" {
		if f.After, err = parseCursor(cur); err != nil {
			return err
		}
	}
	out := client.EventList{Events: make([]client.Event, 0, f.Limit)}
	if none {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	err = s.st.Read(r.Context(), func(ctx context.Context, rd store.Reader) error {
		out.Events = out.Events[:0]
		return rd.List(ctx, c.org, f, func(e *store.Event) error {
			ev, err := eventJSON(e)
			if err != nil {
				return err
			}
			out.Events = append(out.Events, ev)
			return nil
		})
	})
	if err != nil {
		return err
	}
	if n := len(out.Events); n == f.Limit {
		last := out.Events[n-1]
		out.NextCursor = formatCursor(store.Position{Timestamp: last.Timestamp, Seq: last.Seq})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.event(r, c)
	if err != nil {
		return err
	}
	ev, err := eventJSON(e)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ev)
	return nil
}

// getLeaf answers the exact bytes the event's leaf hash is computed from
// (see package verify), so that anyone can recompute it.
func (s *Server) getLeaf(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.event(r, c)
	if err != nil {
		return err
	}
	leaf, err := verify.LeafData(&e.Record)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(leaf)))
	w.Write(leaf)
	return nil
}

// event reads the event at the path's {seq}.
func (s *Server) event(r *http.Request, c *call) (*store.Event, error) {
	if err := onlyParams(r); err != nil {
		return nil, err
	}
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 0 || seq == math.MaxInt64 {
		return nil, errNotFound
	}
	var e *store.Event
	err = s.st.Read(r.Context(), func(ctx context.Context, rd store.Reader) error {
		var err error
		e, err = rd.Event(ctx, c.org, seq)
		return err
	})
	return e, err
}

// eventJSON is e as served, with its leaf hash recomputed from what is
// stored: if the store was altered, the hash will not prove.
func eventJSON(e *store.Event) (client.Event, error) {
	h, err := verify.LeafHash(&e.Record)
	if err != nil {
		return client.Event{}, err
	}
	// The store may reuse e's buffers once the call returns.
	rec := e.Record
	rec.Details = slices.Clone(rec.Details)
	rec.Salt = slices.Clone(rec.Salt)
	rec.Personal = slices.Clone(rec.Personal)
	rec.Commitments = maps.Clone(rec.Commitments)
	return client.Event{Seq: e.Seq, LeafHash: h[:], Record: rec}, nil
}

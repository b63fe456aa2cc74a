package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/search"
	"github.com/steleaudit/stele/internal/store"
)

const (
	defaultTop   = 10
	maxTop       = 100
	maxHistogram = 5000
	defaultSpan  = 30 * 24 * time.Hour
)

// searchParams are the parameters that select events, shared by the list,
// facets and histogram.
var searchParams = []string{"q", "range", "from", "to", "category", "actor", "actor_type", "target"}

// facets counts the events matching the search by category, event,
// actor and target.
func (s *Server) facets(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := onlyParams(r, append(searchParams, "top")...); err != nil {
		return err
	}
	f, err := s.searchFilter(r)
	none := errors.Is(err, search.ErrNoMatch)
	if err != nil && !none {
		return err
	}
	top, err := intParam(r, "top", defaultTop, maxTop)
	if err != nil {
		return err
	}
	var fc store.Facets
	if !none {
		err = s.st.Read(r.Context(), func(ctx context.Context, rd store.Reader) error {
			var err error
			fc, err = rd.Facets(ctx, c.org, f, int(top))
			return err
		})
		if err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, client.Facets{Total: fc.Total, Categories: counts(fc.Categories),
		Events: counts(fc.Events), Actors: counts(fc.Actors), Targets: counts(fc.Targets)})
	return nil
}

func counts(cs []store.Count) []client.Count {
	out := make([]client.Count, len(cs))
	for i, c := range cs {
		out[i] = client.Count{Value: c.Value, Count: c.N}
	}
	return out
}

// histogram counts the events matching the search per hour or day, over
// the range asked (the last 30 days by default).
func (s *Server) histogram(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := onlyParams(r, append(searchParams, "bucket")...); err != nil {
		return err
	}
	f, err := s.searchFilter(r)
	none := errors.Is(err, search.ErrNoMatch)
	if err != nil && !none {
		return err
	}
	now := s.cfg.Now().UTC()
	if f.Until.IsZero() {
		f.Until = now
	}
	if f.Since.IsZero() {
		f.Since = f.Until.Add(-defaultSpan)
	}
	if !f.Since.Before(f.Until) {
		return invalid("from", "from must be before to")
	}
	name := r.URL.Query().Get("bucket")
	if name == "" {
		name = "day"
		if f.Until.Sub(f.Since) <= 48*time.Hour {
			name = "hour"
		}
	}
	width, ok := map[string]time.Duration{"hour": time.Hour, "day": 24 * time.Hour}[name]
	if !ok {
		return invalid("bucket", "want hour or day")
	}
	if f.Until.Sub(f.Since)/width >= maxHistogram {
		return invalid("bucket", "too many buckets for this range; use day, or a shorter range")
	}
	var buckets []store.Bucket
	if none {
		buckets = store.Buckets(f.Since, f.Until, width)
	} else {
		err = s.st.Read(r.Context(), func(ctx context.Context, rd store.Reader) error {
			var err error
			buckets, err = rd.Histogram(ctx, c.org, f, width)
			return err
		})
		if err != nil {
			return err
		}
	}
	out := client.Histogram{Bucket: name, From: f.Since, To: f.Until, Buckets: make([]client.HistogramBucket, len(buckets))}
	for i, b := range buckets {
		out.Buckets[i] = client.HistogramBucket{Start: b.Start, Count: b.N, ByCategory: b.ByCategory}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

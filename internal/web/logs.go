package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/query"
	"golang.org/x/sync/errgroup"
)

// logsData is the Audit Logs page.
type logsData struct {
	base
	P          logsParams
	Self       string // the page's path
	Action     string // where the filter form goes (Self)
	Presets    []struct{ ID, Name string }
	Categories []struct{ ID, Name string }
	PageSizes  []int
	Chips      []chip
	Reset      string // the page without any filter
	QueryError *queryError
	RangeError string
	Rows       []row
	More       string // the URL of the next page; "" on the last
	Histogram  *histogram
	Total      int64  // events matching, in the histogram's range
	Empty      string // why there are no rows: "none" (the log is empty), "nomatch"
	Paged      bool   // this is not the first page
	TailURL    string
	Detail     *detailData // the event of ?event=, shown beside the table
	Since      time.Time
	Help       []helpLine
}

// A queryError is the parser's message, and the search box's text cut
// around the position it names, to highlight it.
type queryError struct {
	Message           string
	Before, At, After string
}

func (h *Web) logs(w http.ResponseWriter, r *http.Request) {
	o := h.orgPage(w, r, "logs", "Audit Logs")
	if o == nil {
		return
	}
	p := readLogsParams(r)
	org := o.Base.Org.ID
	self := orgPath(org, "/audit-logs")
	d := &logsData{
		base: o.Base, P: p, Self: self, Action: self,
		Presets: presets, Categories: categories, PageSizes: pageSizes,
		Reset: logsParams{Range: defaultRange, Limit: defaultLimit}.link(self, o.Base.Viewer),
		Paged: p.Cursor != "", Help: searchHelp,
	}
	now := h.cfg.Now().UTC()
	d.Chips = p.chips(self, o.Base.Viewer, now)
	if _, err := query.Parse(p.Q, now); err != nil {
		d.QueryError = cutError(p.Q, err)
		h.render(w, r, http.StatusBadRequest, "logs", d)
		return
	}
	from, to, err := p.bounds(now)
	if err != nil {
		d.RangeError = err.Error()
		h.render(w, r, http.StatusBadRequest, "logs", d)
		return
	}
	d.Since = from
	q := p.search()
	// The table, the histogram and the panel's event, at once.
	g, ctx := errgroup.WithContext(r.Context())
	var list *client.EventList
	g.Go(func() error {
		opts := client.ListOptions{Query: q, From: from, To: to, Limit: p.Limit, Cursor: p.Cursor}
		var err error
		list, err = o.api.ListEvents(ctx, org, opts)
		var ce *client.Error
		if errors.As(err, &ce) && ce.Field == "cursor" {
			// A link from another server version, or edited: the first page.
			d.RangeError, d.Paged, opts.Cursor = "That page link is no longer valid; showing the first page.", false, ""
			list, err = o.api.ListEvents(ctx, org, opts)
		}
		return err
	})
	var hist *client.Histogram
	g.Go(func() error {
		hfrom, hto := from, to
		if hto.IsZero() {
			hto = now
		}
		if hfrom.IsZero() {
			hfrom = hto.Add(-30 * 24 * time.Hour)
		}
		var err error
		hist, err = o.api.Histogram(ctx, org, client.SearchOptions{Query: q, From: hfrom, To: hto}, bucketFor(hto.Sub(hfrom)))
		return err
	})
	if seq, err := strconv.ParseInt(p.Event, 10, 64); err == nil && seq >= 0 {
		g.Go(func() error {
			ev, err := o.api.Event(ctx, org, seq)
			if client.IsNotFound(err) {
				return nil
			}
			if err == nil {
				d.Detail = h.detailOf(o, ev, p)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		var ce *client.Error
		if errors.As(err, &ce) && ce.Code == "invalid_query" {
			d.QueryError = &queryError{Message: ce.Message}
			h.render(w, r, http.StatusBadRequest, "logs", d)
			return
		}
		h.fail(w, r, o.Base, err)
		return
	}
	if list != nil {
		for i := range list.Events {
			d.Rows = append(d.Rows, h.rowOf(o, &list.Events[i], p))
		}
		if list.NextCursor != "" {
			next := p
			next.Cursor, next.Event = list.NextCursor, ""
			d.More = next.link(self, o.Base.Viewer)
		}
	}
	if hist != nil {
		d.Histogram = h.histogramOf(hist, p, self, o.Base.Viewer)
		d.Total = d.Histogram.Total
	}
	if len(d.Rows) == 0 && !d.Paged {
		d.Empty = "nomatch"
		if q == "" && h.logEmpty(r, o) {
			d.Empty = "none"
		}
	}
	tail := p
	tail.Cursor, tail.Event, tail.Limit = "", "", defaultLimit
	d.TailURL = tail.link(self+"/tail", o.Base.Viewer)
	h.render(w, r, http.StatusOK, "logs", d)
}

// logEmpty reports whether the organization's log holds no event at all,
// for the page to explain what would appear there.
func (h *Web) logEmpty(r *http.Request, o *orgView) bool {
	f, err := o.api.Facets(r.Context(), o.Base.Org.ID, client.SearchOptions{}, 1)
	return err == nil && f.Total == 0
}

// bucketFor is the histogram's bucket for a span: hours up to three days.
func bucketFor(span time.Duration) string {
	if span <= 72*time.Hour {
		return "hour"
	}
	return "day"
}

// cutError splits q around the position a parser error names.
func cutError(q string, err error) *queryError {
	qe := &queryError{Message: err.Error()}
	var pe *query.Error
	if !errors.As(err, &pe) {
		return qe
	}
	qe.Message = pe.Msg
	runes := []rune(q)
	at := min(max(pe.Pos-1, 0), len(runes))
	qe.Before = string(runes[:at])
	if at < len(runes) {
		qe.At, qe.After = string(runes[at:at+1]), string(runes[at+1:])
	} else {
		qe.At = " "
	}
	if !utf8.ValidString(qe.Before + qe.At + qe.After) {
		qe.Before, qe.At, qe.After = "", "", ""
	}
	return qe
}

// addViewer adds the viewer token to a URL of the page.
func addViewer(u, token string) string {
	if token == "" {
		return u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "viewer_token=" + url.QueryEscape(token)
}

// detailsMap decodes an event's details, an object or nothing.
func detailsMap(raw json.RawMessage) map[string]any {
	var m map[string]any
	if len(raw) > 0 {
		json.Unmarshal(raw, &m)
	}
	return m
}

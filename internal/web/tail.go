package web

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/steleaudit/stele/client"
)

// tailIdle ends a live tail nobody looks at any more: the page's script
// pauses it when hidden, and a tail left open this long is closed.
const tailIdle = 10 * time.Minute

// tail streams the events matching the page's search as they arrive, as
// Server-Sent Events whose data is the table row to put on top. It
// starts after ?after= (the newest seq the page shows), else from now.
func (h *Web) tail(w http.ResponseWriter, r *http.Request) {
	o := h.orgPage(w, r, "logs", "Live tail")
	if o == nil {
		return
	}
	p := readLogsParams(r)
	from, to, err := p.bounds(h.cfg.Now().UTC())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	after := client.FromNow
	if n, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64); err == nil && n >= -1 {
		after = n
	}
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(": live tail\n\n"))
	if rc.Flush() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), tailIdle)
	defer cancel()
	page := h.pages["logs"]
	var buf, html bytes.Buffer
	_, err = o.api.TailMatching(ctx, o.Base.Org.ID, p.search(), after, func(e *client.Event) error {
		if e.Timestamp.Before(from) || !to.IsZero() && !e.Timestamp.Before(to) {
			return nil
		}
		html.Reset()
		if err := page.ExecuteTemplate(&html, "row", h.rowOf(o, e, p)); err != nil {
			return err
		}
		buf.Reset()
		buf.WriteString("event: row\nid: ")
		buf.WriteString(strconv.FormatInt(e.Seq, 10))
		buf.WriteByte('\n')
		for line := range bytes.Lines(html.Bytes()) {
			buf.WriteString("data: ")
			buf.Write(bytes.TrimRight(line, "\r\n"))
			buf.WriteByte('\n')
		}
		buf.WriteByte('\n')
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		return rc.Flush()
	})
	if err != nil && ctx.Err() == nil {
		h.log.WarnContext(r.Context(), "live tail ended", "org", o.Base.Org.ID, "err", err)
	}
}

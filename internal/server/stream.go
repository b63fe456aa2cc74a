package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/steleaudit/stele/internal/search"
	"github.com/steleaudit/stele/internal/store"
)

const (
	heartbeat   = 15 * time.Second
	streamChunk = 256 // events read per store transaction
)

// streamEvents is a live tail as Server-Sent Events: each new event of the
// organization as an "event" message whose id is its seq. It starts after
// ?after=SEQ or the Last-Event-ID a reconnecting client sends, else at the
// events appended from now on. Its first message, an id alone, says after
// which seq it starts. With ?q=, only the events matching that search
// are sent.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := onlyParams(r, "after", "q"); err != nil {
		return err
	}
	f, err := s.searchFilter(r)
	none := errors.Is(err, search.ErrNoMatch)
	if err != nil && !none {
		return err
	}
	match := func(e *store.Event) bool { return !none && (f.Query == nil || f.Query.Match(&e.Record)) }
	next := int64(-1)
	for _, v := range []string{r.URL.Query().Get("after"), r.Header.Get("Last-Event-ID")} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < -1 || n == math.MaxInt64 {
			return invalid("after", "want the seq of the last event seen")
		}
		next = n + 1
		break
	}
	if next < 0 {
		h, err := s.led.Head(r.Context(), c.org)
		if err != nil {
			return err
		}
		next = h.Size
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// An id with no data tells the client where the tail starts, so that
	// it can resume from there even before any event came.
	fmt.Fprintf(w, ": stele live tail\nid: %d\n\n", next-1)
	if err := rc.Flush(); err != nil {
		return err
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		grown := s.led.Watch(c.org) // before reading, so no append is missed
		var err error
		if next, err = s.sendNew(r.Context(), w, c.org, next, match); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil {
			return nil // the client is gone
		}
		select {
		case <-grown:
			if s.led.Closed() {
				return nil
			}
		case <-tick.C:
			if _, err := w.Write([]byte(": ping\n\n")); err != nil {
				return nil
			}
		case <-r.Context().Done():
			return nil
		case <-s.stopping:
			return nil
		}
	}
}

// sendNew writes org's events from seq next on that match as SSE
// messages, and returns the seq after the last one read.
func (s *Server) sendNew(ctx context.Context, w http.ResponseWriter, org string, next int64, match func(*store.Event) bool) (int64, error) {
	for {
		h, err := s.led.Head(ctx, org)
		if err != nil || next >= h.Size {
			return next, err
		}
		end := min(h.Size, next+streamChunk)
		var buf []byte
		sent := int64(-1)
		err = s.st.Read(ctx, func(ctx context.Context, rd store.Reader) error {
			buf, sent = buf[:0], -1
			return rd.Events(ctx, org, next, end, func(e *store.Event) error {
				if !match(e) {
					return nil
				}
				ev, err := eventJSON(e)
				if err != nil {
					return err
				}
				data, err := json.Marshal(ev)
				if err != nil {
					return err
				}
				buf = append(buf, "id: "...)
				buf = strconv.AppendInt(buf, e.Seq, 10)
				buf = append(buf, "\nevent: event\ndata: "...)
				buf = append(buf, data...)
				buf = append(buf, "\n\n"...)
				sent = e.Seq
				return nil
			})
		})
		if err != nil {
			return next, err
		}
		if sent != end-1 {
			// Events were read but not sent: an id alone moves the
			// client's Last-Event-ID past them.
			buf = append(buf, "id: "...)
			buf = strconv.AppendInt(buf, end-1, 10)
			buf = append(buf, "\n\n"...)
		}
		next = end // a row missing from the store is skipped, not waited for
		if _, err := w.Write(buf); err != nil {
			return next, nil
		}
	}
}

package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// FromNow, as Tail's after, starts a tail with the events appended from
// now on.
const FromNow int64 = -2

// Tail streams org's events to fn as they are appended: those after seq
// after (-1: from the first), or from now on when after is FromNow. It
// goes on until ctx ends, the server closes the stream, or fn returns an
// error, and returns the seq of the last event passed to fn, or where the
// server started the tail if none was: resuming with another Tail after
// it misses nothing.
func (c *Client) Tail(ctx context.Context, org string, after int64, fn func(*Event) error) (int64, error) {
	return c.TailMatching(ctx, org, "", after, fn)
}

// TailMatching is Tail for the events matching the search query only
// ("" for all). The seq it returns may be past the last event passed to
// fn: the server moves it over the events that did not match.
func (c *Client) TailMatching(ctx context.Context, org, query string, after int64, fn func(*Event) error) (int64, error) {
	q := url.Values{}
	if query != "" {
		q.Set("q", query)
	}
	if after != FromNow {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	// A stream is meant to last: no overall timeout, only ctx.
	hc := *c.hc
	hc.Timeout = 0
	sc2 := *c
	sc2.hc = &hc
	c = &sc2
	resp, err := c.send(ctx, http.MethodGet, orgPath(org, "/events/stream"), q, nil, "")
	if err != nil {
		return after, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var data []byte
	var id string
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0: // end of a message
			if data == nil {
				// A message with only an id says where the server started.
				if id != "" {
					if n, err := strconv.ParseInt(id, 10, 64); err == nil && n >= -1 {
						after = n
					}
					id = ""
				}
				continue
			}
			var e Event
			if err := json.Unmarshal(data, &e); err != nil {
				return after, fmt.Errorf("client: bad event in stream: %w", err)
			}
			data, id = nil, ""
			if err := fn(&e); err != nil {
				return after, err
			}
			after = e.Seq
		case bytes.HasPrefix(line, []byte("data: ")):
			data = append(data, line[len("data: "):]...)
		case bytes.HasPrefix(line, []byte("id: ")):
			id = string(line[len("id: "):])
		}
	}
	if ctx.Err() != nil {
		return after, ctx.Err()
	}
	return after, sc.Err()
}

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

// Tail streams org's new events to fn as they are appended, starting after
// seq after (or with the events appended from now on, when after is
// negative), until ctx ends, the server closes the stream, or fn returns
// an error. It returns the seq of the last event passed to fn, so that a
// caller can resume with another Tail.
func (c *Client) Tail(ctx context.Context, org string, after int64, fn func(*Event) error) (int64, error) {
	q := url.Values{}
	if after >= 0 {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	resp, err := c.send(ctx, http.MethodGet, orgPath(org, "/events/stream"), q, nil, "")
	if err != nil {
		return after, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0: // end of a message
			if data == nil {
				continue
			}
			var e Event
			if err := json.Unmarshal(data, &e); err != nil {
				return after, fmt.Errorf("client: bad event in stream: %w", err)
			}
			data = nil
			if err := fn(&e); err != nil {
				return after, err
			}
			after = e.Seq
		case bytes.HasPrefix(line, []byte("data: ")):
			data = append(data, line[len("data: "):]...)
		}
	}
	if ctx.Err() != nil {
		return after, ctx.Err()
	}
	return after, sc.Err()
}

package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Send appends events to org's log, all or none, and returns when they are
// durable. Events whose ID the log already holds are not appended again:
// their receipts are the first ones', marked Duplicate.
func (c *Client) Send(ctx context.Context, org string, events ...Entry) (*SendResult, error) {
	return c.send2(ctx, org, nil, events)
}

// SendAndProve is Send, then waits for a signed checkpoint covering the
// events and returns it with each event's inclusion proof.
func (c *Client) SendAndProve(ctx context.Context, org string, events ...Entry) (*SendResult, error) {
	return c.send2(ctx, org, url.Values{"wait": {"checkpoint"}}, events)
}

func (c *Client) send2(ctx context.Context, org string, q url.Values, events []Entry) (*SendResult, error) {
	var in any = EntryBatch{Events: events}
	if len(events) == 1 {
		in = events[0]
	}
	var out SendResult
	if _, err := c.do(ctx, http.MethodPost, orgPath(org, "/events"), q, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListOptions select events for ListEvents.
type ListOptions struct {
	Query    string    // search query (q)
	From, To time.Time // timestamp range [From, To); zero: open
	Limit    int       // page size; 0: the server's default
	Cursor   string    // the NextCursor of the previous page
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.Query != "" {
		q.Set("q", o.Query)
	}
	if !o.From.IsZero() {
		q.Set("from", o.From.UTC().Format(time.RFC3339Nano))
	}
	if !o.To.IsZero() {
		q.Set("to", o.To.UTC().Format(time.RFC3339Nano))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q
}

// ListEvents returns one page of org's events, newest first.
func (c *Client) ListEvents(ctx context.Context, org string, o ListOptions) (*EventList, error) {
	var out EventList
	if _, err := c.do(ctx, http.MethodGet, orgPath(org, "/events"), o.values(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Event returns org's event at seq.
func (c *Client) Event(ctx context.Context, org string, seq int64) (*Event, error) {
	var out Event
	if _, err := c.do(ctx, http.MethodGet, orgPath(org, "/events/", strconv.FormatInt(seq, 10)), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Leaf returns the exact bytes of the leaf of org's event at seq.
func (c *Client) Leaf(ctx context.Context, org string, seq int64) ([]byte, error) {
	return c.raw(ctx, orgPath(org, "/events/", strconv.FormatInt(seq, 10), "/leaf"), nil)
}

// Checkpoint returns org's latest signed checkpoint, in signed-note form.
func (c *Client) Checkpoint(ctx context.Context, org string) ([]byte, error) {
	return c.raw(ctx, orgPath(org, "/checkpoint"), nil)
}

// A SignedCheckpoint is a checkpoint in signed-note form, and when it was
// signed (to the second).
type SignedCheckpoint struct {
	Note     []byte
	SignedAt time.Time
}

// LatestCheckpoint returns org's latest signed checkpoint and when it was
// signed.
func (c *Client) LatestCheckpoint(ctx context.Context, org string) (*SignedCheckpoint, error) {
	resp, err := c.send(ctx, http.MethodGet, orgPath(org, "/checkpoint"), nil, nil, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	note, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	at, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
	return &SignedCheckpoint{Note: note, SignedAt: at}, nil
}

// CheckpointAt returns org's checkpoint signed at exactly size leaves.
func (c *Client) CheckpointAt(ctx context.Context, org string, size int64) ([]byte, error) {
	return c.raw(ctx, orgPath(org, "/checkpoint"), url.Values{"size": {strconv.FormatInt(size, 10)}})
}

// VerifierKey returns the server's note verifier key.
func (c *Client) VerifierKey(ctx context.Context) (string, error) {
	b, err := c.raw(ctx, "/v1/verifier-key", nil)
	if err != nil {
		return "", err
	}
	return string(trimNewline(b)), nil
}

// InclusionProof proves org's event at seq is in its tree of size leaves;
// size 0 means the latest checkpoint's.
func (c *Client) InclusionProof(ctx context.Context, org string, seq, size int64) (*InclusionProof, error) {
	q := url.Values{"seq": {strconv.FormatInt(seq, 10)}}
	if size > 0 {
		q.Set("tree_size", strconv.FormatInt(size, 10))
	}
	var out InclusionProof
	if _, err := c.do(ctx, http.MethodGet, orgPath(org, "/proofs/inclusion"), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ConsistencyProof proves org's tree of from leaves is a prefix of its
// tree of to leaves; to 0 means the latest checkpoint's.
func (c *Client) ConsistencyProof(ctx context.Context, org string, from, to int64) (*ConsistencyProof, error) {
	q := url.Values{"from": {strconv.FormatInt(from, 10)}}
	if to > 0 {
		q.Set("to", strconv.FormatInt(to, 10))
	}
	var out ConsistencyProof
	if _, err := c.do(ctx, http.MethodGet, orgPath(org, "/proofs/consistency"), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// raw GETs path and returns the body, at most 1 MiB.
func (c *Client) raw(ctx context.Context, path string, q url.Values) ([]byte, error) {
	resp, err := c.send(ctx, http.MethodGet, path, q, nil, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// SearchOptions select the events that Facets and Histogram count.
type SearchOptions struct {
	Query    string    // search query (q)
	Range    string    // a date preset: 24h, 7d or 30d
	From, To time.Time // timestamp range [From, To); zero: open
}

func (o SearchOptions) values() url.Values {
	q := ListOptions{Query: o.Query, From: o.From, To: o.To}.values()
	if o.Range != "" {
		q.Set("range", o.Range)
	}
	return q
}

// Facets counts org's events matching o by category, event, actor and
// target (the top ones; 0: the server's default).
func (c *Client) Facets(ctx context.Context, org string, o SearchOptions, top int) (*Facets, error) {
	q := o.values()
	if top > 0 {
		q.Set("top", strconv.Itoa(top))
	}
	var out Facets
	if _, err := c.do(ctx, http.MethodGet, orgPath(org, "/events/facets"), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Histogram counts org's events matching o per bucket, "hour" or "day"
// ("": the server chooses by the range).
func (c *Client) Histogram(ctx context.Context, org string, o SearchOptions, bucket string) (*Histogram, error) {
	q := o.values()
	if bucket != "" {
		q.Set("bucket", bucket)
	}
	var out Histogram
	if _, err := c.do(ctx, http.MethodGet, orgPath(org, "/events/histogram"), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

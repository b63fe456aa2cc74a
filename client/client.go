package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// A Client calls one Stele server with one credential: the platform token
// or an organization's API key. Its methods are safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// An Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests with hc.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// New returns a Client for the server at baseURL (such as
// "http://127.0.0.1:8080") authenticating with token.
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: %q is not an http(s) URL", baseURL)
	}
	c := &Client{base: u, token: token, hc: &http.Client{Timeout: 2 * time.Minute}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// An Error is the server's answer to a request it refused.
type Error struct {
	Status int // HTTP status code
	ErrorDetail
	RetryAfter time.Duration // from Retry-After, when given
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("stele: %d %s: %s", e.Status, e.Code, e.Message)
	if e.Field != "" {
		msg += " (" + e.Field + ")"
	}
	return msg
}

// IsNotFound reports whether err is the server's 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// do sends a request with an optional JSON body and decodes a JSON answer
// into out (unless out is nil). It returns the status code.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("client: couldn't encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	resp, err := c.send(ctx, method, path, query, body, "application/json")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("client: couldn't decode %s %s answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// send sends a request and returns a successful response, whose body the
// caller closes, or the server's *Error.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string) (*http.Response, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", "stele-client-go")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	e := &Error{Status: resp.StatusCode}
	var eb ErrorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
		e.ErrorDetail = eb.Error
	} else {
		e.Code, e.Message = "http_error", strings.TrimSpace(string(b))
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return nil, e
}

func orgPath(org string, parts ...string) string {
	return "/v1/orgs/" + url.PathEscape(org) + strings.Join(parts, "")
}

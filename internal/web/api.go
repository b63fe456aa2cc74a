package web

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/signin"
)

// The pages are a client of the API, called in-process through the Go
// SDK: every read and change goes through the API's one route table, its
// permission checks, validation and logging, so that a page can do
// nothing the API would refuse. A call carries the page request's
// credential (the session cookie, with the CSRF token on changes, or a
// viewer token), address and user agent, so that the API throttles,
// rate-limits and logs it as the browser's own.

// apiBase is the address the SDK is given; requests never leave the
// process, so it only has to parse.
const apiBase = "http://stele.internal"

// as returns an SDK client calling the API as the caller of the page
// request r, under the credential v holds. Cookies the API sets (signing
// in and out) are passed on to w.
func (h *Web) as(w http.ResponseWriter, r *http.Request, v *visitor) *client.Client {
	if v == nil {
		v = &visitor{}
	}
	t := &inProcess{api: h.api, log: h.log, from: r, w: w, session: v.session, csrf: v.csrf}
	c, err := client.New(apiBase, v.viewer, client.WithHTTPClient(&http.Client{Transport: t}))
	if err != nil {
		panic(err) // apiBase parses
	}
	return c
}

// inProcess is an http.RoundTripper that serves requests with the API's
// handler, as if they came from the page request from.
type inProcess struct {
	api     http.Handler
	log     *slog.Logger
	from    *http.Request
	w       http.ResponseWriter // gets the cookies the API sets
	session string              // session token, "" for none
	csrf    string              // CSRF token to send with changes
}

func (t *inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.RemoteAddr = t.from.RemoteAddr
	req.TLS = t.from.TLS
	req.Header.Set("User-Agent", t.from.UserAgent())
	if xff := t.from.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		req.Header["X-Forwarded-For"] = xff
	}
	if t.session != "" {
		req.AddCookie(&http.Cookie{Name: signin.Cookie, Value: t.session})
	}
	if t.csrf != "" {
		req.Header.Set("X-CSRF-Token", t.csrf)
	}
	pr, pw := io.Pipe()
	rw := &pipeWriter{header: http.Header{}, body: pw, ready: make(chan struct{})}
	go func() {
		defer pw.Close()
		defer rw.WriteHeader(http.StatusOK) // an answer with no body
		// net/http recovers a handler's panic on a connection; here, on a
		// goroutine of ours, it would end the process.
		defer func() {
			if p := recover(); p != nil {
				t.log.ErrorContext(req.Context(), "API handler panicked", "path", req.URL.Path, "panic", fmt.Sprint(p))
				rw.WriteHeader(http.StatusInternalServerError)
				pw.CloseWithError(errAPIPanic)
			}
		}()
		t.api.ServeHTTP(rw, req)
	}()
	select {
	case <-rw.ready:
	case <-req.Context().Done():
		pr.CloseWithError(req.Context().Err())
		return nil, req.Context().Err()
	}
	for _, c := range rw.sent.Values("Set-Cookie") {
		t.w.Header().Add("Set-Cookie", c)
	}
	return &http.Response{
		Status:     http.StatusText(rw.status),
		StatusCode: rw.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  rw.sent,
		Body:    pr,
		Request: req,
	}, nil
}

var errAPIPanic = errors.New("web: the API's handler panicked")

// pipeWriter is the API's http.ResponseWriter for an in-process call:
// the body goes through a pipe as it is written, so a stream (a live
// tail) flows as it would over a connection.
type pipeWriter struct {
	header http.Header
	body   *io.PipeWriter
	once   sync.Once
	ready  chan struct{} // closed once status and sent are set
	status int
	sent   http.Header
}

func (p *pipeWriter) Header() http.Header { return p.header }

func (p *pipeWriter) WriteHeader(code int) {
	p.once.Do(func() {
		p.status, p.sent = code, p.header.Clone()
		close(p.ready)
	})
}

func (p *pipeWriter) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return p.body.Write(b)
}

// Flush has nothing to flush: a write reaches the reader at once.
func (p *pipeWriter) Flush() { p.WriteHeader(http.StatusOK) }

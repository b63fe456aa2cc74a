package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAPIPanic: a panic in the API, called in-process, is answered as a
// server error, and the process lives on.
func TestAPIPanic(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/me" {
			panic("a bug")
		}
		http.NotFound(w, r)
	})
	h, err := New(Config{API: api})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/orgs/acme/audit-logs", nil)
	r.AddCookie(&http.Cookie{Name: "stele_session", Value: "stele_session_x"})
	w := httptest.NewRecorder()
	h.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "<!doctype html>") {
		t.Errorf("a page whose API call panicked = %d %.100q, want a 500 page", w.Code, w.Body.String())
	}
}

// TestInProcessStream: the body of an in-process call flows as it is
// written, so that a stream reaches the page before it ends.
func TestInProcessStream(t *testing.T) {
	release := make(chan struct{})
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("first\n"))
		http.NewResponseController(w).Flush()
		<-release
		w.Write([]byte("second\n"))
	})
	tr := &inProcess{api: api, from: httptest.NewRequest("GET", "/", nil), w: httptest.NewRecorder()}
	req := httptest.NewRequest("GET", "/v1/x", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("RoundTrip = %d %v", resp.StatusCode, resp.Header)
	}
	buf := make([]byte, 6)
	done := make(chan error, 1)
	go func() { _, err := io.ReadFull(resp.Body, buf); done <- err }()
	select {
	case err := <-done:
		if err != nil || string(buf) != "first\n" {
			t.Fatalf("read %q, %v", buf, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first write did not arrive before the handler ended")
	}
	close(release)
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != "second\n" {
		t.Errorf("then read %q, want second", rest)
	}
}

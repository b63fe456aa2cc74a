package browsertest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

const page = `<!doctype html>
<html><head><meta name="viewport" content="width=device-width"><title>t</title></head>
<body>
<p id="out">before</p>
<button id="go" onclick="document.getElementById('out').textContent = 'after'">Go</button>
<button id="boom" onclick="throw new Error('boom')">Boom</button>
<button id="log" onclick="console.error('bad', 42)">Log</button>
</body></html>`

// server serves page on 127.0.0.1 (not httptest's default, which may
// try [::1] first).
func server(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	}))
	s.Listener.Close()
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return s.URL
}

func TestClick(t *testing.T) {
	url := server(t)
	ctx := New(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.Click(chromedp.ID("go")),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('out').textContent === 'after'`)); err != nil {
		t.Fatalf("waiting for the text: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("out")))
	if err != nil {
		t.Fatal(err)
	}
	if got != "after" {
		t.Errorf("text = %q, want %q", got, "after")
	}

	Screenshot(t, ctx, "click")
	fi, err := os.Stat(filepath.Join(t.ArtifactDir(), "click.png"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() == 0 {
		t.Error("click.png is empty")
	}
}

func TestPhone(t *testing.T) {
	url := server(t)
	ctx := New(t)
	if err := chromedp.Do(ctx, Phone(), chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if w != 375 {
		t.Errorf("innerWidth = %d, want 375", w)
	}
}

func TestTwoTabs(t *testing.T) {
	url := server(t)
	a := New(t)
	b := NewTab(t, a)
	for _, ctx := range []context.Context{a, b} {
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(b, chromedp.Click(chromedp.ID("go"))); err != nil {
		t.Fatal(err)
	}
	for ctx, want := range map[context.Context]string{a: "before", b: "after"} {
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("out")))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("text = %q, want %q", got, want)
		}
	}
}

func TestTakeJSErrors(t *testing.T) {
	url := server(t)
	ctx := New(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.Click(chromedp.ID("boom")),
		chromedp.Click(chromedp.ID("log")),
		// A round trip after the clicks: their events arrive before its reply.
		chromedp.Evaluate[chromedp.Void](`0`),
	); err != nil {
		t.Fatal(err)
	}
	got := TakeJSErrors(ctx)
	if len(got) != 2 ||
		!strings.HasPrefix(got[0], "Uncaught Error: boom (") ||
		got[1] != "console.error: bad 42" {
		t.Errorf("TakeJSErrors = %q, want the uncaught Error: boom and console.error: bad 42", got)
	}
	if got := TakeJSErrors(ctx); got != nil {
		t.Errorf("TakeJSErrors again = %q, want none", got)
	}
}

// recorder is a testing.TB whose cleanups and errors the test runs and
// reads itself.
type recorder struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) cleanup() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// TestJSErrorFailsTest checks that an error left untaken fails the test
// at cleanup, in each tab.
func TestJSErrorFailsTest(t *testing.T) {
	url := server(t)
	r := &recorder{TB: t}
	defer r.cleanup()
	a := New(r)
	b := NewTab(r, a)
	for _, ctx := range []context.Context{a, b} {
		if err := chromedp.Do(ctx,
			chromedp.Navigate(url),
			chromedp.Click(chromedp.ID("boom")),
			chromedp.Evaluate[chromedp.Void](`0`),
		); err != nil {
			t.Fatal(err)
		}
	}
	r.cleanup()
	r.cleanups = nil
	if len(r.errors) != 2 {
		t.Errorf("errors at cleanup: %q, want one for each tab", r.errors)
	}
}

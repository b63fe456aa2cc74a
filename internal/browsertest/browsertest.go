// Package browsertest gives end-to-end tests a real headless Chromium,
// driven by chromedp: STELE_TEST_CHROMIUM (a path), or chromium on PATH,
// or /usr/bin/chromium. Without one the tests skip, saying why in one
// line, unless STELE_TEST_REQUIRE names chromium (as CI's does): then
// they fail.
//
// A page's uncaught JavaScript exceptions and console.error calls fail
// the test when its tab closes, unless the test takes them first with
// TakeJSErrors: a page with a JavaScript error is a bug.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// lifetime bounds a browser's life, so that a hung browser fails its test
// rather than hanging the test binary.
const lifetime = 2 * time.Minute

// closeTimeout bounds the graceful close at cleanup; past it the browser
// is killed.
const closeTimeout = 10 * time.Second

// New starts a headless Chromium for t, ended when t ends, and returns the
// context of its first tab, for chromedp.Run and chromedp.Do. It skips or
// fails t if there is no Chromium (see the package doc).
func New(t testing.TB) context.Context {
	t.Helper()
	path, err := chromium()
	if err != nil {
		if strings.Contains(os.Getenv("STELE_TEST_REQUIRE"), "chromium") {
			t.Fatalf("chromium: %v, and STELE_TEST_REQUIRE wants it", err)
		}
		t.Skipf("chromium: %v", err)
	}
	// Not t.Context(): it ends before the cleanups, which would kill the
	// browser instead of closing it.
	guard, stop := context.WithTimeout(context.Background(), lifetime)
	alloc, cancelAlloc := chromedp.NewExecAllocator(guard,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // Chromium refuses to run as root without it.
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900), // The page gets 1280x757: headless draws a frame.
	)
	errs := new(jsErrors)
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithListener(errs.listen))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(tab, closeTimeout)
		if err := chromedp.Cancel(ctx); err != nil && guard.Err() == nil {
			t.Logf("couldn't close the browser: %v", err)
		}
		cancel()
		cancelTab()
		cancelAlloc()
		if errors.Is(guard.Err(), context.DeadlineExceeded) {
			t.Errorf("browsertest: the browser outlived its %v and was killed", lifetime)
		}
		stop()
		errs.report(t)
	})
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("couldn't start %s: %v", path, err)
	}
	return context.WithValue(tab, jsErrorsKey{}, errs)
}

// NewTab opens another tab in browser's Chromium, closed when t ends, for
// tests that need two pages at once.
func NewTab(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	errs := new(jsErrors)
	tab, cancel := chromedp.NewContext(browser, chromedp.WithListener(errs.listen))
	t.Cleanup(func() {
		cancel()
		errs.report(t)
	})
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("couldn't open a tab: %v", err)
	}
	return context.WithValue(tab, jsErrorsKey{}, errs)
}

// Screenshot saves the whole page of ctx's tab as <name>.png in t's
// artifact directory, for a person to look at (go test -artifacts keeps
// it). A failure fails t but goes on: a missing picture is no reason to
// stop the test.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("couldn't take screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("couldn't save screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// Phone makes the tab's viewport a 375 by 812 phone's (an iPhone X's, in
// CSS pixels), for tests of the narrow layout. The page's viewport meta
// tag applies, as on a phone. Undo it with chromedp.ResetViewport.
func Phone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulatePortrait)
}

// TakeJSErrors returns the JavaScript errors of ctx's tab so far, one line
// each, and forgets them, so that a test expecting an error can check it
// without failing at cleanup.
func TakeJSErrors(ctx context.Context) []string {
	errs, _ := ctx.Value(jsErrorsKey{}).(*jsErrors)
	if errs == nil {
		panic("browsertest: TakeJSErrors needs a context from New or NewTab")
	}
	errs.mu.Lock()
	defer errs.mu.Unlock()
	lines := errs.lines
	errs.lines = nil
	return lines
}

// chromium finds the browser's executable.
func chromium() (string, error) {
	if p := os.Getenv("STELE_TEST_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("STELE_TEST_CHROMIUM: %w", err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	const debian = "/usr/bin/chromium"
	if _, err := exec.LookPath(debian); err != nil {
		return "", errors.New("none on PATH, nor " + debian + " (apt-get install chromium)")
	}
	return debian, nil
}

type jsErrorsKey struct{}

// jsErrors collects a tab's uncaught exceptions and console.error calls.
type jsErrors struct {
	mu    sync.Mutex
	lines []string
}

// listen runs on the tab's reader goroutine, for each event, in order: an
// error is here before the reply to the command after it.
func (e *jsErrors) listen(ev any) {
	var line string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		line = exceptionText(ev.ExceptionDetails)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		line = "console.error: " + argsText(ev.Args)
	default:
		return
	}
	e.mu.Lock()
	e.lines = append(e.lines, line)
	e.mu.Unlock()
}

// report fails t for each error left.
func (e *jsErrors) report(t testing.TB) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.lines) > 0 {
		t.Errorf("JavaScript errors in the page:\n\t%s", strings.Join(e.lines, "\n\t"))
	}
}

// exceptionText gives an exception in one line: "Uncaught Error: boom
// (http://host/page.js:3:9)".
func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "exception with no details"
	}
	s := d.Text
	if d.Exception != nil {
		// The description holds the stack after the first line.
		desc, _, _ := strings.Cut(valueText(d.Exception), "\n")
		s += " " + desc
	}
	url := d.URL
	if url == "" && d.StackTrace != nil && len(d.StackTrace.CallFrames) > 0 {
		url = d.StackTrace.CallFrames[0].URL
	}
	if url != "" {
		s += fmt.Sprintf(" (%s:%d:%d)", url, d.LineNumber+1, d.ColumnNumber+1)
	}
	return s
}

// argsText joins a console call's arguments as the console shows them,
// near enough.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = valueText(a)
	}
	return strings.Join(parts, " ")
}

func valueText(o *runtime.RemoteObject) string {
	var s string
	switch {
	case o.Type == runtime.RemoteObjectTypeString && json.Unmarshal(o.Value, &s) == nil:
		return s
	case o.UnserializableValue != "":
		return string(o.UnserializableValue)
	case o.Description != "":
		return o.Description
	case len(o.Value) > 0:
		return string(o.Value)
	}
	return string(o.Type)
}

package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/steleaudit/stele/internal/browsertest"
	"github.com/steleaudit/stele/internal/store/pgtest"
	"github.com/steleaudit/stele/internal/store/postgres"

	"github.com/steleaudit/stele/internal/simulate"
)

// BenchmarkLogsPage is the server's time for the Audit Logs page (first
// page of 50, histogram, as a browser asks for it) of an organization
// with STELE_WEB_BENCH_EVENTS events (default 50,000) over 60 days,
// signed in, for the default view (last 7 days), a search and a 30-day
// category filter. It reports the p95 of the requests.
func BenchmarkLogsPage(b *testing.B) {
	s, hc := benchSite(b)
	for _, view := range []struct{ name, query string }{
		{"default", ""},
		{"search", "?q=" + url.QueryEscape("event:*.deleted -actor_type:system")},
		{"category30d", "?range=30d&category=auth"},
	} {
		b.Run(view.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				resp, err := hc.Get(s.URL + "/orgs/acme/audit-logs" + view.query)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("GET = %d", resp.StatusCode)
				}
				took = append(took, time.Since(start))
			}
			b.ReportMetric(p95(took), "p95-ms")
		})
	}
}

// BenchmarkPageInteractive is how long headless Chromium takes, from
// navigation to DOMContentLoaded (the page's script deferred to then has
// run: it is interactive), to load the Audit Logs page of the same
// organization as BenchmarkLogsPage. It reports the p95.
func BenchmarkPageInteractive(b *testing.B) {
	s, hc := benchSite(b)
	ctx := browsertest.New(b)
	u, _ := url.Parse(s.URL)
	for _, c := range hc.Jar.Cookies(u) {
		if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value, URL: s.URL}); err != nil {
			b.Fatal(err)
		}
	}
	var took []time.Duration
	for b.Loop() {
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/orgs/acme/audit-logs")); err != nil {
			b.Fatal(err)
		}
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd`))
		if err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Duration(ms*float64(time.Millisecond)))
		if os.Getenv("STELE_WEB_BENCH_DEBUG") != "" {
			t, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(performance.getEntriesByType("navigation")[0])`))
			b.Log(t)
		}
	}
	b.ReportMetric(p95(took), "p95-ms")
}

func p95(took []time.Duration) float64 {
	slices.Sort(took)
	return float64(took[len(took)*95/100].Microseconds()) / 1000
}

// benchSite is a site whose acme has STELE_WEB_BENCH_EVENTS events
// (default 50,000) over 60 days, and a client signed in as its admin;
// on PostgreSQL when STELE_WEB_BENCH_POSTGRES is set.
func benchSite(b *testing.B) (*site, *http.Client) {
	n := 50000
	if v, err := strconv.Atoi(os.Getenv("STELE_WEB_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	var s *site
	if os.Getenv("STELE_WEB_BENCH_POSTGRES") != "" {
		st, err := postgres.Open(context.Background(), pgtest.Schema(b))
		if err != nil {
			b.Fatal(err)
		}
		s = newSiteOn(b, st)
	} else {
		s = newSite(b)
	}
	end := time.Now().UTC()
	sim := simulate.New(simulate.Config{Seed: 1, Start: end.AddDate(0, 0, -60), End: end})
	for events := sim.History(n); len(events) > 0; events = events[min(1000, len(events)):] {
		if _, err := s.key.Send(context.Background(), "acme", events[:min(1000, len(events))]...); err != nil {
			b.Fatal(err)
		}
	}
	s.join("acme", "bench@acme.example", "Bench", "admin")
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	page, err := hc.Get(s.URL + "/signin")
	if err != nil {
		b.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	resp, err := hc.PostForm(s.URL+"/signin", url.Values{"email": {"bench@acme.example"}, "password": {s.password}, "form": {field(string(html), "form")}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	return s, hc
}

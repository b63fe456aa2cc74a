package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/browsertest"
)

// End-to-end tests: Debian's Chromium, headless, drives the pages of a
// whole Stele on 127.0.0.1. Each saves screenshots in its artifact
// directory (go test -artifacts -outputdir DIR keeps them).

// signIn signs email in through the sign-in page, with the TOTP step for
// an account with MFA, and returns where the browser landed.
func (s *site) signIn(ctx context.Context, email string, mfa bool) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), s.password),
		chromedp.Submit(chromedp.ID("password")),
	); err != nil {
		s.t.Fatalf("sign-in form: %v", err)
	}
	if mfa {
		if err := chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.ID("code")),
			chromedp.SendKeys(chromedp.ID("code"), s.code()),
			chromedp.Submit(chromedp.ID("code")),
		); err != nil {
			s.t.Fatalf("code form: %v", err)
		}
	}
	if err := waitFor(ctx, `!location.pathname.startsWith("/signin") && document.readyState === "complete"`); err != nil {
		browsertest.Screenshot(s.t, ctx, "signin-failed")
		s.t.Fatalf("signing in: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		s.t.Fatal(err)
	}
	return loc
}

// waitFor waits until the JavaScript expression is true, across
// navigations (which Poll does not survive).
func waitFor(ctx context.Context, expr string) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	for {
		try, cancelTry := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(try, chromedp.Evaluate[bool](expr))
		cancelTry()
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", expr, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stepTimeout bounds each step of a test, so that a page that never
// shows what a test waits for fails it at once, saying where.
const stepTimeout = 20 * time.Second

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// rowEvents are the event types of the table's rows, top to bottom.
func rowEvents(t *testing.T, ctx context.Context) []string {
	return run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#events tbody tr td.event code")).map(c => c.textContent)`))
}

func rowSeqs(t *testing.T, ctx context.Context) []string {
	return run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#events tbody tr")).map(r => r.dataset.seq)`))
}

// apiSeqs are the seqs the API lists for q in the last d, newest first.
func (s *site) apiSeqs(q string, d time.Duration, limit int) []string {
	l, err := s.key.ListEvents(context.Background(), "acme", client.ListOptions{Query: q, From: time.Now().Add(-d), Limit: limit})
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, e := range l.Events {
		out = append(out, fmt.Sprint(e.Seq))
	}
	return out
}

func TestSignInWithMFA(t *testing.T) {
	s := newSite(t)
	s.seed(40, 3)
	ctx := browsertest.New(t)
	// A wrong password first: the form says so, and keeps the email.
	do(t, ctx,
		chromedp.Navigate(s.URL+"/orgs/acme/audit-logs?q=event:auth.failed"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), s.ownerEmail),
		chromedp.SendKeys(chromedp.ID("password"), "not the password"),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("signin-error")),
	)
	if msg := run(t, ctx, chromedp.Text(chromedp.ID("signin-error"))); !strings.Contains(msg, "Wrong email or password") {
		t.Errorf("wrong password says %q", msg)
	}
	// Then the right one, and a wrong code, then the right code: back to
	// the page first asked for.
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("password"), s.password),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), "000000"),
		chromedp.Submit(chromedp.ID("code")),
		chromedp.WaitVisible(chromedp.ID("signin-error")),
	)
	if msg := run(t, ctx, chromedp.Text(chromedp.ID("signin-error"))); !strings.Contains(msg, "Wrong or already used code") {
		t.Errorf("wrong code says %q", msg)
	}
	browsertest.Screenshot(t, ctx, "wrong-code")
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("code"), s.code()),
		chromedp.Submit(chromedp.ID("code")),
		chromedp.WaitVisible(chromedp.ID("events")),
	)
	loc := run(t, ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/orgs/acme/audit-logs?q=event:auth.failed") {
		t.Errorf("after signing in, at %s, want the page asked for", loc)
	}
	// The failed tries and the sign-in are in the log, shown on the page.
	if q := run(t, ctx, chromedp.Value(chromedp.ID("q"))); q != "event:auth.failed" {
		t.Errorf("search box = %q", q)
	}
	for _, e := range rowEvents(t, ctx) {
		if e != "auth.failed" {
			t.Errorf("a row of %s in event:auth.failed", e)
		}
	}
	if n := len(rowEvents(t, ctx)); n < 2 {
		t.Errorf("%d auth.failed rows, want the wrong password's and code's at least", n)
	}
	browsertest.Screenshot(t, ctx, "signed-in")
	// Sign out: back to the sign-in page, and the pages ask again.
	do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)), chromedp.WaitVisible(chromedp.ID("email")))
	do(t, ctx, chromedp.Navigate(s.URL+"/orgs/acme/audit-logs"), chromedp.WaitVisible(chromedp.ID("email")))
}

func TestFilters(t *testing.T) {
	s := newSite(t)
	s.seed(400, 45)
	ctx := browsertest.New(t)
	s.signIn(ctx, s.ownerEmail, true)
	base := s.URL + "/orgs/acme/audit-logs"
	for _, tt := range []struct {
		name, params, q string
		span            time.Duration
	}{
		{"24h", "?range=24h&limit=200", "", 24 * time.Hour},
		{"7d", "?limit=200", "", 7 * 24 * time.Hour},
		{"30d", "?range=30d&limit=200", "", 30 * 24 * time.Hour},
		{"category", "?range=30d&category=finding&limit=200", `category:"finding"`, 30 * 24 * time.Hour},
		{"system", "?range=30d&actor_type=system&limit=200", `actor_type:"system"`, 30 * 24 * time.Hour},
		{"any user", "?range=30d&actor_type=user&limit=200", `actor_type:"user"`, 30 * 24 * time.Hour},
		{"actor", "?range=30d&actor=bob@example.com&limit=200", `actor:"bob@example.com"`, 30 * 24 * time.Hour},
		{"target", "?range=30d&target=project-3&limit=200", `target:"project-3"`, 30 * 24 * time.Hour},
		{"deletions", "?range=30d&q=" + url.QueryEscape("event:*.deleted") + "&limit=200", "event:*.deleted", 30 * 24 * time.Hour},
		{"seed search", "?range=30d&q=" + url.QueryEscape("actor:bob@example.com event:finding.status_changed") + "&limit=200",
			"actor:bob@example.com event:finding.status_changed", 30 * 24 * time.Hour},
		{"negation", "?range=30d&q=" + url.QueryEscape("-actor_type:system -category:auth") + "&limit=200", "-actor_type:system -category:auth", 30 * 24 * time.Hour},
	} {
		do(t, ctx, chromedp.Navigate(base+tt.params), chromedp.WaitVisible(chromedp.ID("events")))
		got, want := rowSeqs(t, ctx), s.apiSeqs(tt.q, tt.span, 200)
		if strings.Join(got, ",") != strings.Join(want, ",") || len(want) == 0 {
			t.Errorf("%s: rows %d %v, want the API's %d %v", tt.name, len(got), head(got), len(want), head(want))
		}
	}
	browsertest.Screenshot(t, ctx, "filtered")
	// Choosing a preset applies it at once, and the URL says so.
	do(t, ctx, chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("range")),
		chromedp.Evaluate[chromedp.Void](`(() => { const r = document.getElementById("range"); r.value = "24h"; r.dispatchEvent(new Event("change")); })()`))
	if err := waitFor(ctx, `location.search.includes("range=24h") && document.readyState === "complete"`); err != nil {
		t.Error(err)
	}
	// A bar of the histogram narrows the range to its day.
	do(t, ctx, chromedp.Navigate(base+"?range=30d"), chromedp.WaitVisible(chromedp.CSS(".histogram svg")),
		chromedp.Click(chromedp.CSS(".histogram svg a:last-of-type rect.hit")))
	if err := waitFor(ctx, `location.search.includes("range=custom") && document.readyState === "complete"`); err != nil {
		t.Error(err)
	}
	if n := len(rowSeqs(t, ctx)); n == 0 {
		t.Error("the last bar's day shows no events")
	}
	// A custom range shows its fields, and bounds the rows.
	from, to := time.Now().UTC().Add(-10*24*time.Hour), time.Now().UTC().Add(-5*24*time.Hour)
	do(t, ctx, chromedp.Navigate(base+"?range=custom&limit=200&from="+from.Format("2006-01-02T15:04")+"&to="+to.Format("2006-01-02T15:04")),
		chromedp.WaitVisible(chromedp.ID("custom")))
	l, err := s.key.ListEvents(context.Background(), "acme", client.ListOptions{From: from.Truncate(time.Minute), To: to.Truncate(time.Minute).Add(time.Minute), Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	if got := rowSeqs(t, ctx); len(got) != len(l.Events) || len(got) == 0 {
		t.Errorf("custom range: %d rows, want %d", len(got), len(l.Events))
	}
	// Chips: removing one drops just that filter.
	do(t, ctx, chromedp.Navigate(base+"?category=finding&q="+url.QueryEscape("actor:bob@example.com")), chromedp.WaitVisible(chromedp.CSS(".chips")))
	do(t, ctx, chromedp.Click(chromedp.CSS(`.chips a[aria-label^="Remove filter: Category"]`)), chromedp.WaitVisible(chromedp.ID("events")))
	if loc := run(t, ctx, chromedp.Location()); strings.Contains(loc, "category=") || !strings.Contains(loc, "q=actor") {
		t.Errorf("after removing the category chip: %s", loc)
	}
}

func TestOrgSwitcher(t *testing.T) {
	s := newSite(t)
	ctx0 := context.Background()
	if _, err := s.platform.CreateOrg(ctx0, client.OrgCreate{ID: "beta", Name: "Beta Labs", Plan: "professional"}); err != nil {
		t.Fatal(err)
	}
	inv, err := s.platform.Invite(ctx0, "beta", client.InvitationCreate{Email: s.ownerEmail, Role: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.platform.AcceptInvitation(ctx0, inv.Token, client.InvitationAccept{Password: s.password}); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	s.signIn(ctx, s.ownerEmail, true)
	do(t, ctx, chromedp.Navigate(s.URL+"/orgs/acme/audit-logs"), chromedp.WaitVisible(chromedp.CSS("details.orgs summary")),
		chromedp.Click(chromedp.CSS("details.orgs summary")),
		chromedp.Click(chromedp.CSS(`details.orgs a[href="/orgs/beta/audit-logs"]`)))
	if err := waitFor(ctx, `location.pathname === "/orgs/beta/audit-logs" && document.readyState === "complete"`); err != nil {
		t.Fatal(err)
	}
	if name := run(t, ctx, chromedp.Text(chromedp.CSS("details.orgs summary"))); name != "Beta Labs" {
		t.Errorf("switched to %q, want Beta Labs", name)
	}
	// The admin's sign-in was logged in both organizations.
	for _, org := range []string{"acme", "beta"} {
		l, err := s.platform.ListEvents(ctx0, org, client.ListOptions{Query: "event:auth.login", Limit: 10})
		if err != nil || len(l.Events) == 0 {
			t.Errorf("%s: auth.login events %v (%v)", org, l, err)
		}
	}
}

func head(s []string) []string { return s[:min(len(s), 5)] }

func TestSearchSyntaxError(t *testing.T) {
	s := newSite(t)
	s.seed(20, 2)
	ctx := browsertest.New(t)
	s.signIn(ctx, s.ownerEmail, true)
	do(t, ctx,
		chromedp.Navigate(s.URL+"/orgs/acme/audit-logs"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), "event:auth.login acter:bob"),
		chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitVisible(chromedp.ID("q-error")),
	)
	msg := run(t, ctx, chromedp.Text(chromedp.ID("q-error")))
	if !strings.Contains(msg, "actor") {
		t.Errorf("syntax error says %q, want a suggestion of actor", msg)
	}
	if mark := run(t, ctx, chromedp.Text(chromedp.CSS("#q-error mark"))); mark != "a" {
		t.Errorf("highlighted %q, want the a of acter", mark)
	}
	if inv := run(t, ctx, chromedp.AttributeValue(chromedp.ID("q"), "aria-invalid")); inv.Value != "true" {
		t.Error("the search box is not marked invalid")
	}
	if n := len(rowSeqs(t, ctx)); n != 0 {
		t.Errorf("%d rows under a syntax error, want none", n)
	}
	browsertest.Screenshot(t, ctx, "syntax-error")
}

func TestPaging(t *testing.T) {
	s := newSite(t)
	s.seed(150, 2)
	ctx := browsertest.New(t)
	s.signIn(ctx, s.ownerEmail, true)
	do(t, ctx, chromedp.Navigate(s.URL+"/orgs/acme/audit-logs?limit=50"), chromedp.WaitVisible(chromedp.ID("more")))
	// Events arriving meanwhile, the newest, don't disturb the pages.
	for i := range 5 {
		s.send(client.Entry{ID: fmt.Sprint("late-", i), Actor: client.Actor{Email: "late@example.com"}, Event: "auth.login"})
	}
	for range 2 {
		n := len(rowSeqs(t, ctx))
		do(t, ctx, chromedp.Click(chromedp.ID("more")), chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll("#events tbody tr").length > %d`, n)))
	}
	got := rowSeqs(t, ctx)
	want := s.apiSeqs("", 7*24*time.Hour, 1000)
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g] {
			t.Errorf("seq %s twice", g)
		}
		seen[g] = true
	}
	// The pages started before the 5 new events: they hold the 150
	// events after them in the API's order.
	if len(got) != 150 || strings.Join(got, ",") != strings.Join(want[5:155], ",") {
		t.Errorf("three pages: %d rows %v..., want the API's %v...", len(got), head(got), head(want[5:]))
	}
	browsertest.Screenshot(t, ctx, "paged")
}

func TestDetailAndVerify(t *testing.T) {
	s := newSite(t)
	seqs := s.send(client.Entry{Actor: client.Actor{Email: "bob@example.com", Name: "Bob"}, Event: "finding.status_changed",
		Target:  &client.Target{Type: "finding", ID: "finding-abc123"},
		Details: map[string]any{"old_status": "open", "new_status": "fixed", "severity": "high"}, IP: "198.51.100.7"})
	ctx := browsertest.New(t)
	s.signIn(ctx, s.ownerEmail, true)
	row := fmt.Sprintf(`#events tr[data-seq="%d"]`, seqs[0])
	do(t, ctx,
		chromedp.Navigate(s.URL+"/orgs/acme/audit-logs"),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+" td.time")),
		chromedp.WaitVisible(chromedp.CSS("#detail .detail")),
	)
	if loc := run(t, ctx, chromedp.Location()); !strings.Contains(loc, fmt.Sprintf("event=%d", seqs[0])) {
		t.Errorf("the panel's event is not in the URL: %s", loc)
	}
	diff := run(t, ctx, chromedp.Text(chromedp.CSS("#detail table.diff tbody")))
	if !strings.Contains(diff, "status") || !strings.Contains(diff, "open") || !strings.Contains(diff, "fixed") {
		t.Errorf("What changed = %q", diff)
	}
	raw := run(t, ctx, chromedp.TextContent(chromedp.CSS("#detail details.raw pre")))
	if !strings.Contains(raw, `"finding-abc123"`) {
		t.Errorf("raw JSON lacks the target: %q", raw)
	}
	time.Sleep(1500 * time.Millisecond) // a checkpoint is signed within a second
	do(t, ctx,
		chromedp.Click(chromedp.CSS("#detail a[data-verify]")),
		chromedp.WaitVisible(chromedp.CSS("#detail .verification")),
	)
	if cls := run(t, ctx, chromedp.AttributeValue(chromedp.CSS("#detail .verification"), "class")); !strings.Contains(cls.Value, "ok") {
		t.Errorf("verification: %s", run(t, ctx, chromedp.Text(chromedp.CSS("#detail .verification"))))
	}
	browsertest.Screenshot(t, ctx, "detail-verified")
	// The panel's URL opens it without the script, as a shared link would.
	do(t, ctx, chromedp.Navigate(run(t, ctx, chromedp.Location())), chromedp.WaitVisible(chromedp.CSS("#detail .detail")))
	// Esc closes it; j and k move along the rows, Enter opens one.
	do(t, ctx, chromedp.KeyEvent("\x1b"), chromedp.WaitNotVisible(chromedp.ID("detail")))
	do(t, ctx, chromedp.KeyEvent("j"), chromedp.KeyEvent("j"), chromedp.KeyEvent("k"))
	focused := run(t, ctx, chromedp.Evaluate[string](`document.activeElement.dataset.seq || ""`))
	if want := rowSeqs(t, ctx)[2]; focused != want {
		t.Errorf("after Esc, j, j, k the focus is on row %q, want %q (the third row)", focused, want)
	}
	do(t, ctx, chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`#detail .detail[data-seq="`+focused+`"]`)))
	// / goes to the search box.
	do(t, ctx, chromedp.KeyEvent("/"))
	if id := run(t, ctx, chromedp.Evaluate[string](`document.activeElement.id`)); id != "q" {
		t.Errorf("after /, the focus is on %q, want the search box", id)
	}
}

func TestLiveTail(t *testing.T) {
	s := newSite(t)
	s.seed(10, 1)
	ctx := browsertest.New(t)
	s.signIn(ctx, s.ownerEmail, true)
	do(t, ctx,
		chromedp.Navigate(s.URL+"/orgs/acme/audit-logs?q="+url.QueryEscape("event:project.deleted")),
		chromedp.WaitVisible(chromedp.ID("live")),
		chromedp.Click(chromedp.ID("live")),
		chromedp.Poll[chromedp.Void](`document.getElementById("live-note").textContent.startsWith("Live")`),
	)
	// One that does not match, then one that does.
	s.send(client.Entry{Actor: client.Actor{Email: "x@example.com"}, Event: "project.created", Target: &client.Target{ID: "p-new"}})
	start := time.Now()
	seq := s.send(client.Entry{Actor: client.Actor{Email: "x@example.com"}, Event: "project.deleted", Target: &client.Target{ID: "p-gone"}})[0]
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector("#events tbody tr").dataset.seq === "%d"`, seq),
		chromedp.WithPollingTimeout(2*time.Second))); err != nil {
		t.Fatalf("the event sent was not on top within 2 s: %v", err)
	}
	t.Logf("live tail showed the event in %v", time.Since(start).Round(time.Millisecond))
	for _, e := range rowEvents(t, ctx) {
		if e != "project.deleted" {
			t.Errorf("live tail showed %s, which does not match", e)
		}
	}
	browsertest.Screenshot(t, ctx, "live")
}

func TestViewerToken(t *testing.T) {
	// The platform's origin, which frames the page.
	var frameURL string
	platform := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><title>Platform</title><h1>Our product</h1><iframe id="audit" src="%s" width="1100" height="700"></iframe>`, frameURL)
	}))
	defer platform.Close()
	s := newSite(t, platform.URL)
	s.seed(30, 2)
	vt, err := s.platform.CreateViewerToken(context.Background(), "acme", client.ViewerTokenCreate{Subject: "customer-user-7", TTL: "10m"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(vt.URL)
	frameURL = s.URL + u.RequestURI()
	ctx := browsertest.New(t)
	do(t, ctx, chromedp.Navigate(frameURL), chromedp.WaitVisible(chromedp.ID("events")))
	if n := len(rowSeqs(t, ctx)); n == 0 {
		t.Error("the viewer sees no events")
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("nav.tabs, form[action='/signout']").length`)); n != 0 {
		t.Error("the viewer page shows navigation or sign-out")
	}
	// Its links keep the token: a filter, then the panel.
	do(t, ctx, chromedp.Navigate(frameURL+"&category=auth"), chromedp.WaitVisible(chromedp.ID("events")),
		chromedp.Click(chromedp.CSS("#events tbody tr td.time")), chromedp.WaitVisible(chromedp.CSS("#detail .detail")))
	// Other pages are not the viewer's.
	resp, err := http.Get(s.URL + "/orgs/acme/members?viewer_token=" + url.QueryEscape(vt.Token))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("members page with a viewer token = %d, want 403", resp.StatusCode)
	}
	// The platform's page frames it.
	resp, err = http.Get(frameURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors "+platform.URL) {
		t.Errorf("CSP %q does not let %s frame the page", csp, platform.URL)
	}
	do(t, ctx, chromedp.Navigate(platform.URL), chromedp.WaitVisible(chromedp.ID("audit")))
	time.Sleep(time.Second)
	browsertest.Screenshot(t, ctx, "embedded")
	// Revoked, the token opens nothing.
	if _, err := s.platform.RevokeViewerToken(context.Background(), "acme", vt.ID); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(frameURL), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if h := run(t, ctx, chromedp.Text(chromedp.CSS("main h1"))); !strings.Contains(h, "ended") {
		t.Errorf("a revoked viewer token's page says %q", h)
	}
}

func TestMemberWithoutAuditAccess(t *testing.T) {
	s := newSite(t)
	ctx := browsertest.New(t)
	s.signIn(ctx, s.memberEmail, false)
	do(t, ctx, chromedp.Navigate(s.URL+"/orgs/acme/audit-logs"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if h := run(t, ctx, chromedp.Text(chromedp.CSS("main h1"))); !strings.Contains(h, "don't have access") {
		t.Errorf("a member without audit.read sees %q", h)
	}
	if n := len(rowSeqs(t, ctx)); n != 0 {
		t.Errorf("a member without audit.read sees %d events", n)
	}
	browsertest.Screenshot(t, ctx, "refused")
}

func TestPlanWithoutAuditLogs(t *testing.T) {
	s := newSite(t)
	ctx := browsertest.New(t)
	s.signIn(ctx, s.freeEmail, false)
	do(t, ctx, chromedp.Navigate(s.URL+"/orgs/freeco/audit-logs"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	text := run(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(text, "not in this plan") || !strings.Contains(text, "professional") {
		t.Errorf("a free plan's page says %q", text)
	}
	browsertest.Screenshot(t, ctx, "plan")
}

func TestHostileEvent(t *testing.T) {
	s := newSite(t)
	// Names refuse control and bidi characters (the API checks them);
	// details and user agents may hold anything.
	markup := "<script>alert(1)</script>{{.Title}}\u200b"
	seq := s.send(client.Entry{
		Actor:     client.Actor{Email: "evil@example.com", Name: markup},
		Event:     "project.created",
		Target:    &client.Target{Type: "<img src=x onerror=alert(2)>", ID: "javascript:alert(3)", Name: markup},
		Details:   map[string]any{"old_name": "<b>bold</b>", "new_name": "\u202egnp.exe\x07", "note": "\u2066hidden\u2069 \x1b[31m"},
		UserAgent: "Mozilla/5.0 \u202e(evil)",
	})[0]
	row := fmt.Sprintf(`#events tr[data-seq="%d"]`, seq)
	ctx := browsertest.New(t)
	s.signIn(ctx, s.ownerEmail, true)
	do(t, ctx, chromedp.Navigate(s.URL+"/orgs/acme/audit-logs"), chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+" td.time")), chromedp.WaitVisible(chromedp.CSS("#detail .detail")))
	// Nothing ran: no dialog, no element from the event, no error.
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("main script, main img, main b").length`)); n != 0 {
		t.Errorf("the event's markup made %d elements", n)
	}
	text := run(t, ctx, chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"<script>alert(1)</script>", "{{.Title}}", "⟨U+200B⟩", "⟨U+202E⟩", "⟨U+0007⟩", "⟨U+2066⟩", "⟨U+001B⟩", "<img src=x onerror=alert(2)>"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not show %q as text", want)
		}
	}
	if strings.ContainsAny(text, "\u200b\u202e\u2066\x07\x1b") {
		t.Error("the page holds a raw control or bidi character")
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('a[href^="javascript:"]').length`)); n != 0 {
		t.Errorf("%d javascript: links", n)
	}
	browsertest.Screenshot(t, ctx, "hostile")
}

func TestPhoneWidth(t *testing.T) {
	s := newSite(t)
	s.seed(30, 2)
	ctx := browsertest.New(t)
	s.signIn(ctx, s.ownerEmail, true)
	do(t, ctx, browsertest.Phone(), chromedp.Navigate(s.URL+"/orgs/acme/audit-logs?range=30d"), chromedp.WaitVisible(chromedp.ID("events")))
	if w := run(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
		wide := run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > 376 && !e.closest(".tabs, .tablewrap")).slice(0, 8).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))`))
		t.Errorf("at 375 px the page is %d px wide: %v", w, wide)
	}
	// Every control has a name a screen reader can say.
	unlabeled := run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("input:not([type=hidden]), select, button")).filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim()).map(e => e.outerHTML.slice(0, 80))`))
	if len(unlabeled) > 0 {
		t.Errorf("controls without a label: %v", unlabeled)
	}
	browsertest.Screenshot(t, ctx, "phone")
}

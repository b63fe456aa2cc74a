package web_test

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
)

// Plain-HTTP tests of the pages: headers, signing in, CSRF, the forms
// around the Audit Logs and what they leave in the log, viewer tokens
// and hostile parameters. A browser here is an http.Client with a cookie
// jar that does not follow redirects, so that each 303 can be checked.

// A browser is one person's cookie jar on a site.
type browser struct {
	t  *testing.T
	s  *site
	hc *http.Client
}

// A resp is one answer, its body read.
type resp struct {
	status int
	header http.Header
	body   string
}

func (r resp) loc() string { return r.header.Get("Location") }

func (s *site) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, s: s, hc: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) resp {
	b.t.Helper()
	req, err := http.NewRequest(method, b.s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(raw)}
}

func (b *browser) get(path string) resp { b.t.Helper(); return b.do("GET", path, nil) }

func (b *browser) post(path string, form url.Values) resp {
	b.t.Helper()
	return b.do("POST", path, form)
}

// setCookie puts a session cookie in the jar, as if the site had set it.
func (b *browser) setCookie(value string) {
	u, _ := url.Parse(b.s.URL)
	b.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "stele_session", Value: value, Path: "/"}})
}

func (b *browser) cookie() string {
	u, _ := url.Parse(b.s.URL)
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == "stele_session" {
			return c.Value
		}
	}
	return ""
}

// signIn signs email in through the forms, as a browser would: the
// password form, then the code form for an account with MFA (the
// owner's: once per site, its code is good once). It returns the last
// answer, a 303 on success.
func (b *browser) signIn(email, password, next string) resp {
	b.t.Helper()
	r := b.signInPost(url.Values{"email": {email}, "password": {password}, "next": {next}})
	if r.status == http.StatusOK && strings.Contains(r.body, `action="/signin/code"`) {
		r = b.post("/signin/code", url.Values{"code": {b.s.code()}, "next": {field(r.body, "next")}})
	}
	return r
}

// signInPost posts the password form with the token its page gives.
func (b *browser) signInPost(form url.Values) resp {
	b.t.Helper()
	form.Set("form", field(b.get("/signin").body, "form"))
	return b.post("/signin", form)
}

// owner signs acme's owner in and returns the CSRF token of a page.
func (b *browser) owner() string {
	b.t.Helper()
	if r := b.signIn(b.s.ownerEmail, b.s.password, ""); r.status != http.StatusSeeOther {
		b.t.Fatalf("owner sign-in = %d, want 303: %s", r.status, r.body)
	}
	csrf := csrfOf(b.get("/orgs/acme/settings").body)
	if csrf == "" {
		b.t.Fatal("no csrf field on the settings page")
	}
	return csrf
}

var (
	inputRE = regexp.MustCompile(`<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"`)
	urlRE   = regexp.MustCompile(`\b(?:href|data-[a-z]+)="(/orgs/[^"]*)"`)
	keyRE   = regexp.MustCompile(`id="new-key">([^<]+)<`)
	invRE   = regexp.MustCompile(`/invitations/([A-Za-z0-9_-]+)`)
)

// csrfOf is the CSRF token a page's forms carry.
func csrfOf(body string) string { return field(body, "csrf") }

// field is the value of the first input named name, unescaped; "" if none.
func field(body, name string) string {
	for _, m := range inputRE.FindAllStringSubmatch(body, -1) {
		if m[1] == name {
			return html.UnescapeString(m[2])
		}
	}
	return ""
}

// logged checks that acme's log holds an event typ done by its owner from
// 127.0.0.1, about the target id (any, for "").
func (s *site) logged(t *testing.T, typ, target string) {
	t.Helper()
	list, err := s.platform.ListEvents(context.Background(), "acme", client.ListOptions{Query: "event:" + typ, Limit: 100})
	if err != nil {
		t.Fatalf("ListEvents(event:%s): %v", typ, err)
	}
	for _, e := range list.Events {
		if target == "" || e.Target.ID == target {
			if e.Actor.Email != s.ownerEmail || e.IP != "127.0.0.1" {
				t.Errorf("%s by %q from %q, want %s from 127.0.0.1", typ, e.Actor.Email, e.IP, s.ownerEmail)
			}
			return
		}
	}
	t.Errorf("no %s event about %q in acme's log (%d of that type)", typ, target, len(list.Events))
}

// viewer mints a viewer token of acme's.
func (s *site) viewer(t *testing.T) *client.ViewerToken {
	vt, err := s.platform.CreateViewerToken(context.Background(), "acme", client.ViewerTokenCreate{Subject: "customer-7", TTL: "10m"})
	if err != nil {
		t.Fatal(err)
	}
	return vt
}

func TestPagesHeaders(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	for _, tc := range []struct {
		path, ctype, cache string
		status             int
		page               bool // answered by the pages, with their headers
	}{
		{"/signin", "text/html; charset=utf-8", "no-store", 200, true},
		{"/signin?next=%2Forgs", "text/html; charset=utf-8", "no-store", 200, true},
		{"/orgs/acme/audit-logs", "", "", 303, true},
		{"/static/app.css", "text/css", "public, max-age=86400", 200, true},
		{"/static/app.js", "text/javascript", "public, max-age=86400", 200, true},
		{"/v1/openapi.json", "application/json", "", 200, false},
		{"/healthz", "application/json", "", 200, false},
		{"/nope", "application/json", "", 404, false},
	} {
		r := b.get(tc.path)
		if r.status != tc.status {
			t.Errorf("GET %s = %d, want %d", tc.path, r.status, tc.status)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
			t.Errorf("GET %s: Content-Type = %q, want %q", tc.path, ct, tc.ctype)
		}
		if cc := r.header.Get("Cache-Control"); tc.cache != "" && cc != tc.cache {
			t.Errorf("GET %s: Cache-Control = %q, want %q", tc.path, cc, tc.cache)
		}
		if !tc.page {
			continue
		}
		for h, wants := range map[string][]string{
			"Content-Security-Policy": {"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"},
			"X-Frame-Options":         {"DENY"}, "X-Content-Type-Options": {"nosniff"}, "Referrer-Policy": {"no-referrer"},
		} {
			for _, want := range wants {
				if got := r.header.Get(h); !strings.Contains(got, want) || strings.Contains(got, "unsafe-") {
					t.Errorf("GET %s: %s = %q, want it to hold %q (and no unsafe-*)", tc.path, h, got, want)
				}
			}
		}
	}
	if r := b.get("/nope"); !strings.Contains(r.body, `"error"`) {
		t.Errorf("GET /nope = %q, want the API's JSON error", r.body)
	}
	// The static file server is rooted at static/: the templates (or
	// anything else embedded) are not reachable by climbing out of it.
	for _, p := range []string{"/static/../templates/layout.html", "/static/%2e%2e/templates/layout.html", "/static/..%2ftemplates/layout.html"} {
		if r := b.get(p); r.status == 200 || strings.Contains(r.body, "{{define") {
			t.Errorf("GET %s = %d with the template's text", p, r.status)
		}
	}
}

func TestPagesSignInNext(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	// Not signed in: to the sign-in page, which keeps where to go after.
	r := b.get("/orgs/acme/audit-logs")
	if r.status != 303 || r.loc() != "/signin?next=%2Forgs%2Facme%2Faudit-logs" {
		t.Fatalf("GET /orgs/acme/audit-logs = %d to %q, want 303 to /signin?next=%%2Forgs%%2Facme%%2Faudit-logs", r.status, r.loc())
	}
	if next := field(b.get(r.loc()).body, "next"); next != "/orgs/acme/audit-logs" {
		t.Fatalf("sign-in form's next = %q, want /orgs/acme/audit-logs", next)
	}
	// Through the code step (the owner has MFA), back where we were.
	if r := b.signIn(s.ownerEmail, s.password, "/orgs/acme/audit-logs"); r.status != 303 || r.loc() != "/orgs/acme/audit-logs" {
		t.Fatalf("signing in with next = %d to %q, want 303 to /orgs/acme/audit-logs", r.status, r.loc())
	}
	if r := b.get("/orgs/acme/audit-logs"); r.status != 200 {
		t.Errorf("audit logs after signing in = %d, want 200", r.status)
	}
	// Wherever next points off the site, signing in lands on /.
	for _, next := range []string{
		"//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)",
		"/\r\nLocation: https://evil.example", "/orgs\r\n", "/\t/evil.example", "///evil.example",
		"http:evil.example", "\\\\evil.example", " //evil.example", "/" + strings.Repeat("a", 3000),
		// http.Redirect cleans the path, which makes "/./\evil.example"
		// "/\evil.example": browsers read "\" as "/", so //evil.example.
		"/./\\evil.example", "/../\\evil.example", "/orgs/../\\evil.example",
	} {
		f := s.browser(t)
		if got := field(f.get("/signin?next="+url.QueryEscape(next)).body, "next"); got != "" {
			t.Errorf("sign-in form's next for %q = %q, want empty", next, got)
		}
		if r := f.signIn(s.freeEmail, s.password, next); r.status != 303 || r.loc() != "/" {
			t.Errorf("signing in with next=%q = %d to %q, want 303 to /", next, r.status, r.loc())
		}
		if r := f.get("/"); r.loc() != "/orgs/freeco/audit-logs" {
			t.Errorf("GET / after next=%q = %d to %q, want /orgs/freeco/audit-logs", next, r.status, r.loc())
		}
	}
}

func TestPagesSignInErrors(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	// Wrong passwords, of an account and of none, read the same; the
	// sixth failure of an account in a row is throttled, even with its
	// right password.
	for i, tc := range []struct {
		email, password string
		status          int
		says            string
	}{
		{"nobody@acme.example", "whatever", 401, "Wrong email or password"},
		{s.memberEmail, "wrong", 401, "Wrong email or password"},
		{" MEMBER@acme.example ", "wrong", 401, "Wrong email or password"},
		{s.memberEmail, "", 401, "Wrong email or password"},
		{s.memberEmail, "wrong", 401, "Wrong email or password"},
		{s.memberEmail, "wrong", 401, "Wrong email or password"},
		{s.memberEmail, "wrong", 429, "Too many failed sign-ins"},
		{s.memberEmail, s.password, 429, "Too many failed sign-ins"},
	} {
		r := b.signIn(tc.email, tc.password, "")
		if r.status != tc.status || !strings.Contains(r.body, tc.says) {
			t.Errorf("%d: sign-in %q/%q = %d, want %d saying %q", i, tc.email, tc.password, r.status, tc.status, tc.says)
		}
		if got := field(r.body, "email"); got != strings.TrimSpace(tc.email) {
			t.Errorf("%d: sign-in form's email = %q, want %q kept", i, got, tc.email)
		}
	}
	// A session cookie the API does not know sends a page to sign in.
	for _, c := range []string{"garbage", "stele_ses_" + strings.Repeat("A", 43), strings.Repeat("x", 3000)} {
		g := s.browser(t)
		g.setCookie(c)
		if r := g.get("/orgs/acme/audit-logs"); r.status != 303 || !strings.HasPrefix(r.loc(), "/signin?next=") {
			t.Errorf("audit logs with cookie %.20q = %d to %q, want 303 to /signin", c, r.status, r.loc())
		}
		if g.cookie() != "" {
			t.Errorf("cookie %.20q was not cleared", c)
		}
	}
	// Halfway signed in (the code not yet given), no page opens.
	h := s.browser(t)
	h.signInPost(url.Values{"email": {s.ownerEmail}, "password": {s.password}})
	if r := h.get("/orgs/acme/audit-logs"); r.status != 303 || !strings.HasPrefix(r.loc(), "/signin") {
		t.Errorf("audit logs of a session awaiting its code = %d to %q, want 303 to /signin", r.status, r.loc())
	}
	// A signed-out session's cookie, kept, opens nothing; signing out
	// needs the CSRF token.
	f := s.browser(t)
	f.signIn(s.freeEmail, s.password, "")
	old, csrf := f.cookie(), csrfOf(f.get("/orgs/freeco/settings").body)
	for _, form := range []url.Values{{}, {"csrf": {"x"}}} {
		if r := f.post("/signout", form); r.status != 403 {
			t.Errorf("POST /signout with %v = %d, want 403", form, r.status)
		}
	}
	if r := f.get("/orgs/freeco/settings"); r.status != 200 {
		t.Errorf("settings after a refused sign-out = %d, want 200", r.status)
	}
	if r := f.post("/signout", url.Values{"csrf": {csrf}}); r.status != 303 || r.loc() != "/signin" {
		t.Errorf("POST /signout = %d to %q, want 303 to /signin", r.status, r.loc())
	}
	f.setCookie(old)
	if r := f.get("/orgs/freeco/settings"); r.status != 303 || !strings.HasPrefix(r.loc(), "/signin?next=") {
		t.Errorf("settings with a signed-out cookie = %d to %q, want 303 to /signin", r.status, r.loc())
	}
}

func TestFormsAPIKeys(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	b := s.browser(t)
	csrf := b.owner()
	free := s.browser(t) // another person's session, and its token
	free.signIn(s.freeEmail, s.password, "")
	otherCSRF := csrfOf(free.get("/orgs/freeco/settings").body)
	keyNamed := func(name string) *client.APIKey {
		keys, err := s.platform.APIKeys(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		for i := range keys {
			if keys[i].Name == name {
				return &keys[i]
			}
		}
		return nil
	}
	// Without the session's own token in the body, nothing is made.
	for _, tc := range []struct{ why, path, csrf string }{
		{"no csrf", "/orgs/acme/api-keys", ""},
		{"wrong csrf", "/orgs/acme/api-keys", strings.Repeat("A", len(csrf))},
		{"another session's csrf", "/orgs/acme/api-keys", otherCSRF},
		{"csrf in the URL", "/orgs/acme/api-keys?csrf=" + url.QueryEscape(csrf), ""},
	} {
		form := url.Values{"name": {"forged " + tc.why}, "scope": {"events:read"}}
		if tc.csrf != "" {
			form.Set("csrf", tc.csrf)
		}
		if r := b.post(tc.path, form); r.status != 403 {
			t.Errorf("create key with %s = %d, want 403", tc.why, r.status)
		}
		if k := keyNamed("forged " + tc.why); k != nil {
			t.Errorf("create key with %s made key %s", tc.why, k.ID)
		}
	}
	// Refusals of the API show on the page.
	if r := b.post("/orgs/acme/api-keys", url.Values{"csrf": {csrf}, "name": {"none"}}); r.status != 400 || !strings.Contains(r.body, "at least one scope") {
		t.Errorf("create key without scopes = %d, want 400 with the API's message", r.status)
	}
	if r := b.post("/orgs/freeco/api-keys", url.Values{"csrf": {csrf}, "name": {"x"}, "scope": {"events:read"}}); r.status != 404 {
		t.Errorf("create key in another org = %d, want 404", r.status)
	}
	// Made right, the key is shown once, escaped, and works.
	name := `ci <b>bold</b>`
	r := b.post("/orgs/acme/api-keys", url.Values{"csrf": {csrf}, "name": {name}, "scope": {"events:read"}})
	m := keyRE.FindStringSubmatch(r.body)
	if r.status != 200 || m == nil {
		t.Fatalf("create key = %d, want 200 showing the key:\n%.2000s", r.status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("page with a new key: Cache-Control = %q, want no-store", cc)
	}
	if n := strings.Count(r.body, m[1]); n != 1 {
		t.Errorf("the new key is in its page %d times, want 1", n)
	}
	if strings.Contains(r.body, "<b>bold") {
		t.Error("the key's name is not escaped")
	}
	secret, k := m[1], keyNamed(name)
	if k == nil {
		t.Fatal("the key is not in the API's list")
	}
	kc := s.client(secret)
	if _, err := kc.ListEvents(ctx, "acme", client.ListOptions{}); err != nil {
		t.Errorf("ListEvents with the new key: %v", err)
	}
	if _, err := kc.ListEvents(ctx, "freeco", client.ListOptions{}); !client.IsNotFound(err) {
		t.Errorf("ListEvents of freeco with acme's key = %v, want 404", err)
	}
	if r := b.get("/orgs/acme/api-keys"); r.status != 200 || strings.Contains(r.body, secret) || !strings.Contains(r.body, k.ID) {
		t.Errorf("keys page after = %d, holding the secret: %v", r.status, strings.Contains(r.body, secret))
	}
	// Revoking: CSRF again, then 303 with a notice, and the key is dead.
	revoke := "/orgs/acme/api-keys/" + k.ID + "/revoke"
	if r := b.post(revoke, url.Values{}); r.status != 403 {
		t.Errorf("revoke without csrf = %d, want 403", r.status)
	}
	r = b.post(revoke, url.Values{"csrf": {csrf}})
	if want := "/orgs/acme/api-keys"; r.status != 303 || r.loc() != want {
		t.Errorf("revoke = %d to %q, want 303 to %q", r.status, r.loc(), want)
	}
	if r := b.get(r.loc()); !strings.Contains(r.body, "Key ci &lt;b&gt;bold&lt;/b&gt; revoked.") {
		t.Errorf("keys page after revoking does not show the notice, escaped")
	}
	var ce *client.Error
	if _, err := kc.ListEvents(ctx, "acme", client.ListOptions{}); !errors.As(err, &ce) || ce.Status != 401 {
		t.Errorf("ListEvents with the revoked key = %v, want 401", err)
	}
	if r := b.post("/orgs/acme/api-keys/nokey/revoke", url.Values{"csrf": {csrf}}); r.status != 404 {
		t.Errorf("revoke a key that is not = %d, want 404", r.status)
	}
	s.logged(t, "api_key.created", k.ID)
	s.logged(t, "api_key.revoked", k.ID)
}

func TestFormsMembers(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	// A member without members.manage sees no members, and can't invite.
	mb := s.browser(t)
	mb.signIn(s.memberEmail, s.password, "")
	if r := mb.get("/orgs/acme/members"); r.status != 403 || !strings.Contains(r.body, "have access") {
		t.Errorf("members page of a member = %d, want 403 page", r.status)
	}
	mcsrf := csrfOf(mb.get("/orgs/acme/settings").body)
	if r := mb.post("/orgs/acme/members/invite", url.Values{"csrf": {mcsrf}, "email": {"x@acme.example"}, "role": {"owner"}}); r.status != 403 {
		t.Errorf("invite by a member = %d, want 403", r.status)
	}
	b := s.browser(t)
	csrf := b.owner()
	for _, tc := range []struct {
		email, role string
		status      int
		says        string
	}{
		{"new@acme.example", "admin", 200, "Invitation made for new@acme.example."},
		{`bob"><script>x</script>`, "member", 400, "not an email address, such as alice@example.com"},
		{"ok@acme.example", "nonsense", 400, "no such role"},
		{"", "member", 400, "not an email address"},
	} {
		r := b.post("/orgs/acme/members/invite", url.Values{"csrf": {csrf}, "email": {tc.email}, "role": {tc.role}})
		if r.status != tc.status || !strings.Contains(r.body, tc.says) {
			t.Errorf("invite %q as %q = %d, want %d saying %q", tc.email, tc.role, r.status, tc.status, tc.says)
		}
		if strings.Contains(r.body, "<script>x") {
			t.Errorf("invite %q: the email is not escaped", tc.email)
		}
		if tc.status != 200 {
			if got := field(r.body, "email"); got != tc.email {
				t.Errorf("invite %q: the form's email = %q, want it kept", tc.email, got)
			}
			continue
		}
		m := invRE.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("invite %q: no invitation link on the page", tc.email)
		}
		if strings.Contains(b.get("/orgs/acme/members").body, m[1]) {
			t.Error("the invitation link is shown again")
		}
		// The link opens the page that accepts it.
		if r := s.browser(t).get(m[0]); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("GET /invitations/{token} (the link shown) = %d %s, want 200 HTML page", r.status, r.header.Get("Content-Type"))
		}
		// The link shown is the real one.
		if _, err := s.platform.AcceptInvitation(ctx, m[1], client.InvitationAccept{Name: "New", Password: s.password}); err != nil {
			t.Errorf("accepting the invitation shown: %v", err)
		}
	}
	members := func() map[string]client.Member {
		ms, err := s.platform.Members(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]client.Member{}
		for _, m := range ms {
			out[m.Email] = m
		}
		return out
	}
	ids := members()
	// Changes answer 303 to the page, with a notice: done, or the API's
	// refusal. The last owner stays.
	// what: role or remove; notice: "" for no redirect; role: the one after.
	for _, tc := range []struct {
		what, email  string
		form         url.Values
		status       int
		notice, role string
	}{
		{"role", s.memberEmail, url.Values{"role": {"admin"}}, 403, "", "member"}, // no csrf
		{"role", s.memberEmail, url.Values{"csrf": {csrf}, "role": {"admin"}}, 303, s.memberEmail + " is now admin.", "admin"},
		{"role", s.memberEmail, url.Values{"csrf": {csrf}, "role": {"nonsense"}}, 303, "Not done: no such role", "admin"},
		{"role", s.ownerEmail, url.Values{"csrf": {csrf}, "role": {"admin"}}, 303, "Not done: an organization keeps at least one owner", "owner"},
		{"remove", s.ownerEmail, url.Values{"csrf": {csrf}}, 303, "Not done: an organization keeps at least one owner", "owner"},
	} {
		path := "/orgs/acme/members/" + ids[tc.email].ID + "/" + tc.what
		r := b.post(path, tc.form)
		if r.status != tc.status || !strings.HasPrefix(r.loc(), "/orgs/acme/members") != (tc.notice == "") {
			t.Errorf("POST %s %v = %d to %q, want %d", path, tc.form, r.status, r.loc(), tc.status)
		}
		if tc.notice != "" {
			if got := b.get(r.loc()); got.status != 200 || !strings.Contains(html.UnescapeString(got.body), tc.notice) {
				t.Errorf("POST %s %v: the page after = %d, want it to say %q", path, tc.form, got.status, tc.notice)
			}
		}
		if got := members()[tc.email].Role; got != tc.role {
			t.Errorf("POST %s %v: role of %s = %q, want %q", path, tc.form, tc.email, got, tc.role)
		}
	}
	s.logged(t, "member.invited", "")
	s.logged(t, "member.role_changed", ids[s.memberEmail].ID)
}

func TestFormsSettings(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	b := s.browser(t)
	csrf := b.owner()
	save := func(name, tz, days string) resp {
		return b.post("/orgs/acme/settings", url.Values{"csrf": {csrf}, "name": {name}, "time_zone": {tz}, "retention_days": {days}})
	}
	r := save("Acme Security", "Europe/Berlin", "400")
	if r.status != 303 || r.loc() != "/orgs/acme/settings" {
		t.Fatalf("save settings = %d to %q, want 303 to /orgs/acme/settings", r.status, r.loc())
	}
	r = b.get(r.loc())
	if field(r.body, "retention_days") != "400" || field(r.body, "time_zone") != "Europe/Berlin" || !strings.Contains(r.body, "Settings saved.") {
		t.Errorf("settings page after saving: retention %q, time zone %q", field(r.body, "retention_days"), field(r.body, "time_zone"))
	}
	for _, tc := range []struct{ name, tz, days, says string }{
		{"Acme Security", "Europe/Berlin", "99999", "the enterprise plan keeps events 1 to 2555 days"},
		{"Acme Security", "Europe/Berlin", "-5", "keeps events 1 to 2555 days"},
		{"Acme Security", "Europe/Berlin", "4e2", "keeps events 1 to 2555 days"},
		{"Acme Security", "Europe/Berlin", "99999999999999999999", "keeps events 1 to 2555 days"},
		{"Acme Security", "Mars/Olympus", "30", "not an IANA time zone name"},
		{"Acme Security", "Local", "30", "not an IANA time zone name"},
		{"Acme Security", "../../../etc/passwd", "30", "not an IANA time zone name"},
		{"Acme Security", "", "30", "not an IANA time zone name"},
		{"", "UTC", "30", "a name is 1 to 200 characters"},
		{"Acme\u202eytiruceS", "UTC", "30", "no control or bidirectional"},
	} {
		r := save(tc.name, tc.tz, tc.days)
		if r.status != 400 || !strings.Contains(r.body, tc.says) {
			t.Errorf("save %q/%q/%q = %d, want 400 saying %q", tc.name, tc.tz, tc.days, r.status, tc.says)
		}
		if got := field(r.body, "retention_days"); got != tc.days {
			t.Errorf("save %q/%q/%q: the form's retention = %q, want it kept", tc.name, tc.tz, tc.days, got)
		}
	}
	// Refused saves changed nothing.
	o, err := s.platform.Org(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if o.RetentionDays != 400 || o.TimeZone != "Europe/Berlin" || o.Name != "Acme Security" {
		t.Errorf("Org(acme) = %d days, %q, %q; want 400, Europe/Berlin, Acme Security", o.RetentionDays, o.TimeZone, o.Name)
	}
	s.logged(t, "org.settings_changed", "acme")
	s.logged(t, "retention.changed", "acme")
}

func TestPagesViewerToken(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	seqs := s.send(client.Entry{Actor: client.Actor{Email: "bob@example.com"}, Event: "auth.login"},
		client.Entry{Actor: client.Actor{Email: "eve@example.com"}, Event: "project.deleted", Target: &client.Target{Type: "project", ID: "p1"}})
	vt := s.viewer(t)
	b := s.browser(t)
	tok := "viewer_token=" + url.QueryEscape(vt.Token)
	seq := strconv.FormatInt(seqs[1], 10)
	// Every link of the viewer's pages keeps the token, and none leads
	// off the Audit Logs.
	for _, path := range []string{
		"/orgs/acme/audit-logs?" + tok,
		"/orgs/acme/audit-logs?q=event%3Aproject.deleted&category=auth&range=24h&" + tok,
		"/orgs/acme/audit-logs?event=" + seq + "&" + tok,
		"/orgs/acme/audit-logs/events/" + seq + "?" + tok,
	} {
		r := b.get(path)
		if r.status != 200 {
			t.Errorf("GET %s = %d, want 200", path, r.status)
			continue
		}
		links := urlRE.FindAllStringSubmatch(r.body, -1)
		if len(links) == 0 {
			t.Errorf("GET %s: no links", path)
		}
		for _, m := range links {
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil || !strings.HasPrefix(u.Path, "/orgs/acme/audit-logs") || u.Query().Get("viewer_token") != vt.Token {
				t.Errorf("GET %s: link %q does not keep the viewer token on the Audit Logs", path, m[1])
			}
		}
		if strings.Contains(r.body, `action="/signout"`) || strings.Contains(r.body, `class="tabs"`) {
			t.Errorf("GET %s shows navigation or sign-out to a viewer", path)
		}
	}
	// The organization's own path keeps the viewer's token on the way to
	// its Audit Logs.
	if r := b.get("/orgs/acme?" + tok); r.status != 303 || r.loc() != "/orgs/acme/audit-logs?"+tok {
		t.Errorf("GET /orgs/acme?viewer_token= = %d to %.40q, want 303 keeping the token", r.status, r.loc())
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/orgs/acme/api-keys?" + tok, 403},
		{"/orgs/acme/members?" + tok, 403},
		{"/orgs/acme/settings?" + tok, 403}, // a viewer sees the Audit Logs alone
		{"/orgs/acme/integrity?" + tok, 403},
		{"/orgs/freeco/audit-logs?" + tok, 404},
		{"/orgs/freeco/audit-logs/events/1?" + tok, 404},
		{"/orgs/acme/audit-logs?viewer_token=garbage", 401},
		{"/orgs/acme/audit-logs?viewer_token=" + url.QueryEscape(vt.Token+"x"), 401},
	} {
		if r := b.get(tc.path); r.status != tc.status || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s = %d (%s), want %d page", tc.path, r.status, r.header.Get("Content-Type"), tc.status)
		}
	}
	// A viewer changes nothing: forms need a session.
	if r := b.post("/orgs/acme/settings?"+tok, url.Values{"name": {"Pwned"}, "time_zone": {"UTC"}}); r.status == 200 || r.status == 303 && !strings.HasPrefix(r.loc(), "/signin") {
		t.Errorf("POST settings as a viewer = %d to %q", r.status, r.loc())
	}
	if o, _ := s.platform.Org(ctx, "acme"); o == nil || o.Name != "Acme Security" {
		t.Errorf("a viewer renamed acme: %+v", o)
	}
	// Revoked, the token opens nothing (an expired one is the same
	// refusal; TTLs are a minute at least, too long to wait for here).
	if _, err := s.platform.RevokeViewerToken(ctx, "acme", vt.ID); err != nil {
		t.Fatal(err)
	}
	if r := b.get("/orgs/acme/audit-logs?" + tok); r.status != 401 || !strings.Contains(r.body, "Your access has ended") {
		t.Errorf("GET with a revoked viewer token = %d, want 401 page", r.status)
	}
}

func TestPagesHostileParams(t *testing.T) {
	s := newSite(t)
	s.seed(30, 2)
	vt := s.viewer(t)
	b := s.browser(t)
	tok := "&viewer_token=" + url.QueryEscape(vt.Token)
	long := strings.Repeat("a", 5000)
	for _, q := range []string{
		"q=" + long, "q=" + strings.Repeat("a,", 2500), "q=" + strings.Repeat("-", 5000), "q=%FF", "q=actor%3A%FF%FE",
		"q=%3Cscript%3Ex%3C%2Fscript%3E", "q=%22+autofocus+onfocus%3D%22alert(1)", "q=actor%3A%22unterminated",
		"q=%00%01%1b", "q=" + url.QueryEscape("\u202eevil"), "q=event%3A" + strings.Repeat("*", 3000),
		"cursor=garbage", "cursor=%FF", "cursor=" + long,
		"limit=-1", "limit=1e9", "limit=99999999999999999999",
		"range=bogus", "range=custom&from=not-a-date", "from=not-a-date", "to=2024-13-45T99:99",
		"range=custom&from=2025-01-02T00:00&to=2025-01-01T00:00", "range=custom&from=0001-01-01T00:00&to=9999-12-31T23:59",
		"event=-1", "event=99999999999999999999", "event=abc", "event=1%FF",
		"category=%3Cscript%3Ex", "actor=%FF", "actor_type=bogus", "target=a%22b%3Cscript%3Ex", "actor=" + long,
		"q=a&q=%3Cscript%3Ex", "range=24h&range=%FF",
	} {
		r := b.get("/orgs/acme/audit-logs?" + q + tok)
		if r.status != 200 && r.status != 400 {
			t.Errorf("GET ?%.60s = %d, want 200 or 400", q, r.status)
		}
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.HasSuffix(strings.TrimSpace(r.body), "</html>") {
			t.Errorf("GET ?%.60s: not a whole HTML page (%s)", q, r.header.Get("Content-Type"))
		}
		if strings.Contains(r.body, "<script>x") || strings.Count(r.body, "<script") != 1 || strings.Contains(r.body, `onfocus="alert`) {
			t.Errorf("GET ?%.60s: the page holds markup from the URL", q)
		}
	}
	// A dead page link says so, and shows the first page.
	r := b.get("/orgs/acme/audit-logs?cursor=garbage" + tok)
	if r.status != 200 || !strings.Contains(r.body, "showing the first page") {
		t.Errorf("GET ?cursor=garbage = %d without saying the link is dead", r.status)
	}
	// And it does show the first page.
	if n := strings.Count(r.body, "data-seq="); n == 0 {
		t.Errorf("GET ?cursor=garbage lists %d events, want the first page's", n)
	}
	// Hostile seqs of the event page, and notices of the other pages.
	for _, p := range []string{"/orgs/acme/audit-logs/events/abc?", "/orgs/acme/audit-logs/events/-1?", "/orgs/acme/audit-logs/events/99999999999999999999?",
		"/orgs/acme/audit-logs/events/1/verify?x", "/orgs/acme/settings?notice=%3Cscript%3Ex"} {
		r := b.get(p + tok)
		if r.status >= 500 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || strings.Contains(r.body, "<script>x") {
			t.Errorf("GET %s = %d (%s)", p, r.status, r.header.Get("Content-Type"))
		}
	}
}

// TestFormsRoles: an owner makes a custom role through the form, gives it
// to the member, and the member then sees the Audit Logs.
func TestFormsRoles(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	csrf := b.owner()
	ctx := context.Background()
	for _, tc := range []struct {
		form   url.Values
		notice string
	}{
		{url.Values{"name": {"auditor"}, "permission": {"audit.read", "audit.export"}}, "Role auditor created."},
		{url.Values{"name": {"auditor"}, "permission": {"audit.read"}}, "Not done: "}, // taken
		{url.Values{"name": {"x y"}, "permission": {"audit.read"}}, "Not done: "},     // not a name
		{url.Values{"name": {"wizard"}, "permission": {"sorcery"}}, "Not done: "},     // no such permission
		{url.Values{"name": {"nothing"}}, "Role nothing created."},                    // a role may grant nothing
	} {
		tc.form.Set("csrf", csrf)
		r := b.post("/orgs/acme/roles", tc.form)
		if r.status != 303 || r.loc() != "/orgs/acme/members" {
			t.Errorf("create role %v = %d to %q, want 303 to the members page", tc.form, r.status, r.loc())
			continue
		}
		if page := b.get(r.loc()); !strings.Contains(html.UnescapeString(page.body), tc.notice) {
			t.Errorf("create role %v: the page does not say %q", tc.form, tc.notice)
		}
	}
	if r := b.post("/orgs/acme/roles", url.Values{"name": {"sneaky"}, "permission": {"audit.read"}}); r.status != 403 {
		t.Errorf("create role without csrf = %d, want 403", r.status)
	}
	roles, err := s.platform.Roles(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ro := range roles {
		if !ro.Builtin {
			names = append(names, ro.Name+"="+strings.Join(ro.Permissions, "+"))
		}
	}
	if got := strings.Join(names, " "); got != "auditor=audit.read+audit.export nothing=" {
		t.Errorf("custom roles = %q", got)
	}
	s.logged(t, "role.created", "auditor")
	// The member, made auditor, sees the Audit Logs.
	m := s.browser(t)
	if r := m.signIn(s.memberEmail, s.password, ""); r.status != 303 {
		t.Fatalf("member sign-in = %d", r.status)
	}
	if r := m.get("/orgs/acme/audit-logs"); r.status != 403 {
		t.Errorf("a member's audit logs = %d, want 403", r.status)
	}
	members, err := s.platform.Members(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, mb := range members {
		if mb.Email == s.memberEmail {
			if r := b.post("/orgs/acme/members/"+mb.ID+"/role", url.Values{"csrf": {csrf}, "role": {"auditor"}}); r.status != 303 {
				t.Fatalf("make the member auditor = %d", r.status)
			}
		}
	}
	if r := m.get("/orgs/acme/audit-logs"); r.status != 200 || !strings.Contains(r.body, `id="events"`) {
		t.Errorf("an auditor's audit logs = %d, want 200 with the table", r.status)
	}
	if r := m.get("/orgs/acme/members"); r.status != 403 {
		t.Errorf("an auditor's members page = %d, want 403", r.status)
	}
}

package web_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/server"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/sqlite"
	"github.com/steleaudit/stele/internal/totp"
	"github.com/steleaudit/stele/internal/web"
)

const platformToken = "stele_platform_webtestwebtestwebtestwebtest"

// A site is a whole Stele (store, ledger, API and pages) served on
// 127.0.0.1, with an organization acme (Enterprise) whose owner has MFA,
// a member without audit access, and an organization on the free plan.
type site struct {
	t        testing.TB
	URL      string
	platform *client.Client
	key      *client.Client // acme's API key, to send events
	// Accounts: acme's owner (with MFA), a member, a free org's owner.
	ownerEmail, memberEmail, freeEmail, password string
	mfaSecret                                    []byte
	verifierKey                                  string
}

func newSite(t testing.TB, frameAncestors ...string) *site {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stele.db"))
	if err != nil {
		t.Fatal(err)
	}
	return newSiteOn(t, st, frameAncestors...)
}

// newSiteOn is newSite on the store st, which it closes at the end.
func newSiteOn(t testing.TB, st store.Store, frameAncestors ...string) *site {
	t.Helper()
	ctx := context.Background()
	skey, err := ledger.GenerateKey("stele.test")
	if err != nil {
		t.Fatal(err)
	}
	key, err := ledger.ParseKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	led, err := ledger.Open(ctx, ledger.Config{Store: st, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, Ledger: led, PlatformToken: platformToken, RateLimit: -1, FrameAncestors: frameAncestors})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := web.New(web.Config{API: srv.Handler(), FrameAncestors: frameAncestors})
	if err != nil {
		t.Fatal(err)
	}
	hs := serve(t, pages.Handler())
	t.Cleanup(func() {
		srv.Drain()
		hs.Close()
		led.Close()
		if _, err := ledger.Check(ctx, st, key.VerifierKey, func(p ledger.Problem) { t.Errorf("Check: %v", p) }); err != nil {
			t.Errorf("Check: %v", err)
		}
		st.Close()
	})
	s := &site{t: t, URL: hs.URL, password: "correct horse battery staple", verifierKey: key.VerifierKey,
		ownerEmail: "owner@acme.example", memberEmail: "member@acme.example", freeEmail: "owner@free.example"}
	s.platform = s.client(platformToken)
	if _, err := s.platform.CreateOrg(ctx, client.OrgCreate{ID: "acme", Name: "Acme Security", Plan: "enterprise"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.platform.CreateOrg(ctx, client.OrgCreate{ID: "freeco", Name: "Free Co", Plan: "free"}); err != nil {
		t.Fatal(err)
	}
	s.join("acme", s.ownerEmail, "Olive Owner", "owner")
	s.join("acme", s.memberEmail, "Mel Member", "member")
	s.join("freeco", s.freeEmail, "Fred Free", "owner")
	s.mfaSecret = s.enrollMFA(s.ownerEmail)
	k, err := s.platform.CreateAPIKey(ctx, "acme", client.APIKeyCreate{Name: "platform", Scopes: []string{"events:write", "events:read"}})
	if err != nil {
		t.Fatal(err)
	}
	s.key = s.client(k.Key)
	return s
}

// serve serves h on 127.0.0.1.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(h)
	hs.Listener.Close()
	hs.Listener = l
	hs.Start()
	return hs
}

func (s *site) client(token string) *client.Client {
	c, err := client.New(s.URL, token)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// join invites email to org with role and accepts as a new account.
func (s *site) join(org, email, name, role string) {
	ctx := context.Background()
	inv, err := s.platform.Invite(ctx, org, client.InvitationCreate{Email: email, Role: role})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.platform.AcceptInvitation(ctx, inv.Token, client.InvitationAccept{Name: name, Password: s.password}); err != nil {
		s.t.Fatal(err)
	}
}

// enrollMFA turns MFA on for the account of email, and returns its secret.
func (s *site) enrollMFA(email string) []byte {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: time.Minute}
	person, err := client.New(s.URL, "", client.WithHTTPClient(hc))
	if err != nil {
		s.t.Fatal(err)
	}
	si, err := person.Login(context.Background(), client.Login{Email: email, Password: s.password})
	if err != nil {
		s.t.Fatal(err)
	}
	var enr client.MFAEnrollment
	s.post(hc, "/v1/auth/mfa/enroll", si.CSRFToken, nil, &enr)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enr.Secret)
	if err != nil {
		s.t.Fatal(err)
	}
	s.post(hc, "/v1/auth/mfa/confirm", si.CSRFToken, client.MFAConfirm{Code: totp.Code(secret, time.Now())}, nil)
	return secret
}

func (s *site) post(hc *http.Client, path, csrf string, in, out any) {
	b, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := hc.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		s.t.Fatalf("POST %s = %d", path, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			s.t.Fatal(err)
		}
	}
}

// send appends events to acme and returns their seqs.
func (s *site) send(events ...client.Entry) []int64 {
	res, err := s.key.Send(context.Background(), "acme", events...)
	if err != nil {
		s.t.Fatal(err)
	}
	seqs := make([]int64, len(res.Events))
	for i, r := range res.Events {
		seqs[i] = r.Seq
	}
	return seqs
}

// seed sends n events to acme over the last days, of several types and
// people, and returns them.
func (s *site) seed(n int, days int) []client.Entry {
	now := time.Now().UTC()
	types := []string{"auth.login", "auth.failed", "finding.status_changed", "project.deleted", "member.role_changed", "team.created", "contract.uploaded", "settings.changed"}
	actors := []string{"alice@example.com", "bob@example.com", "carol@example.com"}
	var out []client.Entry
	for i := range n {
		typ := types[i%len(types)]
		if typ == "settings.changed" {
			typ = "org.settings_changed"
		}
		e := client.Entry{
			ID:        fmt.Sprintf("seed-%d", i),
			Timestamp: now.Add(-time.Duration(i) * time.Duration(days) * 24 * time.Hour / time.Duration(n)).Add(-time.Minute),
			Actor:     client.Actor{Email: actors[i%len(actors)], Name: strings.ToUpper(actors[i%len(actors)][:1]) + actors[i%len(actors)][1:5]},
			Event:     typ,
			Target:    &client.Target{Type: "project", ID: fmt.Sprintf("project-%d", i%7), Name: fmt.Sprintf("Project %d", i%7)},
			IP:        fmt.Sprintf("203.0.113.%d", i%250+1),
			UserAgent: "Mozilla/5.0 (test)",
		}
		if typ == "finding.status_changed" {
			e.Details = map[string]any{"old_status": "open", "new_status": "fixed", "finding": "F-" + fmt.Sprint(i)}
		}
		if i%11 == 0 {
			e.Actor = client.Actor{Type: "system", ID: "scheduler", Name: "Scheduler"}
		}
		out = append(out, e)
	}
	for i := 0; i < len(out); i += 500 {
		s.send(out[i:min(i+500, len(out))]...)
	}
	return out
}

// code is a TOTP code of the owner's, for the next step: the one of this
// step was used to confirm the enrollment, and codes are good once.
func (s *site) code() string { return totp.Code(s.mfaSecret, time.Now().Add(30*time.Second)) }

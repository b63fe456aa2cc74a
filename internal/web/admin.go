package web

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/plan"
	"github.com/steleaudit/stele/verify"
)

// The pages around the Audit Logs: Integrity, Members, API keys and
// Settings. Each change is a form posted with the session's CSRF token,
// made by the API, and answered by a redirect to the page (or the page
// again with the API's refusal), so that reloading never posts twice.

// formPage starts a change posted to one of org's pages: its CSRF token
// must be right. It answers the request itself and returns nil when the
// change can't go on.
func (h *Web) formPage(w http.ResponseWriter, r *http.Request) *orgView {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.render(w, r, http.StatusBadRequest, "error", errorPage{base: base{Title: "Bad form"},
			Heading: "This form could not be read", Message: "It is malformed or larger than 64 KiB."})
		return nil
	}
	v := visitorOf(r)
	if v == nil || v.session == "" {
		h.toSignIn(w, r)
		return nil
	}
	if !h.checkCSRF(w, r, v) {
		return nil
	}
	return &orgView{v: v, api: h.as(w, r, v)}
}

// noticeCookie carries the notice of a change to the page the browser is
// sent back to, once: a cookie rather than the URL, so that a link can't
// put words of its own on a page.
const noticeCookie = "stele_notice"

// done sends the browser back to a page with a notice.
func done(w http.ResponseWriter, r *http.Request, page, notice string) {
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(notice)),
		Path: "/orgs/", MaxAge: 60, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, page, http.StatusSeeOther)
}

// refused re-renders a page with the API's refusal of a change, or fails.
func (h *Web) refused(w http.ResponseWriter, r *http.Request, err error, show func(problem string)) {
	var ce *client.Error
	if errors.As(err, &ce) && ce.Status < 500 && ce.Status != http.StatusNotFound {
		show(ce.Message)
		return
	}
	h.fail(w, r, base{Title: "Error"}, err)
}

// takeNotice returns the notice a change left for this page, and clears
// it.
func takeNotice(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(noticeCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Path: "/orgs/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(b) > 500 || !utf8.Valid(b) {
		return ""
	}
	return string(b)
}

// integrityData is the Integrity page.
type integrityData struct {
	base
	Checkpoint string
	SignedAt   time.Time
	Size       int64
	Root       string
	Key        string
	KeyName    string
	Problem    string
}

func (h *Web) integrity(w http.ResponseWriter, r *http.Request) {
	o := h.orgPage(w, r, "integrity", "Integrity")
	if o == nil {
		return
	}
	d := integrityData{base: o.Base}
	d.Title = "Integrity · " + o.Base.Org.Name
	ctx, org := r.Context(), o.Base.Org.ID
	key, err := o.api.VerifierKey(ctx)
	if err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	signed, err := o.api.LatestCheckpoint(ctx, org)
	if err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	d.Key, d.KeyName, d.Checkpoint, d.SignedAt = key, keyName(key), string(signed.Note), signed.SignedAt
	if cp, err := verify.OpenCheckpoint(signed.Note, key, verify.Origin(key, org)); err != nil {
		d.Problem = "The checkpoint does not verify with the server's key: " + err.Error()
	} else {
		d.Size, d.Root = cp.Size, encodeRoot(cp.Root)
	}
	h.render(w, r, http.StatusOK, "integrity", d)
}

// membersData is the Members & roles page.
type membersData struct {
	base
	Members []client.Member
	Roles   []client.Role
	Notice  string
	Problem string
	Invited *client.Invitation // the invitation just made, its link shown once
	Email   string
	Role    string
	// Permissions are those a custom role may grant.
	Permissions []string
}

func (h *Web) members(w http.ResponseWriter, r *http.Request) {
	o := h.orgPage(w, r, "members", "Members")
	if o == nil {
		return
	}
	h.showMembers(w, r, o, membersData{Notice: takeNotice(w, r)}, http.StatusOK)
}

func (h *Web) showMembers(w http.ResponseWriter, r *http.Request, o *orgView, d membersData, status int) {
	d.base = o.Base
	d.Title = "Members · " + o.Base.Org.Name
	ctx, org := r.Context(), o.Base.Org.ID
	var err error
	if d.Members, err = o.api.Members(ctx, org); err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	if d.Roles, err = o.api.Roles(ctx, org); err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	for _, p := range auth.Permissions {
		d.Permissions = append(d.Permissions, string(p))
	}
	h.render(w, r, status, "members", d)
}

func (h *Web) invite(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org := r.PathValue("org")
	in := client.InvitationCreate{Email: strings.TrimSpace(r.PostFormValue("email")), Role: r.PostFormValue("role")}
	inv, err := f.api.Invite(r.Context(), org, in)
	o := h.orgPage(w, r, "members", "Members")
	if o == nil {
		return
	}
	if err != nil {
		h.refused(w, r, err, func(p string) {
			h.showMembers(w, r, o, membersData{Problem: p, Email: in.Email, Role: in.Role}, http.StatusBadRequest)
		})
		return
	}
	h.showMembers(w, r, o, membersData{Invited: inv, Notice: "Invitation made for " + inv.Email + "."}, http.StatusOK)
}

func (h *Web) changeRole(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org, id := r.PathValue("org"), r.PathValue("id")
	m, err := f.api.SetRole(r.Context(), org, id, r.PostFormValue("role"))
	h.afterChange(w, r, err, orgPath(org, "/members"), func() string { return m.Email + " is now " + m.Role + "." })
}

func (h *Web) removeMember(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org, id := r.PathValue("org"), r.PathValue("id")
	err := f.api.RemoveMember(r.Context(), org, id)
	h.afterChange(w, r, err, orgPath(org, "/members"), func() string { return "Member removed." })
}

func (h *Web) createRole(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org := r.PathValue("org")
	in := client.RoleCreate{Name: strings.TrimSpace(r.PostFormValue("name")), Permissions: r.PostForm["permission"]}
	if in.Permissions == nil {
		in.Permissions = []string{}
	}
	ro, err := f.api.CreateRole(r.Context(), org, in)
	h.afterChange(w, r, err, orgPath(org, "/members"), func() string { return "Role " + ro.Name + " created." })
}

// afterChange answers a change: back to page with a notice, or with the
// API's refusal as the notice.
func (h *Web) afterChange(w http.ResponseWriter, r *http.Request, err error, page string, ok func() string) {
	if err == nil {
		done(w, r, page, ok())
		return
	}
	h.refused(w, r, err, func(p string) { done(w, r, page, "Not done: "+p) })
}

// keysData is the API keys page.
type keysData struct {
	base
	Keys    []client.APIKey
	Scopes  []string
	Created *client.APIKey // the key just made, shown this once
	Notice  string
	Problem string
}

func (h *Web) keys(w http.ResponseWriter, r *http.Request) {
	o := h.orgPage(w, r, "keys", "API keys")
	if o == nil {
		return
	}
	h.showKeys(w, r, o, keysData{Notice: takeNotice(w, r)}, http.StatusOK)
}

func (h *Web) showKeys(w http.ResponseWriter, r *http.Request, o *orgView, d keysData, status int) {
	d.base = o.Base
	d.Title = "API keys · " + o.Base.Org.Name
	for _, s := range auth.Scopes {
		d.Scopes = append(d.Scopes, string(s))
	}
	var err error
	if d.Keys, err = o.api.APIKeys(r.Context(), o.Base.Org.ID); err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	h.render(w, r, status, "keys", d)
}

func (h *Web) createKey(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org := r.PathValue("org")
	k, err := f.api.CreateAPIKey(r.Context(), org, client.APIKeyCreate{Name: strings.TrimSpace(r.PostFormValue("name")), Scopes: r.PostForm["scope"]})
	o := h.orgPage(w, r, "keys", "API keys")
	if o == nil {
		return
	}
	if err != nil {
		h.refused(w, r, err, func(p string) { h.showKeys(w, r, o, keysData{Problem: p}, http.StatusBadRequest) })
		return
	}
	// The key is shown in this answer only; it is not in any URL.
	h.showKeys(w, r, o, keysData{Created: k}, http.StatusOK)
}

func (h *Web) revokeKey(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org, id := r.PathValue("org"), r.PathValue("id")
	k, err := f.api.RevokeAPIKey(r.Context(), org, id)
	h.afterChange(w, r, err, orgPath(org, "/api-keys"), func() string { return "Key " + k.Name + " revoked." })
}

// settingsData is the Settings page.
type settingsData struct {
	base
	Plan          plan.Plan
	Notice        string
	Problem       string
	MaxRetention  int
	RetentionDays string
}

func (h *Web) settings(w http.ResponseWriter, r *http.Request) {
	o := h.orgPage(w, r, "settings", "Settings")
	if o == nil {
		return
	}
	h.showSettings(w, r, o, settingsData{Notice: takeNotice(w, r)}, http.StatusOK)
}

func (h *Web) showSettings(w http.ResponseWriter, r *http.Request, o *orgView, d settingsData, status int) {
	d.base = o.Base
	d.Title = "Settings · " + o.Base.Org.Name
	d.Plan, _ = plan.Lookup(o.Base.Org.Plan)
	d.MaxRetention = int(d.Plan.MaxRetention / (24 * time.Hour))
	if d.RetentionDays == "" && o.Base.Org.RetentionDays > 0 {
		d.RetentionDays = strconv.Itoa(o.Base.Org.RetentionDays)
	}
	h.render(w, r, status, "settings", d)
}

func (h *Web) saveSettings(w http.ResponseWriter, r *http.Request) {
	f := h.formPage(w, r)
	if f == nil {
		return
	}
	org := r.PathValue("org")
	var u client.OrgUpdate
	name := strings.TrimSpace(r.PostFormValue("name"))
	tz := strings.TrimSpace(r.PostFormValue("time_zone"))
	u.Name, u.TimeZone = &name, &tz
	mfa := r.PostFormValue("require_mfa") == "on"
	u.RequireMFA = &mfa
	days := strings.TrimSpace(r.PostFormValue("retention_days"))
	if days != "" {
		n, err := strconv.Atoi(days)
		if err != nil {
			n = -1 // the API says what is allowed
		}
		u.RetentionDays = &n
	}
	_, err := f.api.UpdateOrg(r.Context(), org, u)
	if err == nil {
		done(w, r, orgPath(org, "/settings"), "Settings saved.")
		return
	}
	o := h.orgPage(w, r, "settings", "Settings")
	if o == nil {
		return
	}
	h.refused(w, r, err, func(p string) {
		h.showSettings(w, r, o, settingsData{Problem: p, RetentionDays: days}, http.StatusBadRequest)
	})
}

// encodeRoot is a root hash as checkpoints write it.
func encodeRoot(root [32]byte) string { return base64.StdEncoding.EncodeToString(root[:]) }

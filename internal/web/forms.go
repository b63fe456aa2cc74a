package web

import (
	"encoding/base64"
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/steleaudit/stele/client"
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

// API's refusal as the notice.
func (h *Web) afterChange(w http.ResponseWriter, r *http.Request, err error, page string, ok func() string) {
	if err == nil {
		done(w, r, page, ok())
		return
	}
	h.refused(w, r, err, func(p string) { done(w, r, page, "Not done: "+p) })
}

package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/signin"
)

// A visitor is who asks for a page: a person with a session, or the
// holder of a viewer token, which rides in the URL (viewer_token=) so
// that an embedded page needs no cookie.
type visitor struct {
	session string // the session token of the cookie
	csrf    string // its CSRF token, sent with changes
	viewer  string // a viewer token
}

// visitorOf reads r's credential; nil when it has none.
func visitorOf(r *http.Request) *visitor {
	if vt := r.URL.Query().Get("viewer_token"); vt != "" {
		return &visitor{viewer: vt}
	}
	if token, ok := signin.Token(r); ok {
		return &visitor{session: token, csrf: auth.CSRFToken(token)}
	}
	return nil
}

// An orgView is what every page of an organization starts from.
type orgView struct {
	v   *visitor
	api *client.Client
	// Base is the page data the layout needs.
	Base base
}

// base is what the layout shows around every page.
type base struct {
	Title  string
	Nav    string         // the section shown: logs, integrity, members, keys, settings
	Me     *client.SignIn // nil for a viewer or no one
	Org    *client.Org
	Member *client.Membership // the person's membership of Org
	// Viewer is the viewer token the page was opened with: links carry
	// it on, and the page shows only the Audit Logs.
	Viewer string
	CSRF   string
}

// Can reports whether the visitor may do what perm allows in the
// organization (a viewer token: see and verify events).
func (b base) Can(perm string) bool {
	if b.Viewer != "" {
		return perm == string(auth.AuditRead)
	}
	return b.Member != nil && slices.Contains(b.Member.Permissions, perm)
}

// orgPage starts a page of the path's organization: it signs the visitor
// in (or sends a browser without a session to the sign-in page), reads
// the organization and titles the page "title · organization". It
// answers the request itself and returns nil when the page can't be
// shown.
func (h *Web) orgPage(w http.ResponseWriter, r *http.Request, nav, title string) *orgView {
	v := visitorOf(r)
	if v == nil {
		h.toSignIn(w, r)
		return nil
	}
	o := &orgView{v: v, api: h.as(w, r, v), Base: base{Title: title, Nav: nav, Viewer: v.viewer, CSRF: v.csrf}}
	if v.viewer != "" && nav != "logs" {
		// A viewer token shows the Audit Logs, nothing around them.
		h.fail(w, r, o.Base, errPageForbidden)
		return nil
	}
	org := r.PathValue("org")
	ctx := r.Context()
	if v.session != "" {
		me, err := o.api.Me(ctx)
		if err != nil {
			h.signInAgain(w, r, err)
			return nil
		}
		o.Base.Me = me
		for i := range me.Orgs {
			if me.Orgs[i].ID == org {
				o.Base.Member = &me.Orgs[i]
			}
		}
	}
	org2, err := o.api.Org(ctx, org)
	if err != nil {
		h.fail(w, r, o.Base, err)
		return nil
	}
	o.Base.Org = org2
	o.Base.Title = title + " · " + org2.Name
	return o
}

// toSignIn sends the browser to sign in, and back here after.
func (h *Web) toSignIn(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// signInAgain answers a page whose session the API refused: to the
// sign-in page when it is gone or awaits its second factor.
func (h *Web) signInAgain(w http.ResponseWriter, r *http.Request, err error) {
	var ce *client.Error
	if errors.As(err, &ce) && ce.Status == http.StatusUnauthorized {
		signin.ClearCookie(w, r.TLS != nil)
		h.toSignIn(w, r)
		return
	}
	h.fail(w, r, base{Title: "Error"}, err)
}

// checkCSRF reports whether a form came with the CSRF token of the
// visitor's session; a page of another site can't know it. It answers
// the request when not.
func (h *Web) checkCSRF(w http.ResponseWriter, r *http.Request, v *visitor) bool {
	if v != nil && v.session != "" && signin.CSRFOK(v.session, r.PostFormValue("csrf")) {
		return true
	}
	h.render(w, r, http.StatusForbidden, "error", errorPage{base: base{Title: "Form expired"},
		Heading: "This form has expired", Message: "Reload the page and try again."})
	return false
}

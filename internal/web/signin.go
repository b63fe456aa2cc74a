package web

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/signin"
)

// signInData is the sign-in page: the password form, or the code form
// of a sign-in awaiting its second factor.
type signInData struct {
	base
	Next  string
	Email string
	Code  bool   // the second step: ask for the code
	Error string // why the last try failed
	Form  string // the form's token (formCookie)
}

// formCookie holds a random token that the sign-in form must post back:
// a page of another site can't read it, so it can't sign a visitor in to
// an account of its choosing (login CSRF).
const formCookie = "stele_signin"

// formToken returns the sign-in form's token, making one if r has none.
func formToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(formCookie); err == nil && len(ck.Value) == 26 {
		return ck.Value
	}
	t := rand.Text()
	http.SetCookie(w, &http.Cookie{Name: formCookie, Value: t, Path: "/signin", MaxAge: 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return t
}

func (h *Web) signInPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "signin", signInData{base: base{Title: "Sign in"}, Next: nextOf(r), Form: formToken(w, r)})
}

// signIn takes the email and password, and then asks for the code of an
// account with MFA, or sends the browser on.
func (h *Web) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	email := strings.TrimSpace(r.PostFormValue("email"))
	d := signInData{base: base{Title: "Sign in"}, Next: nextOf(r), Email: email}
	ck, err := r.Cookie(formCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("form"))) != 1 {
		d.Form, d.Error = formToken(w, r), "The sign-in form expired. Try again."
		h.render(w, r, http.StatusForbidden, "signin", d)
		return
	}
	d.Form = ck.Value
	res, err := h.as(w, r, nil).Login(r.Context(), client.Login{Email: email, Password: r.PostFormValue("password"), TOTP: r.PostFormValue("code")})
	h.signedIn(w, r, d, res, err)
}

// signInCode takes the second factor for the pending session.
func (h *Web) signInCode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	d := signInData{base: base{Title: "Sign in"}, Next: nextOf(r), Code: true}
	v := visitorOf(r)
	if v == nil || v.session == "" {
		d.Code, d.Error, d.Form = false, "The sign-in took too long. Start again.", formToken(w, r)
		h.render(w, r, http.StatusUnauthorized, "signin", d)
		return
	}
	code := strings.Join(strings.Fields(r.PostFormValue("code")), "")
	// The API asks a session's CSRF token of this step too; a page of
	// another site can't post it here with the cookie (SameSite=Lax), and
	// would need the code besides.
	res, err := h.as(w, r, v).Login(r.Context(), client.Login{TOTP: code})
	h.signedIn(w, r, d, res, err)
}

// signedIn answers a sign-in step: on to the next page, the code form,
// or the form again with what went wrong.
func (h *Web) signedIn(w http.ResponseWriter, r *http.Request, d signInData, res *client.SignIn, err error) {
	var ce *client.Error
	switch {
	case err == nil && res.MFARequired:
		d.Code = true
		h.render(w, r, http.StatusOK, "signin", d)
	case err == nil:
		next := d.Next
		if next == "" {
			next = "/"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	case errors.As(err, &ce) && ce.Status < 500:
		if d.Form == "" {
			d.Form = formToken(w, r)
		}
		d.Error = ce.Message
		switch ce.Code {
		case "invalid_credentials":
			d.Error = "Wrong email or password."
		case "invalid_code":
			d.Error = "Wrong or already used code. Enter the current code from your authenticator app, or a recovery code."
		case "too_many_attempts":
			d.Error = fmt.Sprintf("Too many failed sign-ins. Try again in %d minutes.", max(1, int(ce.RetryAfter.Minutes()+0.5)))
		case "mfa_required", "unauthenticated":
			d.Code, d.Error = false, "The sign-in took too long. Start again."
		}
		h.render(w, r, ce.Status, "signin", d)
	default:
		h.fail(w, r, d.base, err)
	}
}

func (h *Web) signOut(w http.ResponseWriter, r *http.Request) {
	v := visitorOf(r)
	if v != nil && v.session != "" {
		if !h.checkCSRF(w, r, v) {
			return
		}
		if err := h.as(w, r, v).Logout(r.Context()); err != nil {
			var ce *client.Error
			if !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized {
				h.fail(w, r, base{Title: "Sign out"}, err)
				return
			}
			signin.ClearCookie(w, r.TLS != nil)
		}
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// nextOf is where to go after signing in: the form's or URL's next, if
// it is a path of this site.
func nextOf(r *http.Request) string {
	next := r.FormValue("next")
	if !localPath(next) {
		return ""
	}
	return next
}

// home sends a person to the first of their organizations.
func (h *Web) home(w http.ResponseWriter, r *http.Request) {
	v := visitorOf(r)
	if v == nil || v.session == "" {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	me, err := h.as(w, r, v).Me(r.Context())
	if err != nil {
		h.signInAgain(w, r, err)
		return
	}
	if len(me.Orgs) == 0 {
		h.render(w, r, http.StatusOK, "error", errorPage{base: base{Title: "No organization", Me: me, CSRF: v.csrf},
			Heading: "You are not a member of any organization", Message: "Ask an owner or admin of your organization for an invitation."})
		return
	}
	http.Redirect(w, r, orgPath(me.Orgs[0].ID, "/audit-logs"), http.StatusSeeOther)
}

// orgHome is an organization's first page: its Audit Logs (with the
// viewer token, if the link had one).
func (h *Web) orgHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, addViewer(orgPath(r.PathValue("org"), "/audit-logs"), r.URL.Query().Get("viewer_token")), http.StatusSeeOther)
}

package web

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/plan"
)

// parsePages parses each page of templates/ with the layout and the
// partials it shares.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// render answers with page name, executed with data. It renders into a
// buffer first, so that a failure is answered whole, not half a page.
func (h *Web) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := h.pages[name]
	if !ok {
		h.log.ErrorContext(r.Context(), "no such page", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		h.log.ErrorContext(r.Context(), "couldn't render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderPart answers with one template of page name alone: a fragment
// the page's script puts in place.
func (h *Web) renderPart(w http.ResponseWriter, r *http.Request, name, part string, data any) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, part, data); err != nil {
		h.log.ErrorContext(r.Context(), "couldn't render fragment", "page", name, "part", part, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// An errorPage tells why a page can't be shown.
type errorPage struct {
	base
	Heading, Message string
	// Plan names the plans with audit logs, for a plan without them.
	Plan string
}

// Refusals of the pages' own, answered as the API's would be.
var (
	errPageNotFound  = &client.Error{Status: http.StatusNotFound, ErrorDetail: client.ErrorDetail{Code: "not_found"}}
	errPageForbidden = &client.Error{Status: http.StatusForbidden, ErrorDetail: client.ErrorDetail{Code: "forbidden"}}
)

// fail answers a page with the error of an API call: the API's own
// words for refusals, a plain apology for the rest.
func (h *Web) fail(w http.ResponseWriter, r *http.Request, b base, err error) {
	var ce *client.Error
	if !errors.As(err, &ce) {
		if r.Context().Err() == nil {
			h.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
		}
		h.render(w, r, http.StatusInternalServerError, "error", errorPage{base: b,
			Heading: "Something went wrong", Message: "The page could not be shown. Try again in a moment."})
		return
	}
	p := errorPage{base: b, Message: ce.Message}
	switch {
	case ce.Code == "plan_required":
		p.Heading, p.Plan = "Audit logs are not in this plan", plan.WithAuditLogs()
		p.Message = "Events are still being recorded; they become viewable once the organization is on a plan with audit logs."
		if b.Org != nil {
			p.Message = "The " + b.Org.Plan + " plan does not include audit logs. " + p.Message
		}
	case ce.Code == "mfa_enrollment_required":
		p.Heading = "This organization requires two-factor authentication"
		p.Message = "Set up an authenticator app for your account, then come back."
	case ce.Status == http.StatusNotFound:
		p.Heading, p.Message = "Not found", "There is no such page, or you are not a member of its organization."
	case ce.Status == http.StatusForbidden:
		p.Heading = "You don't have access to this page"
		p.Message = "Your role in this organization does not allow it. An owner or admin can change your role."
	case ce.Status == http.StatusUnauthorized:
		p.Heading = "Your access has ended"
		p.Message = "The link or session is no longer valid: it expired or was revoked."
	case ce.Status == http.StatusTooManyRequests:
		p.Heading = "Too many requests"
	default:
		p.Heading = "The request could not be completed"
	}
	h.render(w, r, ce.Status, "error", p)
}

// funcs are the helpers templates use.
var funcs = template.FuncMap{
	"utc":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"date":     func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"catName":  categoryName,
	"add":      func(a, b int) int { return a + b },
	"visible":  visible,
	"initials": initials,
	"pct":      func(x float64) float64 { return x / histWidth * 100 },
}

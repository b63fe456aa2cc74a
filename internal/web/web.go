// Package web serves Stele's pages: sign-in, and for an organization its
// Audit Logs (search, filters, histogram, detail with verification, live
// tail), Integrity, Members, API keys and Settings. Pages are rendered on
// the server from embedded templates, work without JavaScript, and use a
// little of it to be quicker. They read and change everything through
// the API, in-process (api.go).
package web

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/event"
)

// Config configures a Web.
type Config struct {
	// API is the API server's handler: the pages call it in-process, and
	// requests for anything but a page go to it.
	API http.Handler
	// Catalog is the event catalog (event.Default()).
	Catalog *event.Catalog
	Log     *slog.Logger // default: discard
	// FrameAncestors are the origins that may frame the pages (a platform
	// embedding the Audit Logs page with a viewer token); none by default.
	FrameAncestors []string
	// Now returns the current time (time.Now).
	Now func() time.Time
}

// A Web serves the pages.
type Web struct {
	cfg   Config
	api   http.Handler
	cat   *event.Catalog
	log   *slog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux
	csp   string
}

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New returns a Web for cfg.
func New(cfg Config) (*Web, error) {
	if cfg.API == nil {
		return nil, errors.New("web: Config needs the API's handler")
	}
	if cfg.Catalog == nil {
		cfg.Catalog = event.Default()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	h := &Web{cfg: cfg, api: cfg.API, cat: cfg.Catalog, log: cfg.Log, pages: pages, mux: http.NewServeMux()}
	ancestors := "'none'"
	if len(cfg.FrameAncestors) > 0 {
		ancestors = strings.Join(cfg.FrameAncestors, " ")
	}
	h.csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors " + ancestors
	h.routes()
	return h, nil
}

// Handler returns the handler of the pages, which passes every other
// request to the API.
func (h *Web) Handler() http.Handler { return h.mux }

// routes is the one table of the pages. Who may see a page is the API's
// decision, made on each call the page makes.
func (h *Web) routes() {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	for pattern, fn := range map[string]http.HandlerFunc{
		"GET /{$}":                  h.home,
		"GET /signin":               h.signInPage,
		"POST /signin":              h.signIn,
		"POST /signin/code":         h.signInCode,
		"POST /signout":             h.signOut,
		"GET /invitations/{token}":  h.invitationPage,
		"POST /invitations/{token}": h.acceptInvitation,
		"GET /static/":              cacheStatic(http.StripPrefix("/static/", http.FileServerFS(static))).ServeHTTP,
		"GET /orgs/{org}":           h.orgHome,
		"GET /orgs/{org}/{$}":       h.orgHome,

		"GET /orgs/{org}/audit-logs":                     h.logs,
		"GET /orgs/{org}/audit-logs/tail":                h.tail,
		"GET /orgs/{org}/audit-logs/events/{seq}":        h.detail,
		"GET /orgs/{org}/audit-logs/events/{seq}/verify": h.verifyEvent,
		"GET /orgs/{org}/integrity":                      h.integrity,

		"GET /orgs/{org}/members":               h.members,
		"POST /orgs/{org}/members/invite":       h.invite,
		"POST /orgs/{org}/members/{id}/role":    h.changeRole,
		"POST /orgs/{org}/members/{id}/remove":  h.removeMember,
		"POST /orgs/{org}/roles":                h.createRole,
		"GET /orgs/{org}/api-keys":              h.keys,
		"POST /orgs/{org}/api-keys":             h.createKey,
		"POST /orgs/{org}/api-keys/{id}/revoke": h.revokeKey,
		"GET /orgs/{org}/settings":              h.settings,
		"POST /orgs/{org}/settings":             h.saveSettings,
	} {
		h.mux.Handle(pattern, h.page(fn))
	}
	h.mux.Handle("/", h.api)
}

// page sets the headers every page answers with.
func (h *Web) page(fn http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", h.csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		if len(h.cfg.FrameAncestors) == 0 {
			hd.Set("X-Frame-Options", "DENY")
		}
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		fn(w, r)
	})
}

// cacheStatic lets browsers keep the assets for a day.
func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		next.ServeHTTP(w, r)
	})
}

// maxForm bounds the body of a form.
const maxForm = 64 << 10

// orgPath is the path of one of org's pages.
func orgPath(org string, parts ...string) string {
	return "/orgs/" + url.PathEscape(org) + strings.Join(parts, "")
}

// localPath reports whether p is a path of this site to send a browser
// back to after signing in: no scheme, no host, not protocol-relative,
// before or after http.Redirect cleans it (browsers read a backslash as
// a slash, so none is allowed).
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.ContainsAny(p, "\\\r\n\t") &&
		!strings.HasPrefix(path.Clean(p), "//") && len(p) <= 2048
}

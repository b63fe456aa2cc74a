// Package server is Stele's HTTP API (/v1), with its health, metrics and
// OpenAPI endpoints. It authenticates every call, maps routes to the scope
// they need in one table (routes.go), and turns every error into one
// public envelope (errors.go): internal error text never reaches a client.
package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/journal"
	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/signin"
	"github.com/steleaudit/stele/internal/store"
)

// Config configures a Server. Zero values take the defaults shown.
type Config struct {
	Store  store.Store
	Ledger *ledger.Ledger
	// PlatformToken is the operator's credential.
	PlatformToken string
	// Catalog is the event catalog (event.Default()).
	Catalog *event.Catalog
	Log     *slog.Logger // default: discard
	// RateLimit is how many requests a second one credential may make,
	// with bursts of RateBurst (1000/s, bursts of 2000). Negative: none.
	RateLimit float64
	RateBurst int
	// Metrics collects what /metrics serves; make it with NewMetrics
	// before the ledger, to give the ledger its ObserveCommit. Default: a
	// new one, without the ledger's batch metrics.
	Metrics *Metrics
	// BaseURL is where clients reach the server, for links it hands out.
	BaseURL string
	// TrustedProxies are the load balancers and proxies in front of the
	// server, whose X-Forwarded-For tells the client's address; none by
	// default, when the peer's address is the client's.
	TrustedProxies []netip.Prefix
	// FrameAncestors are the origins that may frame Stele's pages, such
	// as a platform embedding the audit-log page with a viewer token
	// ("https://app.example.com"); none may by default.
	FrameAncestors []string
	// Now returns the current time (time.Now).
	Now func() time.Time
}

// A Server serves Stele's HTTP API.
type Server struct {
	cfg     Config
	st      store.Store
	led     *ledger.Ledger
	cat     *event.Catalog
	log     *slog.Logger
	authn   *auth.Authenticator
	limits  *limiter
	journal *journal.Journal
	desk    *signin.Desk
	proxies journal.Proxies
	metrics *Metrics
	mux     *http.ServeMux

	mu    sync.Mutex
	known map[string]bool // guarded by mu: registered orgs (never unregistered)

	stopOnce sync.Once
	stopping chan struct{} // closed by Drain
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Ledger == nil {
		return nil, errors.New("server: Config needs a Store and a Ledger")
	}
	if cfg.PlatformToken == "" {
		return nil, errors.New("server: Config needs a PlatformToken")
	}
	for _, o := range cfg.FrameAncestors {
		if !validOrigin(o) {
			return nil, fmt.Errorf("server: frame ancestor %q is not an origin such as https://app.example.com", o)
		}
	}
	if cfg.Catalog == nil {
		cfg.Catalog = event.Default()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = 1000
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = max(2000, int(cfg.RateLimit))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	cfg.Metrics.watchQueue(cfg.Ledger)
	s := &Server{
		cfg:      cfg,
		st:       cfg.Store,
		led:      cfg.Ledger,
		cat:      cfg.Catalog,
		log:      cfg.Log,
		authn:    auth.NewAuthenticator(cfg.Store, cfg.PlatformToken, cfg.Now),
		limits:   newLimiter(cfg.RateLimit, cfg.RateBurst, cfg.Now),
		journal:  journal.New(cfg.Ledger, cfg.Catalog, cfg.Now),
		proxies:  cfg.TrustedProxies,
		metrics:  cfg.Metrics,
		mux:      http.NewServeMux(),
		known:    map[string]bool{},
		stopping: make(chan struct{}),
	}
	s.desk = signin.New(cfg.Store, s.journal, cfg.Now)
	s.routes()
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler {
	csp := "default-src 'none'; frame-ancestors " + frameAncestors(s.cfg.FrameAncestors)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if len(s.cfg.FrameAncestors) == 0 {
			h.Set("X-Frame-Options", "DENY")
		}
		if s.secureCookies(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		s.mux.ServeHTTP(w, r)
	})
}

// frameAncestors is the CSP source list for origins: 'none' for none.
func frameAncestors(origins []string) string {
	if len(origins) == 0 {
		return "'none'"
	}
	return strings.Join(origins, " ")
}

// Drain ends live streams and makes /readyz fail, so that a shutdown does
// not wait on clients that never hang up. Register it with
// http.Server.RegisterOnShutdown.
func (s *Server) Drain() { s.stopOnce.Do(func() { close(s.stopping) }) }

func (s *Server) isStopping() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// validOrigin reports whether o is a web origin: scheme, host and
// optional port, nothing more.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
		u.String() == u.Scheme+"://"+u.Host && u.User == nil && !strings.ContainsAny(o, " ;,'\"")
}

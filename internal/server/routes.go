package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/auth"
)

// access says who may call a route.
type access int

const (
	public       access = iota // anyone, no credential
	platformOnly               // the platform token
	orgScoped                  // a credential of the path's {org} with the route's permission
	signedIn                   // a person signed in, with a session
	signingIn                  // a person signed in, or halfway: their session awaits a second factor
)

// A route is one endpoint: its pattern, who may call it, and, for
// orgScoped routes, the permission it needs ("" for any member) and
// whether the organization's plan must include audit logs.
type route struct {
	pattern string
	access  access
	perm    auth.Permission
	viewing bool // needs a plan with audit logs
	h       handler
}

// routes is the one table of every endpoint and what it needs.
func (s *Server) routes() {
	for _, rt := range []route{
		{"GET /healthz", public, "", false, s.healthz},
		{"GET /readyz", public, "", false, s.readyz},
		{"GET /v1/openapi.json", public, "", false, s.openAPI},
		{"GET /v1/verifier-key", public, "", false, s.verifierKey},

		{"POST /v1/auth/login", public, "", false, s.login},
		{"POST /v1/auth/logout", signingIn, "", false, s.logout},
		{"POST /v1/auth/password", signedIn, "", false, s.changePassword},
		{"POST /v1/auth/mfa/enroll", signedIn, "", false, s.enrollMFA},
		{"POST /v1/auth/mfa/confirm", signedIn, "", false, s.confirmMFA},
		{"GET /v1/me", signedIn, "", false, s.me},
		{"POST /v1/invitations/{token}/accept", public, "", false, s.acceptInvitation},

		{"POST /v1/orgs", platformOnly, "", false, s.createOrg},
		{"GET /v1/orgs/{org}", orgScoped, "", false, s.getOrg},
		{"PATCH /v1/orgs/{org}", orgScoped, auth.AuditSettings, false, s.updateOrg},

		{"POST /v1/orgs/{org}/invitations", orgScoped, auth.MembersManage, false, s.invite},
		{"GET /v1/orgs/{org}/members", orgScoped, auth.MembersManage, false, s.listMembers},
		{"PATCH /v1/orgs/{org}/members/{id}", orgScoped, auth.MembersManage, false, s.changeRole},
		{"DELETE /v1/orgs/{org}/members/{id}", orgScoped, auth.MembersManage, false, s.removeMember},
		{"POST /v1/orgs/{org}/roles", orgScoped, auth.MembersManage, false, s.createRole},
		{"GET /v1/orgs/{org}/roles", orgScoped, auth.MembersManage, false, s.listRoles},

		{"POST /v1/orgs/{org}/api-keys", orgScoped, auth.KeysManage, false, s.createKey},
		{"GET /v1/orgs/{org}/api-keys", orgScoped, auth.KeysManage, false, s.listKeys},
		{"DELETE /v1/orgs/{org}/api-keys/{id}", orgScoped, auth.KeysManage, false, s.revokeKey},

		{"POST /v1/orgs/{org}/viewer-tokens", orgScoped, auth.KeysManage, false, s.createViewerToken},
		{"DELETE /v1/orgs/{org}/viewer-tokens/{id}", orgScoped, auth.KeysManage, false, s.revokeViewerToken},

		{"POST /v1/orgs/{org}/events", orgScoped, auth.EventsSend, false, s.sendEvents},
		{"GET /v1/orgs/{org}/events", orgScoped, auth.AuditRead, true, s.listEvents},
		{"GET /v1/orgs/{org}/events/stream", orgScoped, auth.AuditRead, true, s.streamEvents},
		{"GET /v1/orgs/{org}/events/facets", orgScoped, auth.AuditRead, true, s.facets},
		{"GET /v1/orgs/{org}/events/histogram", orgScoped, auth.AuditRead, true, s.histogram},
		{"GET /v1/orgs/{org}/events/{seq}", orgScoped, auth.AuditRead, true, s.getEvent},
		{"GET /v1/orgs/{org}/events/{seq}/leaf", orgScoped, auth.AuditRead, true, s.getLeaf},

		{"GET /v1/orgs/{org}/checkpoint", orgScoped, auth.AuditRead, false, s.checkpoint},
		{"GET /v1/orgs/{org}/proofs/inclusion", orgScoped, auth.AuditRead, false, s.inclusionProof},
		{"GET /v1/orgs/{org}/proofs/consistency", orgScoped, auth.AuditRead, false, s.consistencyProof},
	} {
		s.mux.Handle(rt.pattern, s.wrap(rt))
	}
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errNotFound)
	})
}

// A handler serves one route; a returned error is answered by fail.
// c.org is set on orgScoped routes, once the caller may see it.
type handler func(w http.ResponseWriter, r *http.Request, c *call) error

// A call is what wrap learned about a request before its handler runs.
type call struct {
	p       *auth.Principal // nil on public routes
	org     string          // set on orgScoped routes, once the caller may see it
	session *signIn         // set when the caller came with a session
}

// wrap authenticates, authorizes and rate-limits a request for rt, times
// it, and answers its handler's error.
func (s *Server) wrap(rt route) http.Handler {
	name := rt.pattern
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		c, err := s.admit(r, rt)
		if err == nil {
			err = rt.h(sw, r, c)
		}
		if err != nil {
			if sw.status != 0 {
				// The answer has begun (a stream): too late for an error.
				s.log.WarnContext(r.Context(), "request ended early", "route", name, "err", err)
			} else {
				s.fail(sw, r, err)
			}
		}
		s.metrics.observe(name, sw.code(), time.Since(start))
	})
}

// admit checks the caller may make request r to rt. A bearer token wins
// over a session cookie: a client sending both means the token.
func (s *Server) admit(r *http.Request, rt route) (*call, error) {
	c := &call{}
	if rt.access == public {
		return c, nil
	}
	var err error
	if token, ok := bearer(r); ok {
		c.p, err = s.authn.Authenticate(r.Context(), token)
	} else {
		c.p, c.session, err = s.sessionOf(r, rt.access == signingIn)
	}
	if err != nil {
		return nil, err
	}
	if ok, wait := s.limits.allow(who(c.p)); !ok {
		return nil, &apiError{status: http.StatusTooManyRequests, code: "rate_limited", retry: retryAfter(wait),
			message: "too many requests for this credential; retry after the time in Retry-After"}
	}
	switch rt.access {
	case platformOnly:
		if !c.p.Platform {
			return nil, &apiError{status: http.StatusForbidden, code: "forbidden", message: "only the platform token may do this"}
		}
		return c, nil
	case signedIn, signingIn:
		if c.session == nil {
			return nil, &apiError{status: http.StatusForbidden, code: "forbidden", message: "only a person signed in may do this"}
		}
		return c, nil
	}
	c.org = r.PathValue("org")
	if c.p.User != nil {
		c.p, err = s.authn.InOrg(r.Context(), c.p, c.org)
		if errors.Is(err, auth.ErrNotMember) {
			return nil, errNotFound
		}
		if errors.Is(err, auth.ErrMFARequired) {
			return nil, &apiError{status: http.StatusForbidden, code: "mfa_enrollment_required",
				message: "this organization requires MFA of its members: enroll with POST /v1/auth/mfa/enroll and confirm"}
		}
		if err != nil {
			return nil, err
		}
	}
	// Anything outside the caller's organization does not exist for it.
	if !c.p.Member(c.org) {
		return nil, errNotFound
	}
	if err := s.registered(r.Context(), c.org); err != nil {
		return nil, err
	}
	if rt.perm != "" && !c.p.Can(c.org, rt.perm) {
		return nil, errForbidden
	}
	if rt.viewing {
		if err := s.canView(r.Context(), c.org); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// who names p for rate limits.
func who(p *auth.Principal) string {
	switch {
	case p.Platform:
		return "platform"
	case p.User != nil:
		return "user:" + p.User.ID
	}
	return p.KeyID
}

// bearer returns the request's bearer token.
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// statusWriter remembers the status written, for metrics and for knowing
// whether an answer has begun. It passes Flush through, for streams.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

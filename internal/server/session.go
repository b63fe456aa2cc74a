package server

import (
	"net/http"
	"strings"

	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/signin"
	"github.com/steleaudit/stele/internal/store"
)

// csrfHeader carries the CSRF token of the session (signin.Cookie) with
// every request that changes state.
const csrfHeader = "X-CSRF-Token"

// A signIn is the session a request came with.
type signIn struct {
	token string
	store.Session
}

var (
	errMFARequired = &apiError{status: http.StatusUnauthorized, code: "mfa_required",
		message: "finish signing in: send the code of your authenticator app to POST /v1/auth/login"}
	errCSRF = &apiError{status: http.StatusForbidden, code: "csrf_failed",
		message: "a request that changes something with a session must send its CSRF token in X-CSRF-Token"}
)

// sessionOf authenticates r by its session cookie: errUnauth without a
// valid one, errMFARequired for a session awaiting its second factor
// unless pendingOK, errCSRF for a state-changing request without the
// session's CSRF token.
func (s *Server) sessionOf(r *http.Request, pendingOK bool) (*auth.Principal, *signIn, error) {
	token, ok := signin.Token(r)
	if !ok {
		return nil, nil, errUnauth
	}
	p, sess, err := s.authn.Session(r.Context(), token)
	if err != nil {
		return nil, nil, err
	}
	if sess.MFAPending && !pendingOK {
		return nil, nil, errMFARequired
	}
	if !safeMethod(r.Method) {
		if !signin.CSRFOK(token, r.Header.Get(csrfHeader)) {
			return nil, nil, errCSRF
		}
	}
	return p, &signIn{token: token, Session: sess}, nil
}

// safeMethod reports whether method only reads.
func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// secureCookies reports whether cookies must go over TLS only: when the
// request came over TLS, or clients reach the server at an https URL
// (through a proxy that ends TLS).
func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.cfg.BaseURL, "https://")
}

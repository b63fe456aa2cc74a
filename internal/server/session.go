package server

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/store"
)

// sessionCookie holds a person's session token. It is HttpOnly (scripts
// never see it), SameSite=Lax (other sites' pages don't send it with
// their forms) and Secure when the server is reached over TLS; every
// request that changes state with it must also carry the session's CSRF
// token in csrfHeader.
const (
	sessionCookie = "stele_session"
	csrfHeader    = "X-CSRF-Token"
)

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
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil, errUnauth
	}
	p, sess, err := s.authn.Session(r.Context(), ck.Value)
	if err != nil {
		return nil, nil, err
	}
	if sess.MFAPending && !pendingOK {
		return nil, nil, errMFARequired
	}
	if !safeMethod(r.Method) {
		want := auth.CSRFToken(ck.Value)
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(want)) != 1 {
			return nil, nil, errCSRF
		}
	}
	return p, &signIn{token: ck.Value, Session: sess}, nil
}

// safeMethod reports whether method only reads.
func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// setSession gives the client the session cookie for token, until the
// session expires.
func (s *Server) setSession(w http.ResponseWriter, r *http.Request, token string, sess store.Session) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		Expires:  sess.ExpiresAt,
		HttpOnly: true,
		Secure:   s.secureCookies(r),
		SameSite: http.SameSiteLaxMode,
	})
}

// clearSession tells the client to drop its session cookie.
func (s *Server) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   s.secureCookies(r),
		SameSite: http.SameSiteLaxMode,
	})
}

// secureCookies reports whether cookies must go over TLS only: when the
// request came over TLS, or clients reach the server at an https URL
// (through a proxy that ends TLS).
func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.cfg.BaseURL, "https://")
}

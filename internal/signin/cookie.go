package signin

import (
	"crypto/subtle"
	"net/http"

	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/store"
)

// Cookie holds a person's session token. It is HttpOnly (scripts never
// see it), SameSite=Lax (other sites' pages don't send it with their
// forms) and Secure when the server is reached over TLS; every request
// that changes state with it must also carry the session's CSRF token
// (auth.CSRFToken): the API takes it in a header, the pages in a form
// field.
const Cookie = "stele_session"

// SetCookie gives the client the cookie for token, until sess expires.
func SetCookie(w http.ResponseWriter, secure bool, token string, sess store.Session) {
	http.SetCookie(w, &http.Cookie{
		Name:     Cookie,
		Value:    token,
		Path:     "/",
		Expires:  sess.ExpiresAt,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie tells the client to drop its session cookie.
func ClearCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     Cookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// Token returns the session token r's cookie holds.
func Token(r *http.Request) (string, bool) {
	ck, err := r.Cookie(Cookie)
	if err != nil || ck.Value == "" {
		return "", false
	}
	return ck.Value, true
}

// CSRFOK reports whether got is the CSRF token of the session token, in
// constant time.
func CSRFOK(token, got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(auth.CSRFToken(token))) == 1
}

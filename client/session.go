package client

import (
	"context"
	"net/http"
)

// A person signs in with a password (and a TOTP or recovery code, for an
// account with MFA); the server answers with a session cookie, which the
// Client's http.Client must keep (give it a cookie jar with
// WithHTTPClient), and a CSRF token to send with changes.

// Login signs a person in. With MFA and no code, the answer has
// MFARequired set: send the code with a second Login of TOTP alone.
func (c *Client) Login(ctx context.Context, in Login) (*SignIn, error) {
	var out SignIn
	if _, err := c.do(ctx, http.MethodPost, "/v1/auth/login", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Logout ends the session.
func (c *Client) Logout(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodPost, "/v1/auth/logout", nil, nil, nil)
	return err
}

// Me returns the person signed in, their organizations and the session's
// CSRF token.
func (c *Client) Me(ctx context.Context) (*SignIn, error) {
	var out SignIn
	if _, err := c.do(ctx, http.MethodGet, "/v1/me", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/store"
)

// Viewer tokens: a platform (or an admin) mints a short-lived token that
// shows the organization's audit log to one of the platform's own users,
// embedded in the platform's product, without a Stele account.

const (
	defaultViewerTTL = time.Hour
	maxViewerTTL     = 24 * time.Hour
)

func (s *Server) createViewerToken(w http.ResponseWriter, r *http.Request, c *call) error {
	var in client.ViewerTokenCreate
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if err := checkName("subject", in.Subject); err != nil {
		return err
	}
	ttl := defaultViewerTTL
	if in.TTL != "" {
		d, err := time.ParseDuration(in.TTL)
		if err != nil || d < time.Minute || d > maxViewerTTL {
			return invalid("ttl", "a duration such as 15m or 2h, from 1m to 24h")
		}
		ttl = d
	}
	names := in.Permissions
	if len(names) == 0 {
		names = []string{string(auth.AuditRead)}
	}
	perms, err := auth.ParsePermissions(names)
	if err != nil {
		return invalid("permissions", err.Error())
	}
	for _, p := range perms {
		if p != auth.AuditRead && p != auth.AuditExport {
			return invalid("permissions", "a viewer token may grant audit.read and audit.export only")
		}
	}
	if err := mayGive(c, "permissions", perms); err != nil {
		return err
	}
	token, v := auth.NewViewerToken(c.org, in.Subject, perms, s.cfg.Now(), ttl)
	target := &client.Target{Type: "viewer_token", ID: v.ID}
	details := map[string]any{"subject": v.Subject, "permissions": v.Permissions, "expires_at": v.ExpiresAt.Format(time.RFC3339)}
	if err := s.audit(r, c, "viewer_token.created", target, details); err != nil {
		return err
	}
	err = s.st.ReadWrite(context.WithoutCancel(r.Context()), func(ctx context.Context, tx store.Tx) error {
		return tx.CreateViewerToken(ctx, v)
	})
	if err != nil {
		return err
	}
	out := viewerJSON(v)
	out.Token = token
	out.URL = strings.TrimSuffix(s.cfg.BaseURL, "/") + "/orgs/" + url.PathEscape(c.org) + "/audit-logs?viewer_token=" + token
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// revokeViewerToken logs viewer_token.revoked and revokes the token;
// revoking a revoked token answers it as it is.
func (s *Server) revokeViewerToken(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if !auth.ValidViewerID(id) {
		return errNotFound
	}
	v, err := store.ReadValue(r.Context(), s.st, func(ctx context.Context, rd store.Reader) (store.ViewerToken, error) { return rd.ViewerToken(ctx, id) })
	if err != nil {
		return err
	}
	if v.Org != c.org {
		return errNotFound
	}
	if v.RevokedAt.IsZero() {
		target := &client.Target{Type: "viewer_token", ID: v.ID}
		if err := s.audit(r, c, "viewer_token.revoked", target, map[string]any{"subject": v.Subject}); err != nil {
			return err
		}
		v.RevokedAt = s.cfg.Now().UTC()
		err = s.st.ReadWrite(context.WithoutCancel(r.Context()), func(ctx context.Context, tx store.Tx) error {
			return tx.RevokeViewerToken(ctx, c.org, id, v.RevokedAt)
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		s.authn.Forget(id)
	}
	writeJSON(w, http.StatusOK, viewerJSON(v))
	return nil
}

func viewerJSON(v store.ViewerToken) client.ViewerToken {
	out := client.ViewerToken{ID: v.ID, Subject: v.Subject, Permissions: append([]string{}, v.Permissions...),
		CreatedAt: v.CreatedAt, ExpiresAt: v.ExpiresAt}
	if !v.RevokedAt.IsZero() {
		t := v.RevokedAt
		out.RevokedAt = &t
	}
	return out
}

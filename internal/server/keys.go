package server

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/store"
)

// createKey mints an API key, logs api_key.created, then stores the key's
// hash: the log never misses a key that works. The key is in the answer
// and nowhere else.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, c *call) error {
	var in client.APIKeyCreate
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if err := checkName("name", in.Name); err != nil {
		return err
	}
	scopes, err := auth.ParseScopes(in.Scopes)
	if err != nil {
		return invalid("scopes", err.Error())
	}
	if c.p.User != nil {
		// A person mints keys for the platform to send events with, and
		// keys with no other permission than their own.
		perms := slices.DeleteFunc(auth.ScopePermissions(scopes), func(p auth.Permission) bool { return p == auth.EventsSend })
		if err := mayGive(c, "scopes", perms); err != nil {
			return err
		}
	}
	key, k := auth.NewAPIKey(c.org, in.Name, scopes, s.cfg.Now())
	target := &client.Target{Type: "api_key", ID: k.ID, Name: k.Name}
	if err := s.audit(r, c, "api_key.created", target, map[string]any{"scopes": k.Scopes}); err != nil {
		return err
	}
	err = s.st.ReadWrite(context.WithoutCancel(r.Context()), func(ctx context.Context, tx store.Tx) error {
		return tx.CreateAPIKey(ctx, k)
	})
	if err != nil {
		return err
	}
	out := keyJSON(k)
	out.Key = key
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, c *call) error {
	var keys []store.APIKey
	err := s.st.Read(r.Context(), func(ctx context.Context, rd store.Reader) error {
		var err error
		keys, err = rd.APIKeys(ctx, c.org)
		return err
	})
	if err != nil {
		return err
	}
	out := client.APIKeyList{Keys: make([]client.APIKey, len(keys))}
	for i, k := range keys {
		out.Keys[i] = keyJSON(k)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// revokeKey logs api_key.revoked and revokes the key. Revoking a revoked
// key answers as the first revocation did, and logs nothing more.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if !auth.ValidKeyID(id) {
		return errNotFound
	}
	var k store.APIKey
	err := s.st.Read(r.Context(), func(ctx context.Context, rd store.Reader) error {
		var err error
		k, err = rd.APIKey(ctx, id)
		return err
	})
	if err != nil {
		return err
	}
	if k.Org != c.org {
		return errNotFound
	}
	if k.RevokedAt.IsZero() {
		target := &client.Target{Type: "api_key", ID: k.ID, Name: k.Name}
		if err := s.audit(r, c, "api_key.revoked", target, nil); err != nil {
			return err
		}
		k.RevokedAt = s.cfg.Now().UTC()
		err = s.st.ReadWrite(context.WithoutCancel(r.Context()), func(ctx context.Context, tx store.Tx) error {
			return tx.RevokeAPIKey(ctx, c.org, id, k.RevokedAt)
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		s.authn.Forget(id)
	}
	writeJSON(w, http.StatusOK, keyJSON(k))
	return nil
}

func keyJSON(k store.APIKey) client.APIKey {
	out := client.APIKey{ID: k.ID, Name: k.Name, Scopes: k.Scopes, CreatedAt: k.CreatedAt}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if !k.RevokedAt.IsZero() {
		t := k.RevokedAt
		out.RevokedAt = &t
	}
	return out
}

package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// ErrUnauthenticated means the credential is missing, malformed, unknown
// or revoked. Callers are not told which.
var ErrUnauthenticated = errors.New("auth: invalid credentials")

// An Authenticator turns bearer tokens into principals. It remembers the
// keys it has checked for a few seconds, so that a busy client costs no
// database read per request; Forget drops a revoked key at once in this
// process, and other processes sharing the database see the revocation
// within CacheTTL.
type Authenticator struct {
	st       store.Store
	platform [sha256.Size]byte
	now      func() time.Time

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cachedKey // guarded by mu
}

type cachedKey struct {
	p     *Principal
	until time.Time
}

const (
	// CacheTTL bounds how long a revoked key may keep working in a
	// process other than the one that revoked it.
	CacheTTL  = 5 * time.Second
	cacheSize = 10000
)

// NewAuthenticator returns an Authenticator accepting platformToken and
// the API keys in st.
func NewAuthenticator(st store.Store, platformToken string, now func() time.Time) *Authenticator {
	if now == nil {
		now = time.Now
	}
	return &Authenticator{
		st:       st,
		platform: sha256.Sum256([]byte(platformToken)),
		now:      now,
		cache:    map[[sha256.Size]byte]cachedKey{},
	}
}

// Authenticate returns the principal token stands for, or
// ErrUnauthenticated.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (*Principal, error) {
	h := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(h[:], a.platform[:]) == 1 {
		return &Principal{Platform: true}, nil
	}
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[h]
	a.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.p, nil
	}
	var p *Principal
	until := now.Add(CacheTTL)
	var err error
	if id, ok := keyID(token); ok {
		p, err = a.apiKey(ctx, id, h)
	} else if id, ok := viewerID(token); ok {
		var expires time.Time
		p, expires, err = a.viewer(ctx, id, h, now)
		until = minTime(until, expires)
	} else {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if len(a.cache) >= cacheSize {
		clear(a.cache)
	}
	a.cache[h] = cachedKey{p, until}
	a.mu.Unlock()
	return p, nil
}

// apiKey returns the principal of the API key with id, if its hash is h
// and it is not revoked.
func (a *Authenticator) apiKey(ctx context.Context, id string, h [sha256.Size]byte) (*Principal, error) {
	var k store.APIKey
	err := a.st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		var err error
		k, err = r.APIKey(ctx, id)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrUnauthenticated
	case err != nil:
		return nil, fmt.Errorf("couldn't read API key: %w", err)
	}
	if subtle.ConstantTimeCompare(k.Hash, h[:]) != 1 || !k.RevokedAt.IsZero() {
		return nil, ErrUnauthenticated
	}
	p := &Principal{Org: k.Org, KeyID: k.ID, Scopes: make([]Scope, len(k.Scopes))}
	for i, s := range k.Scopes {
		p.Scopes[i] = Scope(s)
	}
	p.Perms = ScopePermissions(p.Scopes)
	return p, nil
}

// viewer returns the principal of the viewer token with id, if its hash
// is h and it is neither revoked nor expired, and when it expires.
func (a *Authenticator) viewer(ctx context.Context, id string, h [sha256.Size]byte, now time.Time) (*Principal, time.Time, error) {
	var v store.ViewerToken
	err := a.st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		var err error
		v, err = r.ViewerToken(ctx, id)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, time.Time{}, ErrUnauthenticated
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("couldn't read viewer token: %w", err)
	}
	if subtle.ConstantTimeCompare(v.Hash, h[:]) != 1 || !v.RevokedAt.IsZero() || !now.Before(v.ExpiresAt) {
		return nil, time.Time{}, ErrUnauthenticated
	}
	p := &Principal{Org: v.Org, ViewerID: v.ID, Subject: v.Subject}
	for _, name := range v.Permissions {
		if perm := Permission(name); slices.Contains(ViewerPermissions, perm) {
			p.Perms = append(p.Perms, perm)
		}
	}
	return p, v.ExpiresAt, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Forget drops what the Authenticator remembers of the API key or viewer
// token with id, once it is revoked.
func (a *Authenticator) Forget(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for h, c := range a.cache {
		if c.p.KeyID == id || c.p.ViewerID == id {
			delete(a.cache, h)
		}
	}
}

package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
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
	id, ok := keyID(token)
	if !ok {
		return nil, ErrUnauthenticated
	}
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[h]
	a.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.p, nil
	}
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
	a.mu.Lock()
	if len(a.cache) >= cacheSize {
		clear(a.cache)
	}
	a.cache[h] = cachedKey{p, now.Add(CacheTTL)}
	a.mu.Unlock()
	return p, nil
}

// Forget drops what the Authenticator remembers of the key with id, once
// it is revoked.
func (a *Authenticator) Forget(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for h, c := range a.cache {
		if c.p.KeyID == id {
			delete(a.cache, h)
		}
	}
}

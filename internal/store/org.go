package store

import (
	"context"
	"time"
)

// An Org is an organization registered with Stele. A log may exist
// without one (the ledger creates logs on first append); the service only
// serves registered organizations.
type Org struct {
	ID       string
	Name     string
	Plan     string // one of the plan names the service knows
	TimeZone string // IANA name, such as "Europe/Paris"; "UTC" by default
	// RetentionDays is how long events stay viewable, in days, as the
	// organization chose within its plan's bounds; 0: the plan's default.
	RetentionDays int
	// RequireMFA says members must have MFA to act in the organization.
	RequireMFA bool
	CreatedAt  time.Time
}

// An APIKey is an organization's credential. Only a hash of the secret
// key is kept; the key itself is shown once, when created.
type APIKey struct {
	ID        string // public, unique across organizations
	Org       string
	Name      string
	Scopes    []string
	Hash      []byte // SHA-256 of the whole key
	CreatedAt time.Time
	RevokedAt time.Time // zero while the key is valid
}

// OrgReader reads registered organizations and their keys.
type OrgReader interface {
	// Org returns the registered organization id, or ErrNotFound.
	Org(ctx context.Context, id string) (Org, error)
	// APIKey returns the key with id, revoked or not, or ErrNotFound.
	APIKey(ctx context.Context, id string) (APIKey, error)
	// APIKeys returns org's keys, revoked ones included, oldest first.
	APIKeys(ctx context.Context, org string) ([]APIKey, error)
}

// OrgWriter registers organizations and keeps their keys.
type OrgWriter interface {
	// CreateOrg registers o, creating its empty log if it has none. An
	// organization already registered is ErrConflict.
	CreateOrg(ctx context.Context, o Org) error
	// UpdateOrg replaces the name, plan, time zone, retention and MFA
	// requirement of a registered organization (not its CreatedAt), or returns ErrNotFound.
	UpdateOrg(ctx context.Context, o Org) error
	// CreateAPIKey stores k. ErrNotFound if k.Org is not registered,
	// ErrConflict if a key with k.ID exists.
	CreateAPIKey(ctx context.Context, k APIKey) error
	// RevokeAPIKey marks org's key id revoked at the given time; a key
	// already revoked keeps its first revocation time. ErrNotFound if org
	// has no key id.
	RevokeAPIKey(ctx context.Context, org, id string, at time.Time) error
}

package store

import (
	"context"
	"time"
)

// People: the accounts that sign in to Stele, their memberships and roles
// in organizations, their sessions, and invitations to join. Secrets are
// kept only as hashes (SHA-256 of a random token, or a password hash),
// except the TOTP secret, which a server must read to check codes.

// A User is a person's account.
type User struct {
	ID           string // public, "usr_" and random
	Email        string // lower case; unique across users
	Name         string
	PasswordHash string // PHC string
	// MFASecret is the confirmed TOTP secret, nil while MFA is off;
	// MFAPending a secret enrolled but not yet confirmed by a code.
	MFASecret, MFAPending []byte
	// MFAStep is the last TOTP time step accepted, so that a code is
	// accepted once.
	MFAStep int64
	// RecoveryCodes are the hashes of the recovery codes not yet used.
	RecoveryCodes [][]byte
	CreatedAt     time.Time
}

// A Member is a user's membership of an organization, with the role that
// says what they may do there: "owner", "admin", "member" or the name of
// one of the organization's custom roles.
type Member struct {
	Org       string
	UserID    string
	Role      string
	CreatedAt time.Time
}

// A Role is an organization's custom role: a name and the permissions it
// grants.
type Role struct {
	Org         string
	Name        string
	Permissions []string
	CreatedAt   time.Time
}

// A Session is a signed-in browser or client: the hash of the token its
// cookie holds, whose account it is, and whether the sign-in still waits
// for its second factor.
type Session struct {
	Hash       []byte // SHA-256 of the token
	UserID     string
	MFAPending bool
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// An Invitation asks whoever holds its token to join Org with Role. It is
// accepted at most once.
type Invitation struct {
	ID         string // public, "inv_" and random
	Hash       []byte // SHA-256 of the token
	Org        string
	Email      string // lower case
	Role       string
	InvitedBy  string // the actor's id
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt time.Time // zero until accepted
}

// A ViewerToken lets a platform show an organization's audit log to one
// of its own users (the subject) without a Stele account, for a short
// while, with read-only permissions.
type ViewerToken struct {
	ID          string // public, "vt_" and random
	Org         string
	Subject     string // who the platform says is viewing
	Permissions []string
	Hash        []byte // SHA-256 of the token
	CreatedAt   time.Time
	ExpiresAt   time.Time
	RevokedAt   time.Time // zero while not revoked
}

// PeopleReader reads accounts, memberships, roles, sessions and
// invitations. Lists come oldest first, ties by id.
type PeopleReader interface {
	// User returns the user with id, or ErrNotFound.
	User(ctx context.Context, id string) (User, error)
	// UserByEmail returns the user with email (lower case), or ErrNotFound.
	UserByEmail(ctx context.Context, email string) (User, error)
	// Member returns userID's membership of org, or ErrNotFound.
	Member(ctx context.Context, org, userID string) (Member, error)
	// Members returns org's members.
	Members(ctx context.Context, org string) ([]Member, error)
	// Memberships returns userID's memberships, in every organization.
	Memberships(ctx context.Context, userID string) ([]Member, error)
	// Role returns org's custom role name, or ErrNotFound.
	Role(ctx context.Context, org, name string) (Role, error)
	// Roles returns org's custom roles.
	Roles(ctx context.Context, org string) ([]Role, error)
	// Session returns the session with hash, expired or not, or
	// ErrNotFound.
	Session(ctx context.Context, hash []byte) (Session, error)
	// Invitation returns the invitation with hash, accepted or not, or
	// ErrNotFound.
	Invitation(ctx context.Context, hash []byte) (Invitation, error)
	// ViewerToken returns the viewer token with id, expired, revoked or
	// not, or ErrNotFound.
	ViewerToken(ctx context.Context, id string) (ViewerToken, error)
}

// PeopleWriter changes accounts, memberships, roles, sessions and
// invitations. Writes naming an organization that is not registered are
// ErrNotFound.
type PeopleWriter interface {
	// CreateUser stores u. ErrConflict if a user has u's id or email.
	CreateUser(ctx context.Context, u User) error
	// LockUser returns the user with id and keeps other writers of it
	// waiting until the transaction ends, so that a read-check-update of
	// its MFA step or recovery codes happens once. ErrNotFound if none.
	LockUser(ctx context.Context, id string) (User, error)
	// UpdateUser replaces the name, password hash and MFA fields of the
	// user with u's id (not its email or CreatedAt). ErrNotFound if none.
	UpdateUser(ctx context.Context, u User) error
	// AddMember stores m. ErrConflict if the user is a member of m.Org
	// already, ErrNotFound if the organization or user does not exist.
	AddMember(ctx context.Context, m Member) error
	// SetRole changes the role of userID in org. ErrNotFound if not a
	// member.
	SetRole(ctx context.Context, org, userID, role string) error
	// RemoveMember removes userID from org. ErrNotFound if not a member.
	RemoveMember(ctx context.Context, org, userID string) error
	// CreateRole stores r. ErrConflict if org has a role of that name.
	CreateRole(ctx context.Context, r Role) error
	// CreateSession stores s. ErrConflict if its hash is taken.
	CreateSession(ctx context.Context, s Session) error
	// UpdateSession replaces MFAPending and ExpiresAt of the session with
	// s's hash. ErrNotFound if none.
	UpdateSession(ctx context.Context, s Session) error
	// DeleteSession removes the session with hash. ErrNotFound if none.
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteSessions removes userID's sessions but the one with hash keep
	// (nil for none), and returns how many it removed.
	DeleteSessions(ctx context.Context, userID string, keep []byte) (int, error)
	// CreateInvitation stores i. ErrConflict if its id or hash is taken.
	CreateInvitation(ctx context.Context, i Invitation) error
	// AcceptInvitation marks the invitation with hash accepted at at.
	// ErrNotFound if there is none not yet accepted.
	AcceptInvitation(ctx context.Context, hash []byte, at time.Time) error
	// CreateViewerToken stores v. ErrConflict if its id is taken.
	CreateViewerToken(ctx context.Context, v ViewerToken) error
	// RevokeViewerToken marks org's viewer token id revoked at at, keeping
	// the first revocation time. ErrNotFound if org has no token id.
	RevokeViewerToken(ctx context.Context, org, id string, at time.Time) error
}

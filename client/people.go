package client

import "time"

// The wire types of people: signing in, accounts, members, roles and
// invitations.

// Login is the body of POST /v1/auth/login. The second step of a sign-in
// with MFA may send the TOTP (or a recovery code) alone, with the session
// cookie the first step set.
type Login struct {
	Email    string `json:"email,omitempty"`
	Password string `json:"password,omitempty"`
	TOTP     string `json:"totp,omitempty"`
}

// A SignIn is the answer of POST /v1/auth/login and GET /v1/me. While
// MFARequired, the session is good only for sending the second factor.
type SignIn struct {
	User        User         `json:"user"`
	Orgs        []Membership `json:"orgs"`
	MFARequired bool         `json:"mfa_required"`
	CSRFToken   string       `json:"csrf_token"`
}

// A User is a person's account.
type User struct {
	ID         string    `json:"id"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	MFAEnabled bool      `json:"mfa_enabled"`
	CreatedAt  time.Time `json:"created_at"`
}

// A Membership is an organization a person belongs to, with their role
// and the permissions it grants there (in GET /v1/me and sign-in
// answers).
type Membership struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions,omitempty"`
}

// PasswordChange is the body of POST /v1/auth/password.
type PasswordChange struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// An MFAEnrollment is the answer of POST /v1/auth/mfa/enroll: the secret
// to give an authenticator app, as is and as an otpauth:// URL.
type MFAEnrollment struct {
	Secret string `json:"secret"`
	URL    string `json:"url"`
}

// MFAConfirm is the body of POST /v1/auth/mfa/confirm: a code of the
// enrolled secret.
type MFAConfirm struct {
	Code string `json:"code"`
}

// RecoveryCodes is the answer of POST /v1/auth/mfa/confirm: codes that each
// stand in for a TOTP once, shown only then.
type RecoveryCodes struct {
	Codes []string `json:"recovery_codes"`
}

// InvitationCreate is the body of POST /v1/orgs/{org}/invitations.
type InvitationCreate struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// An Invitation is the answer of POST /v1/orgs/{org}/invitations. Token
// (and URL, which holds it) are shown only then.
type Invitation struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	Token     string    `json:"token"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// InvitationAccept is the body of POST /v1/invitations/{token}/accept. For
// a new account it sets the name and password; for an existing one the
// password must be the account's.
type InvitationAccept struct {
	Name     string `json:"name,omitempty"`
	Password string `json:"password"`
}

// An InvitationAccepted is the answer of accepting an invitation.
type InvitationAccepted struct {
	User User       `json:"user"`
	Org  Membership `json:"org"`
}

// A Member is a person in an organization.
type Member struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// MemberList is the answer of GET /v1/orgs/{org}/members.
type MemberList struct {
	Members []Member `json:"members"`
}

// MemberUpdate is the body of PATCH /v1/orgs/{org}/members/{id}.
type MemberUpdate struct {
	Role string `json:"role"`
}

// RoleCreate is the body of POST /v1/orgs/{org}/roles.
type RoleCreate struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
}

// A Role is what a member may do: a built-in role or one of the
// organization's own.
type Role struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
	Builtin     bool     `json:"builtin"`
}

// RoleList is the answer of GET /v1/orgs/{org}/roles: the built-in roles
// and the organization's.
type RoleList struct {
	Roles []Role `json:"roles"`
}

// ViewerTokenCreate is the body of POST /v1/orgs/{org}/viewer-tokens: whom
// the platform shows the log to, what they may do (audit.read,
// audit.export; default audit.read) and for how long (a Go duration such
// as "15m", 1 minute to 24 hours; default 1 hour).
type ViewerTokenCreate struct {
	Subject     string   `json:"subject"`
	Permissions []string `json:"permissions,omitempty"`
	TTL         string   `json:"ttl,omitempty"`
}

// A ViewerToken is the answer of POST /v1/orgs/{org}/viewer-tokens and
// DELETE /v1/orgs/{org}/viewer-tokens/{id}. Token, and URL that holds it,
// are set only in the answer to its creation.
type ViewerToken struct {
	ID          string     `json:"id"`
	Subject     string     `json:"subject"`
	Permissions []string   `json:"permissions"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	Token       string     `json:"token,omitempty"`
	URL         string     `json:"url,omitempty"`
}

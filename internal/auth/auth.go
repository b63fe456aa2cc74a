// Package auth says who is calling Stele and what they may do: the
// platform token (the operator's credential) and organizations' API keys
// with their scopes.
package auth

import (
	"fmt"
	"slices"

	"github.com/steleaudit/stele/verify"
)

// A Scope is a permission an API key carries.
type Scope string

const (
	EventsWrite    Scope = "events:write"    // send events
	EventsRead     Scope = "events:read"     // read and search events, proofs, checkpoints
	Export         Scope = "export"          // export events
	AlertsManage   Scope = "alerts:manage"   // manage alert rules
	SettingsManage Scope = "settings:manage" // change the organization's settings
	Admin          Scope = "admin"           // everything, including API keys
)

// Scopes lists every scope.
var Scopes = []Scope{EventsWrite, EventsRead, Export, AlertsManage, SettingsManage, Admin}

// ParseScopes validates names as scopes, in order, without repeats.
func ParseScopes(names []string) ([]Scope, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("at least one scope is needed (one of %v)", Scopes)
	}
	return parseNames(names, Scopes, "scope")
}

// parseNames validates names as members of known, in order, without
// repeats.
func parseNames[T ~string](names []string, known []T, what string) ([]T, error) {
	out := make([]T, 0, len(names))
	for _, n := range names {
		v := T(n)
		if !slices.Contains(known, v) {
			return nil, fmt.Errorf("unknown %s %q (%ss are %v)", what, n, what, known)
		}
		if slices.Contains(out, v) {
			return nil, fmt.Errorf("%s %q given twice", what, n)
		}
		out = append(out, v)
	}
	return out, nil
}

// A Principal is an authenticated caller.
type Principal struct {
	// Platform is set for the platform token, which may do anything in
	// any organization.
	Platform bool
	// Org is the organization the caller acts in: an API key's, or for a
	// person, the one InOrg found them a member of.
	Org string
	// KeyID and Scopes describe an API key.
	KeyID  string
	Scopes []Scope
	// ViewerID and Subject describe a viewer token, and whom the
	// platform showed the log to with it.
	ViewerID, Subject string
	// User is the person signed in, and Role their role in Org.
	User *User
	Role string
	// Perms is what the caller may do in Org.
	Perms []Permission
}

// A User is a signed-in person, as the events they cause name them, and
// whether their account has MFA.
type User struct {
	ID, Email, Name string
	MFA             bool
}

// Can reports whether p may do perm in org.
func (p *Principal) Can(org string, perm Permission) bool {
	if p.Platform {
		return true
	}
	return p.Org != "" && p.Org == org && slices.Contains(p.Perms, perm)
}

// Member reports whether org is p's organization (or p is the platform),
// which decides whether org exists as far as p can tell.
func (p *Principal) Member(org string) bool { return p.Platform || p.Org != "" && p.Org == org }

// Actor returns p as the actor of the audit events its actions produce.
func (p *Principal) Actor() verify.Actor {
	switch {
	case p.Platform:
		return verify.Actor{Type: "system", ID: "platform", Name: "Platform"}
	case p.User != nil:
		return verify.Actor{Type: "user", ID: p.User.ID, Email: p.User.Email, Name: p.User.Name}
	case p.ViewerID != "":
		return verify.Actor{Type: "user", ID: p.Subject, Name: "viewer " + p.ViewerID}
	}
	return verify.Actor{Type: "api_key", ID: p.KeyID}
}

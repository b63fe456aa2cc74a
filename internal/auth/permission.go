package auth

import "slices"

// A Permission is something a caller may do in an organization. People
// get permissions from their role; API keys from their scopes, which map
// onto the same permissions; the platform token has them all.
type Permission string

const (
	AuditRead      Permission = "audit.read"      // read and search events, proofs, checkpoints
	AuditExport    Permission = "audit.export"    // export events
	AuditAlerts    Permission = "audit.alerts"    // manage alert rules
	AuditSettings  Permission = "audit.settings"  // change the organization's settings
	AuditAnonymize Permission = "audit.anonymize" // erase a person's data
	MembersManage  Permission = "members.manage"  // invite and remove members, change roles
	KeysManage     Permission = "keys.manage"     // create and revoke API keys

	// EventsSend is the platform's and API keys' alone: people never send
	// events of their own making, so no role grants it.
	EventsSend Permission = "events.send"
)

// Permissions lists the permissions a role may grant.
var Permissions = []Permission{AuditRead, AuditExport, AuditAlerts, AuditSettings, AuditAnonymize, MembersManage, KeysManage}

// The built-in roles. Owners and admins may do everything a role can
// grant; only owners make or unmake owners. Members see nothing of the
// audit log.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// BuiltinRoles lists the built-in roles, most powerful first.
var BuiltinRoles = []string{RoleOwner, RoleAdmin, RoleMember}

// BuiltinPermissions returns the permissions of a built-in role, and
// whether role is one.
func BuiltinPermissions(role string) ([]Permission, bool) {
	switch role {
	case RoleOwner, RoleAdmin:
		return Permissions, true
	case RoleMember:
		return nil, true
	}
	return nil, false
}

// ParsePermissions validates names as permissions a role may grant, in
// order, without repeats. None is allowed: a role that grants nothing.
func ParsePermissions(names []string) ([]Permission, error) {
	return parseNames(names, Permissions, "permission")
}

// scopePermissions is what each API key scope grants.
var scopePermissions = map[Scope][]Permission{
	EventsWrite:    {EventsSend},
	EventsRead:     {AuditRead},
	Export:         {AuditExport},
	AlertsManage:   {AuditAlerts},
	SettingsManage: {AuditSettings},
	Admin:          append([]Permission{EventsSend}, Permissions...),
}

// ScopePermissions returns what a key with scopes may do.
func ScopePermissions(scopes []Scope) []Permission {
	var out []Permission
	for _, s := range scopes {
		for _, p := range scopePermissions[s] {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// Package plan holds the subscription plans an organization can be on and
// what each includes.
package plan

import (
	"slices"
	"time"
)

// A Plan is what an organization's subscription includes.
type Plan struct {
	Name string
	// AuditLogs says whether the organization may view its logs. Events
	// are recorded on every plan, and become viewable on an upgrade.
	AuditLogs bool
	// Retention is how long events stay viewable by default; MaxRetention
	// how far an organization may extend it.
	Retention, MaxRetention time.Duration
	// SignedExports and Streaming are Enterprise features.
	SignedExports, Streaming bool
}

const day = 24 * time.Hour

var plans = []Plan{
	{Name: "free"},
	{Name: "developer"},
	{Name: "startup"},
	{Name: "professional", AuditLogs: true, Retention: 90 * day, MaxRetention: 90 * day},
	{Name: "enterprise", AuditLogs: true, Retention: 2 * 365 * day, MaxRetention: 7 * 365 * day, SignedExports: true, Streaming: true},
}

// Lookup returns the plan named name.
func Lookup(name string) (Plan, bool) {
	i := slices.IndexFunc(plans, func(p Plan) bool { return p.Name == name })
	if i < 0 {
		return Plan{}, false
	}
	return plans[i], true
}

// Names returns the plans' names, cheapest first.
func Names() []string {
	names := make([]string, len(plans))
	for i, p := range plans {
		names[i] = p.Name
	}
	return names
}

// WithAuditLogs returns the cheapest plan that includes audit logs, for
// telling organizations on others what to upgrade to.
func WithAuditLogs() string {
	for _, p := range plans {
		if p.AuditLogs {
			return p.Name
		}
	}
	return ""
}

// RetentionDays returns how many days events stay viewable for an
// organization on p that chose days (0: the plan's default): the choice
// within the plan's bounds, none on a plan without audit logs.
func (p Plan) RetentionDays(days int) int {
	if !p.AuditLogs {
		return 0
	}
	maxDays := int(p.MaxRetention / day)
	if days <= 0 {
		return int(p.Retention / day)
	}
	return min(days, maxDays)
}

package plan

import (
	"testing"
	"time"
)

func TestLookup(t *testing.T) {
	for _, tt := range []struct {
		name      string
		ok, audit bool
		retention time.Duration
	}{
		{"free", true, false, 0},
		{"developer", true, false, 0},
		{"startup", true, false, 0},
		{"professional", true, true, 90 * day},
		{"enterprise", true, true, 730 * day},
		{"Enterprise", false, false, 0},
		{"", false, false, 0},
	} {
		p, ok := Lookup(tt.name)
		if ok != tt.ok || p.AuditLogs != tt.audit || p.Retention != tt.retention {
			t.Errorf("Lookup(%q) = %+v, %v; want audit %v, retention %v, %v", tt.name, p, ok, tt.audit, tt.retention, tt.ok)
		}
	}
	if p, _ := Lookup("enterprise"); p.MaxRetention != 7*365*day || !p.SignedExports || !p.Streaming {
		t.Errorf("enterprise = %+v, want 7-year retention, signed exports, streaming", p)
	}
	if got := WithAuditLogs(); got != "professional" {
		t.Errorf("WithAuditLogs() = %q, want professional", got)
	}
	if got := len(Names()); got != 5 {
		t.Errorf("len(Names()) = %d, want 5", got)
	}
}

func TestRetentionDays(t *testing.T) {
	for _, tt := range []struct {
		plan string
		days int
		want int
	}{
		{"free", 0, 0},
		{"startup", 365, 0},
		{"professional", 0, 90},
		{"professional", 30, 30},
		{"professional", 365, 90}, // a choice made on a bigger plan
		{"enterprise", 0, 730},
		{"enterprise", 2555, 2555},
		{"enterprise", 9999, 2555},
	} {
		p, _ := Lookup(tt.plan)
		if got := p.RetentionDays(tt.days); got != tt.want {
			t.Errorf("%s.RetentionDays(%d) = %d, want %d", tt.plan, tt.days, got, tt.want)
		}
	}
}

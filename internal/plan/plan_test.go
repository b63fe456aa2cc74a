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

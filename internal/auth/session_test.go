package auth

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/sqlite"
)

// TestSession runs against a real store: a session works until it
// expires, wrong and malformed tokens never do, and InOrg gives a person
// their role's permissions in organizations they belong to only.
func TestSession(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stele.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	a := NewAuthenticator(st, NewPlatformToken(), func() time.Time { return now })

	token, sess := NewSession("usr_a", false, now)
	pendingToken, pending := NewSession("usr_a", true, now)
	err = st.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, o := range []string{"acme", "globex", "initech"} {
			if err := tx.CreateOrg(ctx, store.Org{ID: o, Name: o, Plan: "enterprise", TimeZone: "UTC", CreatedAt: now}); err != nil {
				return err
			}
		}
		if err := tx.CreateUser(ctx, store.User{ID: "usr_a", Email: "a@example.com", Name: "A", CreatedAt: now}); err != nil {
			return err
		}
		if err := tx.CreateRole(ctx, store.Role{Org: "acme", Name: "auditor", Permissions: []string{"audit.read"}, CreatedAt: now}); err != nil {
			return err
		}
		for org, role := range map[string]string{"acme": "auditor", "globex": "admin", "initech": "gone"} {
			if err := tx.AddMember(ctx, store.Member{Org: org, UserID: "usr_a", Role: role, CreatedAt: now}); err != nil {
				return err
			}
		}
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		return tx.CreateSession(ctx, pending)
	})
	if err != nil {
		t.Fatal(err)
	}

	p, got, err := a.Session(ctx, token)
	if err != nil || p.User == nil || p.User.ID != "usr_a" || p.User.Email != "a@example.com" || got.MFAPending || p.Org != "" {
		t.Fatalf("Session = %+v, %+v, %v", p, got, err)
	}
	if _, got, err := a.Session(ctx, pendingToken); err != nil || !got.MFAPending {
		t.Errorf("Session(pending) = %+v, %v", got, err)
	}
	other, _ := NewSession("usr_a", false, now)
	for _, bad := range []string{"", other, token + "a", token[:len(token)-1], strings.ToUpper(token), "stele_key_x"} {
		if _, _, err := a.Session(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("Session(%q) = %v, want ErrUnauthenticated", bad, err)
		}
	}

	for _, tt := range []struct {
		org   string
		role  string
		perms []Permission
	}{
		{"acme", "auditor", []Permission{AuditRead}},
		{"globex", "admin", Permissions},
		{"initech", "gone", nil}, // a custom role that does not exist grants nothing
	} {
		in, err := a.InOrg(ctx, p, tt.org)
		if err != nil || in.Org != tt.org || in.Role != tt.role || !slices.Equal(in.Perms, tt.perms) || !in.Member(tt.org) {
			t.Errorf("InOrg(%s) = %+v, %v; want role %s, perms %v", tt.org, in, err, tt.role, tt.perms)
		}
	}
	if _, err := a.InOrg(ctx, p, "hooli"); !errors.Is(err, ErrNotMember) {
		t.Errorf("InOrg(hooli) = %v, want ErrNotMember", err)
	}

	if csrf := CSRFToken(token); csrf == CSRFToken(other) || csrf != CSRFToken(strings.Clone(token)) || strings.Contains(token, csrf) || len(csrf) != 32 {
		t.Error("CSRF tokens are not per session")
	}

	now = now.Add(PendingTTL)
	if _, _, err := a.Session(ctx, pendingToken); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("pending session after PendingTTL: %v, want ErrUnauthenticated", err)
	}
	if _, _, err := a.Session(ctx, token); err != nil {
		t.Errorf("session after PendingTTL: %v", err)
	}
	now = now.Add(SessionTTL)
	if _, _, err := a.Session(ctx, token); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("session after SessionTTL: %v, want ErrUnauthenticated", err)
	}
}

package auth

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/sqlite"
)

func TestParseScopes(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string // error substring, or "" for success
	}{
		{[]string{"events:write"}, ""},
		{[]string{"events:read", "admin"}, ""},
		{nil, "at least one"},
		{[]string{"events:delete"}, "unknown scope"},
		{[]string{"Admin"}, "unknown scope"},
		{[]string{"admin", "admin"}, "twice"},
	} {
		got, err := ParseScopes(tt.in)
		switch {
		case tt.want == "" && (err != nil || len(got) != len(tt.in)):
			t.Errorf("ParseScopes(%q) = %v, %v; want %d scopes", tt.in, got, err, len(tt.in))
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ParseScopes(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestCan(t *testing.T) {
	platform := &Principal{Platform: true}
	writer := &Principal{Org: "acme", KeyID: "key_a", Scopes: []Scope{EventsWrite}, Perms: ScopePermissions([]Scope{EventsWrite})}
	admin := &Principal{Org: "acme", KeyID: "key_b", Scopes: []Scope{Admin}, Perms: ScopePermissions([]Scope{Admin})}
	auditor := &Principal{Org: "acme", User: &User{ID: "usr_a", Email: "a@example.com"}, Role: "auditor", Perms: []Permission{AuditRead}}
	outsider := &Principal{User: &User{ID: "usr_b"}} // a person not yet placed in an organization
	for _, tt := range []struct {
		p    *Principal
		org  string
		perm Permission
		want bool
	}{
		{platform, "anyone", KeysManage, true},
		{platform, "anyone", EventsSend, true},
		{writer, "acme", EventsSend, true},
		{writer, "acme", AuditRead, false},
		{writer, "other", EventsSend, false},
		{admin, "acme", AuditRead, true},
		{admin, "acme", AuditSettings, true},
		{admin, "acme", EventsSend, true},
		{admin, "other", AuditRead, false},
		{auditor, "acme", AuditRead, true},
		{auditor, "acme", AuditExport, false},
		{auditor, "other", AuditRead, false},
		{outsider, "", AuditRead, false},
	} {
		if got := tt.p.Can(tt.org, tt.perm); got != tt.want {
			t.Errorf("%+v.Can(%q, %q) = %v, want %v", tt.p, tt.org, tt.perm, got, tt.want)
		}
	}
	if writer.Member("other") || !writer.Member("acme") || !platform.Member("x") || outsider.Member("") {
		t.Error("Member is wrong")
	}
	if a := writer.Actor(); a.Type != "api_key" || a.ID != "key_a" {
		t.Errorf("Actor() = %+v", a)
	}
	if a := auditor.Actor(); a.Type != "user" || a.ID != "usr_a" || a.Email != "a@example.com" {
		t.Errorf("Actor() = %+v", a)
	}
}

// TestScopePermissions checks that every scope grants something, that
// admin grants everything, and that no scope but admin grants what only
// people with a role get.
func TestScopePermissions(t *testing.T) {
	for _, s := range Scopes {
		if len(ScopePermissions([]Scope{s})) == 0 {
			t.Errorf("scope %s grants nothing", s)
		}
	}
	all := ScopePermissions([]Scope{Admin})
	for _, p := range append([]Permission{EventsSend}, Permissions...) {
		if !slices.Contains(all, p) {
			t.Errorf("admin lacks %s", p)
		}
	}
	got := ScopePermissions([]Scope{EventsRead, Export, EventsRead})
	if !slices.Equal(got, []Permission{AuditRead, AuditExport}) {
		t.Errorf("ScopePermissions(read, export, read) = %v", got)
	}
	for _, role := range BuiltinRoles {
		perms, ok := BuiltinPermissions(role)
		if !ok || slices.Contains(perms, EventsSend) {
			t.Errorf("BuiltinPermissions(%s) = %v, %v", role, perms, ok)
		}
	}
	if perms, _ := BuiltinPermissions(RoleMember); len(perms) != 0 {
		t.Errorf("members may %v, want nothing", perms)
	}
	if _, ok := BuiltinPermissions("auditor"); ok {
		t.Error("auditor is built in")
	}
}

func TestParsePermissions(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string // error substring, or "" for success
	}{
		{nil, ""},
		{[]string{"audit.read", "audit.export"}, ""},
		{[]string{"events.send"}, "unknown permission"},
		{[]string{"audit.READ"}, "unknown permission"},
		{[]string{"audit.read", "audit.read"}, "twice"},
	} {
		got, err := ParsePermissions(tt.in)
		switch {
		case tt.want == "" && (err != nil || len(got) != len(tt.in)):
			t.Errorf("ParsePermissions(%q) = %v, %v; want %d", tt.in, got, err, len(tt.in))
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ParsePermissions(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestTokens(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	key, k := NewAPIKey("acme", "ci", []Scope{EventsWrite}, now)
	id, ok := keyID(key)
	if !ok || id != k.ID || !ValidKeyID(k.ID) {
		t.Fatalf("keyID(%q) = %q, %v; want %q", key, id, ok, k.ID)
	}
	if string(k.Hash) != string(Hash(key)) || k.Org != "acme" || k.Scopes[0] != "events:write" || !k.CreatedAt.Equal(now) {
		t.Errorf("NewAPIKey record = %+v", k)
	}
	key2, _ := NewAPIKey("acme", "ci", []Scope{EventsWrite}, now)
	if key2 == key {
		t.Error("two keys are equal")
	}
	if p := NewPlatformToken(); !strings.HasPrefix(p, platformPrefix) || len(p) != len(platformPrefix)+secretLen {
		t.Errorf("NewPlatformToken() = %q", p)
	}
	for _, bad := range []string{
		"", "stele_key_", key[:len(key)-1], key + "a", strings.Replace(key, "_", "-", 2),
		strings.ToUpper(key), "stele_key_" + strings.Repeat("a", 16) + "_" + strings.Repeat("1", 32),
	} {
		if _, ok := keyID(bad); ok {
			t.Errorf("keyID(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "key_", "key_short", "key_" + strings.Repeat("A", 16), strings.Repeat("a", 20)} {
		if ValidKeyID(bad) {
			t.Errorf("ValidKeyID(%q) = true", bad)
		}
	}
}

// TestAuthenticate runs against a real store: keys work until revoked;
// wrong, malformed and other orgs' keys never do; the cache forgets a
// revoked key at once when told, and by itself within CacheTTL.
func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stele.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mu sync.Mutex
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	platform := NewPlatformToken()
	a := NewAuthenticator(st, platform, clock)

	key, k := NewAPIKey("acme", "ci", []Scope{EventsWrite, EventsRead}, now)
	key2, k2 := NewAPIKey("acme", "other", []Scope{Admin}, now)
	err = st.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateOrg(ctx, store.Org{ID: "acme", Name: "Acme", Plan: "enterprise", TimeZone: "UTC", CreatedAt: now}); err != nil {
			return err
		}
		if err := tx.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		return tx.CreateAPIKey(ctx, k2)
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := a.Authenticate(ctx, platform); err != nil || !p.Platform {
		t.Errorf("platform token: %+v, %v", p, err)
	}
	p, err := a.Authenticate(ctx, key)
	if err != nil || p.Org != "acme" || p.KeyID != k.ID || !p.Can("acme", AuditRead) || p.Can("acme", KeysManage) {
		t.Fatalf("key: %+v, %v", p, err)
	}
	forged := key[:len(key)-1] + map[bool]string{true: "b", false: "a"}[key[len(key)-1] == 'a']
	for _, bad := range []string{"", "Bearer", platform + "x", forged, "stele_key_" + strings.Repeat("a", 16) + "_" + strings.Repeat("a", 32)} {
		if _, err := a.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("Authenticate(%q) = %v, want ErrUnauthenticated", bad, err)
		}
	}

	revoke := func(id string) {
		err := st.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error { return tx.RevokeAPIKey(ctx, "acme", id, now) })
		if err != nil {
			t.Fatal(err)
		}
	}
	// Revoked and forgotten: refused at once.
	revoke(k.ID)
	a.Forget(k.ID)
	if _, err := a.Authenticate(ctx, key); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("revoked key: %v, want ErrUnauthenticated", err)
	}
	// Revoked elsewhere (not forgotten here): works from the cache until
	// CacheTTL, then refused.
	if _, err := a.Authenticate(ctx, key2); err != nil {
		t.Fatal(err)
	}
	revoke(k2.ID)
	if _, err := a.Authenticate(ctx, key2); err != nil {
		t.Errorf("cached key within CacheTTL: %v", err)
	}
	advance(CacheTTL)
	if _, err := a.Authenticate(ctx, key2); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("revoked key after CacheTTL: %v, want ErrUnauthenticated", err)
	}
}

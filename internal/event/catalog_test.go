package event

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestDefaultCatalog(t *testing.T) {
	want := map[string][]string{
		"auth": {"auth.login", "auth.logout", "auth.failed", "auth.mfa_enabled", "auth.password_changed",
			"auth.mfa_enrollment_started"},
		"member":   {"member.invited", "member.joined", "member.removed", "member.role_changed"},
		"team":     {"team.created", "team.deleted", "team.member_added", "team.member_removed"},
		"project":  {"project.created", "project.deleted", "project.access_granted", "project.access_revoked"},
		"contract": {"contract.uploaded", "contract.deleted", "contract.scanned"},
		"finding":  {"finding.status_changed", "finding.assigned", "finding.commented"},
		"settings": {"org.settings_changed", "org.billing_updated", "api_key.created", "api_key.revoked",
			"org.created", "role.created", "viewer_token.created", "viewer_token.revoked"},
		"audit": {"audit.exported", "audit.viewed", "alert.created", "alert.updated", "alert.deleted", "alert.triggered",
			"retention.changed", "subject.anonymized", "stream.created", "stream.deleted", "stream.updated"},
	}
	personalTarget := []string{"member.invited", "member.joined", "member.removed", "member.role_changed",
		"team.member_added", "team.member_removed", "project.access_granted", "project.access_revoked", "subject.anonymized"}
	c := Default()
	var names []string
	for cat, types := range want {
		for _, name := range types {
			names = append(names, name)
			typ, ok := c.Lookup(name)
			if !ok || typ.Name != name || typ.Category != cat {
				t.Errorf("Lookup(%q) = %+v, %v, want category %s", name, typ, ok, cat)
			}
			if got := slices.Contains(personalTarget, name); typ.PersonalTarget != got {
				t.Errorf("Lookup(%q).PersonalTarget = %v, want %v", name, typ.PersonalTarget, got)
			}
			if !slices.Contains(typ.PersonalDetails, "email") || !slices.IsSorted(typ.PersonalDetails) {
				t.Errorf("Lookup(%q).PersonalDetails = %q, want sorted, with email", name, typ.PersonalDetails)
			}
		}
	}
	slices.Sort(names)
	var got []string
	for _, typ := range c.Types() {
		got = append(got, typ.Name)
	}
	if !reflect.DeepEqual(got, names) {
		t.Errorf("Types() = %q, want %q", got, names)
	}
	cats := []string{"audit", "auth", "contract", "finding", "member", "project", "settings", "team"}
	if got := c.Categories(); !reflect.DeepEqual(got, cats) {
		t.Errorf("Categories() = %q, want %q", got, cats)
	}
}

func TestPersonalDetails(t *testing.T) {
	c := Default()
	for _, tt := range []struct {
		name, key string
	}{
		{"member.invited", "email"},
		{"member.invited", "name"},
		{"auth.failed", "username"},
		{"auth.mfa_enabled", "phone"},
		{"finding.assigned", "assignee"},
		{"finding.assigned", "previous_assignee"},
		{"finding.commented", "comment"},
		{"org.billing_updated", "billing_email"},
		{"audit.exported", "query"},
		{"alert.created", "recipients"},
		{"alert.triggered", "group"},
		{"subject.anonymized", "subject"},
	} {
		typ, _ := c.Lookup(tt.name)
		if !slices.Contains(typ.PersonalDetails, tt.key) {
			t.Errorf("Lookup(%q).PersonalDetails = %q, want %q in it", tt.name, typ.PersonalDetails, tt.key)
		}
	}
	typ, _ := c.Lookup("team.created")
	if slices.Contains(typ.PersonalDetails, "name") { // a team's name
		t.Errorf("Lookup(team.created).PersonalDetails = %q, want no name", typ.PersonalDetails)
	}
}

func TestLookup(t *testing.T) {
	c := Default()
	for _, tt := range []struct {
		in   string
		want string
	}{
		{"auth.login", "auth.login"},
		{"AUTH.LOGIN", "auth.login"},
		{"Api_Key.Created", "api_key.created"},
		{"api_\u212Aey.created", ""}, // Kelvin sign lowercases to k in Unicode, not here
		{"API_\u212AEY.CREATED", ""},
		{"auth.logın", ""},
		{"auth.login ", ""},
		{"auth", ""},
		{"", ""},
	} {
		typ, ok := c.Lookup(tt.in)
		if typ.Name != tt.want || ok != (tt.want != "") {
			t.Errorf("Lookup(%q) = %q, %v, want %q", tt.in, typ.Name, ok, tt.want)
		}
	}
	// What Lookup and Types return is the caller's to change.
	typ, _ := c.Lookup("member.invited")
	typ.PersonalDetails[0] = "changed"
	c.Types()[0].PersonalDetails[0] = "changed"
	if typ, _ := c.Lookup("member.invited"); slices.Contains(typ.PersonalDetails, "changed") {
		t.Errorf("Lookup(member.invited).PersonalDetails = %q after a caller changed a copy", typ.PersonalDetails)
	}
	var zero Catalog
	if _, ok := zero.Lookup("auth.login"); ok || zero.Types() != nil || len(zero.Categories()) != 0 {
		t.Errorf("zero Catalog has types, want none")
	}
}

func TestRegister(t *testing.T) {
	for _, tt := range []struct {
		typ Type
		ok  bool
	}{
		{Type{Name: "deploy.started", Category: "deploy"}, true},
		{Type{Name: "a.b.c_1", Category: "x_2", PersonalTarget: true, PersonalDetails: []string{"owner", "a.b"}}, true},
		{Type{Name: "auth.login", Category: "auth"}, false}, // built-in
		{Type{Name: "auth.login", Category: "custom"}, false},
		{Type{Name: "deploy", Category: "deploy"}, false},
		{Type{Name: "Deploy.Started", Category: "deploy"}, false},
		{Type{Name: "deploy..started", Category: "deploy"}, false},
		{Type{Name: ".deploy", Category: "deploy"}, false},
		{Type{Name: "deploy.", Category: "deploy"}, false},
		{Type{Name: "deploy.start-ed", Category: "deploy"}, false},
		{Type{Name: "deploy.started", Category: ""}, false},
		{Type{Name: "deploy.started", Category: "De ploy"}, false},
		{Type{Name: "deploy.started", Category: "deploy", PersonalDetails: []string{""}}, false},
		{Type{Name: "deploy.started", Category: "deploy", PersonalDetails: []string{"a", "a"}}, false},
		{Type{Name: "deploy.started", Category: "deploy", PersonalDetails: []string{"\xff"}}, false},
	} {
		c := Default()
		err := c.Register(tt.typ)
		if (err == nil) != tt.ok {
			t.Errorf("Register(%+v) = %v, want ok %v", tt.typ, err, tt.ok)
			continue
		}
		got, found := c.Lookup(tt.typ.Name)
		if tt.ok && (!found || got.Category != tt.typ.Category || !slices.Equal(got.PersonalDetails, slices.Sorted(slices.Values(tt.typ.PersonalDetails)))) {
			t.Errorf("Lookup(%q) after Register = %+v, %v, want %+v", tt.typ.Name, got, found, tt.typ)
		}
		if b, _ := c.Lookup("auth.login"); b.Category != "auth" {
			t.Errorf("Lookup(auth.login) after Register(%+v) = %+v, want the built-in", tt.typ, b)
		}
	}
}

func TestRegisterIsolation(t *testing.T) {
	a, b := Default(), Default()
	if err := a.Register(Type{Name: "x.y", Category: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Register(Type{Name: "x.y", Category: "z"}); err != nil { // replaces
		t.Fatal(err)
	}
	if typ, _ := a.Lookup("x.y"); typ.Category != "z" {
		t.Errorf("Lookup(x.y) = %+v, want category z", typ)
	}
	if _, ok := b.Lookup("x.y"); ok {
		t.Errorf("Default() shares registrations with another Default()")
	}
	if _, ok := Default().Lookup("x.y"); ok || slices.Contains(Default().Categories(), "z") {
		t.Errorf("Default() has a type registered in another catalog")
	}
	var zero Catalog
	if err := zero.Register(Type{Name: "x.y", Category: "x"}); err != nil {
		t.Fatal(err)
	}
	if got := zero.Types(); len(got) != 1 || got[0].Name != "x.y" {
		t.Errorf("zero catalog Types() after Register = %+v, want x.y only", got)
	}
}

func TestCatalogConcurrency(t *testing.T) {
	c := Default()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 200 {
				name := fmt.Sprintf("custom%d.t%d", i, j)
				if err := c.Register(Type{Name: name, Category: "custom"}); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for range 2000 {
				if _, ok := c.Lookup("auth.login"); !ok {
					t.Error("Lookup(auth.login) failed during Register")
				}
				if _, err := ParseEvent([]byte(entry("")), now, c); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	n := 0
	for _, typ := range c.Types() {
		if strings.HasPrefix(typ.Name, "custom") {
			n++
		}
	}
	if n != 800 {
		t.Errorf("Types() has %d registered types, want 800", n)
	}
}

package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// paris is a zone other than UTC, for times that must come back in UTC.
var paris = time.FixedZone("CET", 3600)

// before1970 is a time with a negative Unix time, to the nanosecond.
var before1970 = time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.FixedZone("UTC-3", -3*3600))

// newOrg returns a plain organization with id.
func newOrg(id string) store.Org {
	return store.Org{
		ID:        id,
		Name:      "Org " + id,
		Plan:      "startup",
		TimeZone:  "Europe/Paris",
		CreatedAt: base.In(paris),
	}
}

// newKey returns a plain key of org with id, created age seconds after
// base.
func newKey(org, id string, age int) store.APIKey {
	return store.APIKey{
		ID:        id,
		Org:       org,
		Name:      "key " + id,
		Scopes:    []string{"events:write", "events:read"},
		Hash:      hash("key " + id),
		CreatedAt: base.Add(time.Duration(age) * time.Second),
	}
}

// sameOrg reports whether got is want, with its time in UTC.
func sameOrg(got, want store.Org) bool {
	return got.ID == want.ID && got.Name == want.Name && got.Plan == want.Plan &&
		got.TimeZone == want.TimeZone && got.RetentionDays == want.RetentionDays &&
		got.RequireMFA == want.RequireMFA && sameTime(got.CreatedAt, want.CreatedAt)
}

// sameKey reports whether got is want, with its times in UTC. Scopes
// compare by length and elements: an empty list may come back nil or
// empty (the suite checks elsewhere that a backend picks one).
func sameKey(got, want store.APIKey) bool {
	return got.ID == want.ID && got.Org == want.Org && got.Name == want.Name &&
		slices.Equal(got.Scopes, want.Scopes) && bytes.Equal(got.Hash, want.Hash) &&
		sameTime(got.CreatedAt, want.CreatedAt) && sameTime(got.RevokedAt, want.RevokedAt)
}

// sameTime reports whether got is the instant want, in UTC; the zero time
// matches only itself.
func sameTime(got, want time.Time) bool {
	if want.IsZero() {
		return got.IsZero()
	}
	return got.Equal(want) && got.Location() == time.UTC
}

// showKey formats k for a failure message.
func showKey(k store.APIKey) string {
	return fmt.Sprintf("{%s of %s %q scopes %q hash %.4x… created %v revoked %v}",
		k.ID, k.Org, k.Name, k.Scopes, k.Hash, k.CreatedAt, k.RevokedAt)
}

func keyIDs(keys []store.APIKey) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

// errName names the sentinel errors in failure messages.
func errName(err error) string {
	switch err {
	case store.ErrNotFound:
		return "ErrNotFound"
	case store.ErrConflict:
		return "ErrConflict"
	}
	return fmt.Sprint(err)
}

// register registers orgs in one write transaction.
func register(t *testing.T, s store.Store, orgs ...store.Org) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, o := range orgs {
			if err := tx.CreateOrg(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
}

// createKeys stores keys in one write transaction.
func createKeys(t *testing.T, s store.Store, keys ...store.APIKey) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, k := range keys {
			if err := tx.CreateAPIKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// readBoth runs check in a read transaction, then in a write transaction
// that writes nothing: a backend may read through other connections, or
// other statements, when it writes.
func readBoth(t *testing.T, s store.Store, check func(ctx context.Context, when string, r store.Reader)) {
	t.Helper()
	read(t, s, func(ctx context.Context, r store.Reader) error {
		check(ctx, "in Read", r)
		return nil
	})
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		check(ctx, "in ReadWrite", tx)
		return nil
	})
}

// writeFails checks that each write transaction fails with its sentinel
// error, which its f returns as it gets it.
func writeFails(t *testing.T, s store.Store, tests []struct {
	name string
	f    func(ctx context.Context, tx store.Tx) error
	want error
}) {
	t.Helper()
	for _, tt := range tests {
		if err := s.ReadWrite(t.Context(), tt.f); !errors.Is(err, tt.want) {
			t.Errorf("%s = %v, want %s", tt.name, err, errName(tt.want))
		}
	}
}

// checkOrg fails t unless r's Org(want.ID) is want.
func checkOrg(t *testing.T, ctx context.Context, when string, r store.Reader, want store.Org) {
	t.Helper()
	if got, err := r.Org(ctx, want.ID); err != nil || !sameOrg(got, want) {
		t.Errorf("%s: Org(%s) = %+v, %v, want %+v", when, want.ID, got, err, want)
	}
}

// checkNoOrg fails t unless r's Org(id) is ErrNotFound.
func checkNoOrg(t *testing.T, ctx context.Context, when string, r store.Reader, id string) {
	t.Helper()
	if got, err := r.Org(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: Org(%s) = %+v, %v, want ErrNotFound", when, id, got, err)
	}
}

// checkKeys fails t unless r's APIKeys(org) are want, in order, and
// APIKey finds each of them.
func checkKeys(t *testing.T, ctx context.Context, when string, r store.Reader, org string, want ...store.APIKey) {
	t.Helper()
	got, err := r.APIKeys(ctx, org)
	if err != nil || !slices.Equal(keyIDs(got), keyIDs(want)) {
		t.Errorf("%s: APIKeys(%s) = %q, %v, want %q", when, org, keyIDs(got), err, keyIDs(want))
		return
	}
	for i, k := range got {
		if !sameKey(k, want[i]) {
			t.Errorf("%s: APIKeys(%s)[%d] = %s, want %s", when, org, i, showKey(k), showKey(want[i]))
		}
		if k, err := r.APIKey(ctx, want[i].ID); err != nil || !sameKey(k, want[i]) {
			t.Errorf("%s: APIKey(%s) = %s, %v, want %s", when, want[i].ID, showKey(k), err, showKey(want[i]))
		}
	}
}

// checkNoKey fails t unless r's APIKey(id) is ErrNotFound.
func checkNoKey(t *testing.T, ctx context.Context, when string, r store.Reader, id string) {
	t.Helper()
	if k, err := r.APIKey(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: APIKey(%s) = %s, %v, want ErrNotFound", when, id, showKey(k), err)
	}
}

// testRegister checks that CreateOrg registers an organization with every
// field as given, creating its empty log, and registers it only once.
func testRegister(t *testing.T, open Opener) {
	s := openStore(t, open, "register")
	orgs := []store.Org{
		newOrg("acme"),
		{
			ID:        "ünï 名前",
			Name:      "Ünïcode \"Quoted\" <b>&amp;</b> '名前'\t\n",
			Plan:      "enterprise",
			TimeZone:  "America/Argentina/Buenos_Aires",
			CreatedAt: before1970,
			// RetentionDays and RequireMFA are kept as registered.
			RetentionDays: 365,
			RequireMFA:    true,
		},
		{ID: "bare", CreatedAt: time.Unix(0, 1)}, // empty name, plan and time zone
	}
	read(t, s, func(ctx context.Context, r store.Reader) error {
		for _, o := range orgs {
			checkNoOrg(t, ctx, "before CreateOrg", r, o.ID)
		}
		return nil
	})
	register(t, s, orgs...)
	check := func(ctx context.Context, when string, r store.Reader) {
		for _, o := range orgs {
			checkOrg(t, ctx, when, r, o)
			if h, err := r.Head(ctx, o.ID); err != nil || h != (store.Head{}) {
				t.Errorf("%s: Head(%s) = %v, %v, want an empty head", when, o.ID, h, err)
			}
			if keys, err := r.APIKeys(ctx, o.ID); err != nil || len(keys) != 0 {
				t.Errorf("%s: APIKeys(%s) = %q, %v, want none", when, o.ID, keyIDs(keys), err)
			}
		}
		if ids, err := r.Orgs(ctx); err != nil || !slices.Equal(ids, []string{"acme", "bare", "ünï 名前"}) {
			t.Errorf("%s: Orgs() = %q, %v, want the three registered", when, ids, err)
		}
		checkNoOrg(t, ctx, when, r, "nobody")
		checkNoOrg(t, ctx, when, r, "ACME")
	}
	readBoth(t, s, check)

	// Registering again is a conflict and changes nothing.
	for _, o := range orgs {
		again := store.Org{ID: o.ID, Name: "Impostor", Plan: "free", TimeZone: "UTC", CreatedAt: base.Add(time.Hour)}
		err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
			return tx.CreateOrg(ctx, again)
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateOrg(%s) again = %v, want ErrConflict", o.ID, err)
		}
	}
	readBoth(t, s, check)
}

// testRegisterLog checks that registering an organization whose log the
// ledger created keeps the log as it is, and that the log carries on.
func testRegisterLog(t *testing.T, open Opener) {
	s := openStore(t, open, "register-log")
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "logged", 3) })
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		checkNoOrg(t, ctx, when+", before CreateOrg", r, "logged")
		if keys, err := r.APIKeys(ctx, "logged"); err != nil || len(keys) != 0 {
			t.Errorf("%s, before CreateOrg: APIKeys(logged) = %q, %v, want none", when, keyIDs(keys), err)
		}
		stateOf(t, ctx, r, "logged").compare(t, when+", before CreateOrg", "logged", filled("logged", 3))
	})
	// A log is not a registered organization.
	writeFails(t, s, []struct {
		name string
		f    func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"UpdateOrg(logged)", func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateOrg(ctx, newOrg("logged"))
		}, store.ErrNotFound},
		{"CreateAPIKey(logged's)", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateAPIKey(ctx, newKey("logged", "k_logged", 0))
		}, store.ErrNotFound},
	})

	want := newOrg("logged")
	register(t, s, want)
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		checkOrg(t, ctx, when+", after CreateOrg", r, want)
		stateOf(t, ctx, r, "logged").compare(t, when+", after CreateOrg", "logged", filled("logged", 3))
		if ids, err := r.Orgs(ctx); err != nil || !slices.Equal(ids, []string{"logged"}) {
			t.Errorf("%s, after CreateOrg: Orgs() = %q, %v, want [logged]", when, ids, err)
		}
	})
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "logged", 2) })
	createKeys(t, s, newKey("logged", "k_logged", 0))
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		checkOrg(t, ctx, when+", after more events", r, want)
		stateOf(t, ctx, r, "logged").compare(t, when+", after more events", "logged", filled("logged", 3, 2))
		checkKeys(t, ctx, when, r, "logged", newKey("logged", "k_logged", 0))
	})
}

// testUpdateOrg checks that UpdateOrg replaces name, plan and time zone,
// keeps CreatedAt, and needs a registered organization.
func testUpdateOrg(t *testing.T, open Opener) {
	s := openStore(t, open, "update-org")
	acme, other := newOrg("acme"), newOrg("other")
	register(t, s, acme, other)
	for _, u := range []store.Org{
		{ID: "acme", Name: "Acme Corporation", Plan: "enterprise", TimeZone: "Asia/Kolkata", RetentionDays: 2555, RequireMFA: true, CreatedAt: base.Add(time.Hour)},
		{ID: "acme", Name: "Ünïcode 名前 \"q\"", Plan: "free", TimeZone: "UTC"},
		{ID: "acme"}, // empty strings replace too
		{ID: "acme", Name: "Acme", Plan: "professional", TimeZone: "Europe/Paris", CreatedAt: before1970},
	} {
		write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateOrg(ctx, u) })
		want := u
		want.CreatedAt = acme.CreatedAt
		readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
			when = fmt.Sprintf("%s, after UpdateOrg(%+v)", when, u)
			checkOrg(t, ctx, when, r, want)
			checkOrg(t, ctx, when, r, other)
		})
	}
	writeFails(t, s, []struct {
		name string
		f    func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"UpdateOrg(nobody)", func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateOrg(ctx, newOrg("nobody"))
		}, store.ErrNotFound},
	})
	read(t, s, func(ctx context.Context, r store.Reader) error {
		checkNoOrg(t, ctx, "after UpdateOrg(nobody)", r, "nobody")
		if ids, err := r.Orgs(ctx); err != nil || !slices.Equal(ids, []string{"acme", "other"}) {
			t.Errorf("after UpdateOrg(nobody): Orgs() = %q, %v, want [acme other]", ids, err)
		}
		return nil
	})
}

// testAPIKeys checks that keys come back with every field as stored,
// listed oldest first (ties by id) and only with their own organization,
// and that CreateAPIKey refuses unregistered organizations and ids taken
// in any organization.
func testAPIKeys(t *testing.T, open Opener) {
	s := openStore(t, open, "api-keys")
	register(t, s, newOrg("acme"), newOrg("other"))
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "logged", 1) })

	k3 := newKey("acme", "k_acme_3", 3)
	k1 := store.APIKey{ID: "k_acme_1", Org: "acme", Scopes: nil, Hash: hash("k1"),
		CreatedAt: base.Add(time.Second).In(paris)}
	k2b := store.APIKey{ID: "k_acme_2b", Org: "acme", Name: "Ünïcode 名前 \"q\" <b>",
		Scopes: []string{"z:write", "a:read", "events:read", "a:read", "", "\"quoted\", [x]"},
		Hash:   hash("k2b"), CreatedAt: base.Add(2*time.Second + 1)}
	k2a := store.APIKey{ID: "k_acme_2a", Org: "acme", Name: "made with 2b", Scopes: []string{},
		Hash: hash("k2a"), CreatedAt: k2b.CreatedAt.In(paris)}
	old := store.APIKey{ID: "k_acme_old", Org: "acme", Name: "made revoked", Scopes: []string{"admin"},
		Hash: hash("old"), CreatedAt: before1970, RevokedAt: base.Add(-time.Nanosecond).In(paris)}
	ko := newKey("other", "k_other", 0)
	// Stored in an order that is neither creation nor id order.
	createKeys(t, s, k3, k1, k2b, ko, k2a)
	createKeys(t, s, old)

	check := func(ctx context.Context, when string, r store.Reader) {
		checkKeys(t, ctx, when, r, "acme", old, k1, k2a, k2b, k3)
		checkKeys(t, ctx, when, r, "other", ko)
		for _, org := range []string{"logged", "nobody", "ACME"} {
			if keys, err := r.APIKeys(ctx, org); err != nil || len(keys) != 0 {
				t.Errorf("%s: APIKeys(%s) = %q, %v, want none", when, org, keyIDs(keys), err)
			}
		}
		for _, id := range []string{"nokey", "K_ACME_1", "k_acme", "k_logged", "k_nobody"} {
			checkNoKey(t, ctx, when, r, id)
		}
		// A backend gives back an empty list of scopes always nil or
		// always not.
		var nils []bool
		for _, id := range []string{k1.ID, k2a.ID} {
			if k, err := r.APIKey(ctx, id); err == nil {
				nils = append(nils, k.Scopes == nil)
			}
		}
		if keys, err := r.APIKeys(ctx, "acme"); err == nil {
			for _, k := range keys {
				if len(k.Scopes) == 0 {
					nils = append(nils, k.Scopes == nil)
				}
			}
		}
		if slices.Contains(nils, true) && slices.Contains(nils, false) {
			t.Errorf("%s: empty scopes came back nil and not: %v", when, nils)
		}
	}
	readBoth(t, s, check)

	taken := k3
	taken.Name, taken.Hash, taken.CreatedAt = "impostor", hash("impostor"), base
	elsewhere := k1
	elsewhere.Org = "other"
	writeFails(t, s, []struct {
		name string
		f    func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"CreateAPIKey(nobody's)", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateAPIKey(ctx, newKey("nobody", "k_nobody", 0))
		}, store.ErrNotFound},
		{"CreateAPIKey(logged's)", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateAPIKey(ctx, newKey("logged", "k_logged", 0))
		}, store.ErrNotFound},
		{"CreateAPIKey(k_acme_3 again)", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateAPIKey(ctx, taken)
		}, store.ErrConflict},
		{"CreateAPIKey(k_acme_1 of other)", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateAPIKey(ctx, elsewhere)
		}, store.ErrConflict},
	})
	readBoth(t, s, check)
	read(t, s, func(ctx context.Context, r store.Reader) error {
		if ids, err := r.Orgs(ctx); err != nil || !slices.Equal(ids, []string{"acme", "logged", "other"}) {
			t.Errorf("after failed CreateAPIKey: Orgs() = %q, %v, want [acme logged other]", ids, err)
		}
		checkNoOrg(t, ctx, "after failed CreateAPIKey", r, "logged")
		return nil
	})
}

// testRevoke checks that RevokeAPIKey keeps the first revocation time and
// reaches only the named organization's keys.
func testRevoke(t *testing.T, open Opener) {
	s := openStore(t, open, "revoke")
	register(t, s, newOrg("acme"), newOrg("other"))
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "logged", 1) })
	a1, a2, b1 := newKey("acme", "a1", 1), newKey("acme", "a2", 2), newKey("other", "b1", 1)
	old := newKey("acme", "a0", 0)
	old.RevokedAt = base.Add(time.Minute)
	createKeys(t, s, a1, a2, b1, old)

	revoke := func(org, id string, at time.Time) func(ctx context.Context, tx store.Tx) error {
		return func(ctx context.Context, tx store.Tx) error { return tx.RevokeAPIKey(ctx, org, id, at) }
	}
	at := base.Add(time.Hour + time.Nanosecond).In(paris)
	writeFails(t, s, []struct {
		name string
		f    func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"RevokeAPIKey(other, a1)", revoke("other", "a1", at), store.ErrNotFound},
		{"RevokeAPIKey(acme, b1)", revoke("acme", "b1", at), store.ErrNotFound},
		{"RevokeAPIKey(acme, nokey)", revoke("acme", "nokey", at), store.ErrNotFound},
		{"RevokeAPIKey(acme, A1)", revoke("acme", "A1", at), store.ErrNotFound},
		{"RevokeAPIKey(nobody, a1)", revoke("nobody", "a1", at), store.ErrNotFound},
		{"RevokeAPIKey(logged, a1)", revoke("logged", "a1", at), store.ErrNotFound},
	})
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		when += ", after failed revocations"
		checkKeys(t, ctx, when, r, "acme", old, a1, a2)
		checkKeys(t, ctx, when, r, "other", b1)
	})

	write(t, s, revoke("acme", "a1", at))
	write(t, s, revoke("other", "b1", at.Add(time.Second)))
	write(t, s, revoke("acme", "a0", at))
	ra1, rb1 := a1, b1
	ra1.RevokedAt, rb1.RevokedAt = at, at.Add(time.Second)
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		when += ", after revoking"
		checkKeys(t, ctx, when, r, "acme", old, ra1, a2)
		checkKeys(t, ctx, when, r, "other", rb1)
	})

	// Revoking again, later or earlier, in one transaction or several,
	// keeps the first time.
	write(t, s, revoke("acme", "a1", at.Add(time.Hour)))
	write(t, s, revoke("acme", "a1", at.Add(-time.Hour)))
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, d := range []time.Duration{0, time.Hour, -time.Hour} {
			if err := tx.RevokeAPIKey(ctx, "acme", "a2", at.Add(d)); err != nil {
				return err
			}
		}
		return nil
	})
	ra2 := a2
	ra2.RevokedAt = at
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		when += ", after revoking again"
		checkKeys(t, ctx, when, r, "acme", old, ra1, ra2)
		checkKeys(t, ctx, when, r, "other", rb1)
	})
}

// testOrgRollback checks that organizations and keys a failed transaction
// wrote don't persist, whether f failed on its own or on a store error.
func testOrgRollback(t *testing.T, open Opener) {
	s := openStore(t, open, "org-rollback")
	acme := newOrg("acme")
	a1 := newKey("acme", "a1", 1)
	register(t, s, acme)
	createKeys(t, s, a1)
	write(t, s, func(ctx context.Context, tx store.Tx) error { return fill(ctx, tx, "logged", 2) })

	changed := store.Org{ID: "acme", Name: "Changed", Plan: "free", TimeZone: "UTC"}
	err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		for _, w := range []struct {
			name string
			err  error
		}{
			{"CreateOrg(new)", tx.CreateOrg(ctx, newOrg("new"))},
			{"CreateOrg(logged)", tx.CreateOrg(ctx, newOrg("logged"))},
			{"UpdateOrg(acme)", tx.UpdateOrg(ctx, changed)},
			{"CreateAPIKey(a2)", tx.CreateAPIKey(ctx, newKey("acme", "a2", 2))},
			{"CreateAPIKey(n1)", tx.CreateAPIKey(ctx, newKey("new", "n1", 1))},
			{"CreateAPIKey(l1)", tx.CreateAPIKey(ctx, newKey("logged", "l1", 1))},
			{"RevokeAPIKey(acme, a1)", tx.RevokeAPIKey(ctx, "acme", "a1", base)},
		} {
			if w.err != nil {
				t.Errorf("in a transaction bound to fail: %s = %v", w.name, w.err)
			}
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("ReadWrite = %v, want boom", err)
	}
	err = s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateAPIKey(ctx, newKey("acme", "a3", 3)); err != nil {
			t.Errorf("CreateAPIKey(a3) = %v", err)
		}
		if err := tx.RevokeAPIKey(ctx, "acme", "a1", base); err != nil {
			t.Errorf("RevokeAPIKey(acme, a1) = %v", err)
		}
		return tx.CreateOrg(ctx, acme)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("ReadWrite ending with CreateOrg(acme) again = %v, want ErrConflict", err)
	}
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		when += ", after rollback"
		checkOrg(t, ctx, when, r, acme)
		checkNoOrg(t, ctx, when, r, "new")
		checkNoOrg(t, ctx, when, r, "logged")
		checkKeys(t, ctx, when, r, "acme", a1)
		for _, id := range []string{"a2", "a3", "n1", "l1"} {
			checkNoKey(t, ctx, when, r, id)
		}
		stateOf(t, ctx, r, "logged").compare(t, when, "logged", filled("logged", 2))
		if ids, err := r.Orgs(ctx); err != nil || !slices.Equal(ids, []string{"acme", "logged"}) {
			t.Errorf("%s: Orgs() = %q, %v, want [acme logged]", when, ids, err)
		}
	})

	// The store carries on: the rolled back names and ids are free.
	register(t, s, newOrg("new"), newOrg("logged"))
	createKeys(t, s, newKey("acme", "a2", 2), newKey("new", "n1", 1))
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		when += ", after retry"
		checkOrg(t, ctx, when, r, newOrg("new"))
		checkOrg(t, ctx, when, r, newOrg("logged"))
		checkKeys(t, ctx, when, r, "acme", a1, newKey("acme", "a2", 2))
		checkKeys(t, ctx, when, r, "new", newKey("new", "n1", 1))
	})
}

// testOrgReadYourWrites checks that a write transaction reads the
// organizations and keys it wrote, and that a log CreateOrg created takes
// the ledger's writes in the same transaction, and the other way round.
func testOrgReadYourWrites(t *testing.T, open Opener) {
	s := openStore(t, open, "org-read-your-writes")
	acme := newOrg("acme")
	changed := store.Org{ID: "acme", Name: "Changed", Plan: "free", TimeZone: "UTC"}
	k := newKey("acme", "k", 1)
	rk := k
	rk.RevokedAt = base.Add(time.Hour)
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		const when = "in the writing transaction"
		checkNoOrg(t, ctx, when, tx, "acme")
		if err := tx.CreateOrg(ctx, acme); err != nil {
			return err
		}
		checkOrg(t, ctx, when, tx, acme)
		if h, err := tx.Head(ctx, "acme"); err != nil || h != (store.Head{}) {
			t.Errorf("%s: Head(acme) = %v, %v, want an empty head", when, h, err)
		}
		if err := fill(ctx, tx, "acme", 2); err != nil {
			return err
		}
		if err := tx.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		checkKeys(t, ctx, when, tx, "acme", k)
		if err := tx.RevokeAPIKey(ctx, "acme", "k", rk.RevokedAt); err != nil {
			return err
		}
		checkKeys(t, ctx, when, tx, "acme", rk)
		if err := tx.UpdateOrg(ctx, changed); err != nil {
			return err
		}
		changed.CreatedAt = acme.CreatedAt
		checkOrg(t, ctx, when, tx, changed)

		// A log LockHead created in this transaction can be registered.
		if _, err := tx.LockHead(ctx, "later"); err != nil {
			return err
		}
		checkNoOrg(t, ctx, when, tx, "later")
		if err := tx.CreateOrg(ctx, newOrg("later")); err != nil {
			return err
		}
		checkOrg(t, ctx, when, tx, newOrg("later"))
		if ids, err := tx.Orgs(ctx); err != nil || !slices.Equal(ids, []string{"acme", "later"}) {
			t.Errorf("%s: Orgs() = %q, %v, want [acme later]", when, ids, err)
		}
		return nil
	})
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		when += ", after commit"
		checkOrg(t, ctx, when, r, changed)
		checkOrg(t, ctx, when, r, newOrg("later"))
		checkKeys(t, ctx, when, r, "acme", rk)
		stateOf(t, ctx, r, "acme").compare(t, when, "acme", filled("acme", 2))
	})
}

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

// The people part of the suite. It checks what people.go promises, and:
//   - nil and empty byte slices and lists (MFA secrets, recovery codes,
//     permissions) may come back as either, but a non-empty one comes back
//     byte for byte, in order;
//   - times come back as the same instant, in UTC;
//   - writes naming an unregistered organization, or a user that does not
//     exist, are ErrNotFound and write nothing.

// newUser returns a plain user with id, created age seconds after base.
func newUser(id string, age int) store.User {
	return store.User{
		ID:           id,
		Email:        id + "@example.com",
		Name:         "User " + id,
		PasswordHash: "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA",
		CreatedAt:    base.Add(time.Duration(age) * time.Second).In(paris),
	}
}

func sameUser(got, want store.User) bool {
	return got.ID == want.ID && got.Email == want.Email && got.Name == want.Name &&
		got.PasswordHash == want.PasswordHash && bytes.Equal(got.MFASecret, want.MFASecret) &&
		bytes.Equal(got.MFAPending, want.MFAPending) && got.MFAStep == want.MFAStep &&
		slices.EqualFunc(got.RecoveryCodes, want.RecoveryCodes, bytes.Equal) &&
		sameTime(got.CreatedAt, want.CreatedAt)
}

func sameMember(got, want store.Member) bool {
	return got.Org == want.Org && got.UserID == want.UserID && got.Role == want.Role &&
		sameTime(got.CreatedAt, want.CreatedAt)
}

// checkErr fails t unless err is want (nil, or a sentinel error).
func checkErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Errorf("%s = %v, want %s", what, err, errName(want))
	}
}

// testUsers checks CreateUser, User, UserByEmail, LockUser and UpdateUser.
func testUsers(t *testing.T, open Opener) {
	s := openStore(t, open, "users")
	alice, bob := newUser("alice", 0), newUser("bob", 1)
	bob.MFASecret = []byte("0123456789abcdefghij")
	bob.MFAStep = 58_000_000
	bob.RecoveryCodes = [][]byte{hash("code 1"), hash("code 2")}
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, u := range []store.User{alice, bob} {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		for _, want := range []store.User{alice, bob} {
			if got, err := r.User(ctx, want.ID); err != nil || !sameUser(got, want) {
				t.Errorf("%s: User(%s) = %+v, %v, want %+v", when, want.ID, got, err, want)
			}
			if got, err := r.UserByEmail(ctx, want.Email); err != nil || !sameUser(got, want) {
				t.Errorf("%s: UserByEmail(%s) = %+v, %v, want %+v", when, want.Email, got, err, want)
			}
		}
		_, err := r.User(ctx, "carol")
		checkErr(t, when+": User(carol)", err, store.ErrNotFound)
		_, err = r.UserByEmail(ctx, "ALICE@example.com")
		checkErr(t, when+": UserByEmail(ALICE@example.com)", err, store.ErrNotFound)
	})

	sameEmail := newUser("alice2", 2)
	sameEmail.Email = alice.Email
	writeFails(t, s, []struct {
		name string
		f    func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"CreateUser(same id)", func(ctx context.Context, tx store.Tx) error { return tx.CreateUser(ctx, newUser("alice", 3)) }, store.ErrConflict},
		{"CreateUser(same email)", func(ctx context.Context, tx store.Tx) error { return tx.CreateUser(ctx, sameEmail) }, store.ErrConflict},
		{"UpdateUser(carol)", func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, newUser("carol", 0)) }, store.ErrNotFound},
		{"LockUser(carol)", func(ctx context.Context, tx store.Tx) error { _, err := tx.LockUser(ctx, "carol"); return err }, store.ErrNotFound},
	})

	// UpdateUser replaces all but the email and creation time.
	changed := alice
	changed.Email, changed.CreatedAt = "other@example.com", base
	changed.Name, changed.PasswordHash = "Alice Liddell", "$argon2id$v=19$m=65536,t=2,p=1$c2FsdDI$aGFzaDI"
	changed.MFAPending, changed.MFAStep = []byte("pending secret"), 7
	changed.RecoveryCodes = [][]byte{hash("code 3")}
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.LockUser(ctx, alice.ID)
		if err != nil {
			return err
		}
		if !sameUser(got, alice) {
			t.Errorf("LockUser(alice) = %+v, want %+v", got, alice)
		}
		return tx.UpdateUser(ctx, changed)
	})
	want := changed
	want.Email, want.CreatedAt = alice.Email, alice.CreatedAt
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		if got, err := r.User(ctx, alice.ID); err != nil || !sameUser(got, want) {
			t.Errorf("%s: after UpdateUser: User(alice) = %+v, %v, want %+v", when, got, err, want)
		}
	})
	// And back to no MFA, no codes.
	write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, alice) })
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		if got, err := r.User(ctx, alice.ID); err != nil || !sameUser(got, alice) {
			t.Errorf("%s: after UpdateUser back: User(alice) = %+v, %v, want %+v", when, got, err, alice)
		}
	})
}

// testMembers checks AddMember, Member, Members, Memberships, SetRole and
// RemoveMember.
func testMembers(t *testing.T, open Opener) {
	s := openStore(t, open, "members")
	register(t, s, newOrg("acme"), newOrg("globex"))
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockHead(ctx, "unregistered"); err != nil {
			return err
		}
		for i, id := range []string{"alice", "bob", "carol"} {
			if err := tx.CreateUser(ctx, newUser(id, i)); err != nil {
				return err
			}
		}
		return nil
	})
	at := func(age int) time.Time { return base.Add(time.Duration(age) * time.Minute).In(paris) }
	ms := []store.Member{
		{Org: "acme", UserID: "bob", Role: "owner", CreatedAt: at(1)},
		{Org: "acme", UserID: "alice", Role: "auditor", CreatedAt: at(2)},
		{Org: "acme", UserID: "carol", Role: "member", CreatedAt: at(1)}, // ties order by user id
		{Org: "globex", UserID: "alice", Role: "admin", CreatedAt: at(0)},
	}
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, m := range ms {
			if err := tx.AddMember(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	checkMembers := func(when string, ctx context.Context, r store.Reader, org string, want ...store.Member) {
		t.Helper()
		got, err := r.Members(ctx, org)
		if err != nil || !slices.EqualFunc(got, want, sameMember) {
			t.Errorf("%s: Members(%s) = %v, %v, want %v", when, org, got, err, want)
		}
	}
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		checkMembers(when, ctx, r, "acme", ms[0], ms[2], ms[1])
		checkMembers(when, ctx, r, "globex", ms[3])
		checkMembers(when, ctx, r, "unregistered")
		checkMembers(when, ctx, r, "none")
		if got, err := r.Memberships(ctx, "alice"); err != nil || !slices.EqualFunc(got, []store.Member{ms[3], ms[1]}, sameMember) {
			t.Errorf("%s: Memberships(alice) = %v, %v, want globex then acme", when, got, err)
		}
		if got, err := r.Memberships(ctx, "dave"); err != nil || len(got) != 0 {
			t.Errorf("%s: Memberships(dave) = %v, %v, want none", when, got, err)
		}
		if got, err := r.Member(ctx, "acme", "alice"); err != nil || !sameMember(got, ms[1]) {
			t.Errorf("%s: Member(acme, alice) = %v, %v, want %v", when, got, err, ms[1])
		}
		_, err := r.Member(ctx, "globex", "bob")
		checkErr(t, when+": Member(globex, bob)", err, store.ErrNotFound)
	})

	writeFails(t, s, []struct {
		name string
		f    func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"AddMember(again)", func(ctx context.Context, tx store.Tx) error { return tx.AddMember(ctx, ms[0]) }, store.ErrConflict},
		{"AddMember(unregistered org)", func(ctx context.Context, tx store.Tx) error {
			return tx.AddMember(ctx, store.Member{Org: "unregistered", UserID: "bob", Role: "owner", CreatedAt: base})
		}, store.ErrNotFound},
		{"AddMember(no such org)", func(ctx context.Context, tx store.Tx) error {
			return tx.AddMember(ctx, store.Member{Org: "none", UserID: "bob", Role: "owner", CreatedAt: base})
		}, store.ErrNotFound},
		{"AddMember(no such user)", func(ctx context.Context, tx store.Tx) error {
			return tx.AddMember(ctx, store.Member{Org: "globex", UserID: "dave", Role: "owner", CreatedAt: base})
		}, store.ErrNotFound},
		{"SetRole(not a member)", func(ctx context.Context, tx store.Tx) error { return tx.SetRole(ctx, "globex", "bob", "admin") }, store.ErrNotFound},
		{"RemoveMember(not a member)", func(ctx context.Context, tx store.Tx) error { return tx.RemoveMember(ctx, "globex", "bob") }, store.ErrNotFound},
	})

	write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.SetRole(ctx, "acme", "alice", "admin"); err != nil {
			return err
		}
		return tx.RemoveMember(ctx, "acme", "carol")
	})
	promoted := ms[1]
	promoted.Role = "admin"
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		checkMembers(when, ctx, r, "acme", ms[0], promoted)
		checkMembers(when, ctx, r, "globex", ms[3])
	})
}

// testRoles checks CreateRole, Role and Roles.
func testRoles(t *testing.T, open Opener) {
	s := openStore(t, open, "roles")
	register(t, s, newOrg("acme"), newOrg("globex"))
	roles := []store.Role{
		{Org: "acme", Name: "auditor", Permissions: []string{"audit.read", "audit.export"}, CreatedAt: base.Add(time.Second).In(paris)},
		{Org: "acme", Name: "nobody", CreatedAt: base},
		{Org: "globex", Name: "auditor", Permissions: []string{"audit.read"}, CreatedAt: base},
	}
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, ro := range roles {
			if err := tx.CreateRole(ctx, ro); err != nil {
				return err
			}
		}
		return nil
	})
	same := func(got, want store.Role) bool {
		return got.Org == want.Org && got.Name == want.Name && slices.Equal(got.Permissions, want.Permissions) &&
			sameTime(got.CreatedAt, want.CreatedAt)
	}
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		if got, err := r.Roles(ctx, "acme"); err != nil || !slices.EqualFunc(got, []store.Role{roles[1], roles[0]}, same) {
			t.Errorf("%s: Roles(acme) = %+v, %v, want nobody then auditor", when, got, err)
		}
		if got, err := r.Roles(ctx, "none"); err != nil || len(got) != 0 {
			t.Errorf("%s: Roles(none) = %+v, %v, want none", when, got, err)
		}
		if got, err := r.Role(ctx, "globex", "auditor"); err != nil || !same(got, roles[2]) {
			t.Errorf("%s: Role(globex, auditor) = %+v, %v, want %+v", when, got, err, roles[2])
		}
		_, err := r.Role(ctx, "globex", "nobody")
		checkErr(t, when+": Role(globex, nobody)", err, store.ErrNotFound)
	})
	writeFails(t, s, []struct {
		name string
		f    func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"CreateRole(again)", func(ctx context.Context, tx store.Tx) error { return tx.CreateRole(ctx, roles[0]) }, store.ErrConflict},
		{"CreateRole(no such org)", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateRole(ctx, store.Role{Org: "none", Name: "x", CreatedAt: base})
		}, store.ErrNotFound},
	})
}

// testSessions checks the sessions' life: created, read, updated, deleted
// one by one or all of a user's but one, and expired ones swept when the
// user signs in again.
func testSessions(t *testing.T, open Opener) {
	s := openStore(t, open, "sessions")
	sess := func(n int, user string, created time.Time, ttl time.Duration) store.Session {
		return store.Session{Hash: hash(fmt.Sprint("session ", n)), UserID: user, MFAPending: n%2 == 0,
			CreatedAt: created.In(paris), ExpiresAt: created.Add(ttl)}
	}
	same := func(got, want store.Session) bool {
		return bytes.Equal(got.Hash, want.Hash) && got.UserID == want.UserID && got.MFAPending == want.MFAPending &&
			sameTime(got.CreatedAt, want.CreatedAt) && sameTime(got.ExpiresAt, want.ExpiresAt)
	}
	old := sess(0, "alice", base, time.Hour)
	ss := []store.Session{old, sess(1, "alice", base.Add(30*time.Minute), 12*time.Hour), sess(2, "bob", base, time.Hour)}
	createAll := func(ss ...store.Session) {
		t.Helper()
		write(t, s, func(ctx context.Context, tx store.Tx) error {
			for _, x := range ss {
				if err := tx.CreateSession(ctx, x); err != nil {
					return err
				}
			}
			return nil
		})
	}
	present := func(want ...store.Session) {
		t.Helper()
		readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
			for _, w := range want {
				if got, err := r.Session(ctx, w.Hash); err != nil || !same(got, w) {
					t.Errorf("%s: Session(%.4x) = %+v, %v, want %+v", when, w.Hash, got, err, w)
				}
			}
		})
	}
	absent := func(hashes ...[]byte) {
		t.Helper()
		readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
			for _, h := range hashes {
				_, err := r.Session(ctx, h)
				checkErr(t, fmt.Sprintf("%s: Session(%.4x)", when, h), err, store.ErrNotFound)
			}
		})
	}
	createAll(ss...)
	present(ss...)

	done := ss[0]
	done.MFAPending, done.ExpiresAt = false, base.Add(2*time.Hour)
	write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateSession(ctx, done) })
	present(done, ss[1], ss[2])

	writeFails(t, s, []struct {
		name string
		f    func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"CreateSession(same hash)", func(ctx context.Context, tx store.Tx) error { return tx.CreateSession(ctx, ss[1]) }, store.ErrConflict},
		{"UpdateSession(none)", func(ctx context.Context, tx store.Tx) error { return tx.UpdateSession(ctx, sess(9, "alice", base, 0)) }, store.ErrNotFound},
		{"DeleteSession(none)", func(ctx context.Context, tx store.Tx) error { return tx.DeleteSession(ctx, hash("session 9")) }, store.ErrNotFound},
	})

	// A new sign-in of alice at 2h30 sweeps her session that expired at 2h.
	fresh := sess(3, "alice", base.Add(150*time.Minute), time.Hour)
	createAll(fresh)
	absent(done.Hash)
	present(ss[1], ss[2], fresh)

	write(t, s, func(ctx context.Context, tx store.Tx) error {
		n, err := tx.DeleteSessions(ctx, "alice", fresh.Hash)
		if n != 1 {
			t.Errorf("DeleteSessions(alice, keep fresh) = %d, %v, want 1", n, err)
		}
		return err
	})
	absent(ss[1].Hash)
	present(ss[2], fresh)
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.DeleteSession(ctx, ss[2].Hash); err != nil {
			return err
		}
		n, err := tx.DeleteSessions(ctx, "alice", nil)
		if n != 1 {
			t.Errorf("DeleteSessions(alice, nil) = %d, %v, want 1", n, err)
		}
		return err
	})
	absent(ss[2].Hash, fresh.Hash)
}

// testInvitations checks that an invitation reads back as created and is
// accepted once.
func testInvitations(t *testing.T, open Opener) {
	s := openStore(t, open, "invitations")
	register(t, s, newOrg("acme"))
	inv := store.Invitation{ID: "inv_1", Hash: hash("invitation 1"), Org: "acme", Email: "dave@example.com",
		Role: "admin", InvitedBy: "usr_bob", CreatedAt: base.In(paris), ExpiresAt: base.Add(7 * 24 * time.Hour)}
	write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateInvitation(ctx, inv) })
	same := func(got, want store.Invitation) bool {
		return got.ID == want.ID && bytes.Equal(got.Hash, want.Hash) && got.Org == want.Org &&
			got.Email == want.Email && got.Role == want.Role && got.InvitedBy == want.InvitedBy &&
			sameTime(got.CreatedAt, want.CreatedAt) && sameTime(got.ExpiresAt, want.ExpiresAt) &&
			sameTime(got.AcceptedAt, want.AcceptedAt)
	}
	check := func(want store.Invitation) {
		t.Helper()
		readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
			if got, err := r.Invitation(ctx, want.Hash); err != nil || !same(got, want) {
				t.Errorf("%s: Invitation = %+v, %v, want %+v", when, got, err, want)
			}
		})
	}
	check(inv)
	other := inv
	other.Hash = hash("invitation 2")
	otherOrg := inv
	otherOrg.ID, otherOrg.Hash, otherOrg.Org = "inv_3", hash("invitation 3"), "none"
	writeFails(t, s, []struct {
		name string
		f    func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"CreateInvitation(same id)", func(ctx context.Context, tx store.Tx) error { return tx.CreateInvitation(ctx, other) }, store.ErrConflict},
		{"CreateInvitation(no such org)", func(ctx context.Context, tx store.Tx) error { return tx.CreateInvitation(ctx, otherOrg) }, store.ErrNotFound},
		{"AcceptInvitation(none)", func(ctx context.Context, tx store.Tx) error {
			return tx.AcceptInvitation(ctx, hash("invitation 9"), base)
		}, store.ErrNotFound},
	})
	accepted := inv
	accepted.AcceptedAt = base.Add(time.Hour).In(paris)
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.AcceptInvitation(ctx, inv.Hash, accepted.AcceptedAt)
	})
	check(accepted)
	err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		return tx.AcceptInvitation(ctx, inv.Hash, base.Add(2*time.Hour))
	})
	checkErr(t, "AcceptInvitation(again)", err, store.ErrNotFound)
	check(accepted)
}

// testPeopleRollback checks that people written in a transaction that
// fails are not kept.
func testPeopleRollback(t *testing.T, open Opener) {
	s := openStore(t, open, "people-rollback")
	register(t, s, newOrg("acme"))
	err := s.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateUser(ctx, newUser("alice", 0)); err != nil {
			return err
		}
		if err := tx.AddMember(ctx, store.Member{Org: "acme", UserID: "alice", Role: "owner", CreatedAt: base}); err != nil {
			return err
		}
		return errBoom
	})
	checkErr(t, "ReadWrite(…, errBoom)", err, errBoom)
	readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
		_, err := r.User(ctx, "alice")
		checkErr(t, when+": User(alice)", err, store.ErrNotFound)
		if got, err := r.Members(ctx, "acme"); err != nil || len(got) != 0 {
			t.Errorf("%s: Members(acme) = %v, %v, want none", when, got, err)
		}
	})
}

// testViewerTokens checks that a viewer token reads back as created, is
// revoked once (the first time kept), and belongs to a registered
// organization.
func testViewerTokens(t *testing.T, open Opener) {
	s := openStore(t, open, "viewer-tokens")
	register(t, s, newOrg("acme"), newOrg("globex"))
	vs := []store.ViewerToken{
		{ID: "vt_1", Org: "acme", Subject: "user-42@platform", Permissions: []string{"audit.read", "audit.export"},
			Hash: hash("viewer 1"), CreatedAt: base.In(paris), ExpiresAt: base.Add(time.Hour)},
		{ID: "vt_2", Org: "acme", Subject: "ünï", Hash: hash("viewer 2"), CreatedAt: base, ExpiresAt: base.Add(time.Minute),
			RevokedAt: base.Add(time.Second)},
	}
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, v := range vs {
			if err := tx.CreateViewerToken(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	same := func(got, want store.ViewerToken) bool {
		return got.ID == want.ID && got.Org == want.Org && got.Subject == want.Subject &&
			slices.Equal(got.Permissions, want.Permissions) && bytes.Equal(got.Hash, want.Hash) &&
			sameTime(got.CreatedAt, want.CreatedAt) && sameTime(got.ExpiresAt, want.ExpiresAt) &&
			sameTime(got.RevokedAt, want.RevokedAt)
	}
	check := func(want ...store.ViewerToken) {
		t.Helper()
		readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
			for _, w := range want {
				if got, err := r.ViewerToken(ctx, w.ID); err != nil || !same(got, w) {
					t.Errorf("%s: ViewerToken(%s) = %+v, %v, want %+v", when, w.ID, got, err, w)
				}
			}
			_, err := r.ViewerToken(ctx, "vt_9")
			checkErr(t, when+": ViewerToken(vt_9)", err, store.ErrNotFound)
		})
	}
	check(vs...)
	other := vs[0]
	other.Org = "none"
	other.ID = "vt_3"
	writeFails(t, s, []struct {
		name string
		f    func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"CreateViewerToken(same id)", func(ctx context.Context, tx store.Tx) error { return tx.CreateViewerToken(ctx, vs[1]) }, store.ErrConflict},
		{"CreateViewerToken(no such org)", func(ctx context.Context, tx store.Tx) error { return tx.CreateViewerToken(ctx, other) }, store.ErrNotFound},
		{"RevokeViewerToken(other org's)", func(ctx context.Context, tx store.Tx) error {
			return tx.RevokeViewerToken(ctx, "globex", "vt_1", base)
		}, store.ErrNotFound},
		{"RevokeViewerToken(none)", func(ctx context.Context, tx store.Tx) error { return tx.RevokeViewerToken(ctx, "acme", "vt_9", base) }, store.ErrNotFound},
	})
	revoked := vs[0]
	revoked.RevokedAt = base.Add(2 * time.Second).In(paris)
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.RevokeViewerToken(ctx, "acme", "vt_1", revoked.RevokedAt); err != nil {
			return err
		}
		return tx.RevokeViewerToken(ctx, "acme", "vt_2", base.Add(time.Hour))
	})
	check(revoked, vs[1])
}

// Package storetest is the conformance suite of store.Store: every backend
// runs it unchanged from its own tests,
//
//	func TestStore(t *testing.T) {
//		dir := t.TempDir()
//		storetest.Run(t, func(t *testing.T, name string) store.Store {
//			return open(t, filepath.Join(dir, name))
//		})
//	}
//
// It checks what store.go promises, and what it leaves implicit that the
// ledger relies on:
//   - Append, SetHead, PutTiles and PutCheckpoint on an organization
//     without a log (which LockHead creates) are ErrNotFound, and Append
//     refuses an event of another organization;
//   - times come back as the same instant, in UTC, to the nanosecond;
//     details byte for byte; empty details, personal lists and commitments
//     may come back nil, but a nil salt (erased) stays nil;
//   - LookupIDs returns a non-nil map, and the empty id is no id: it never
//     matches;
//   - Orgs sorts as sort.Strings does, bytewise;
//   - CreateOrg's log is a log like LockHead's, listed by Orgs; a log
//     LockHead created is not a registered organization until CreateOrg;
//   - APIKeys of an organization without keys, registered or not, is
//     empty, not an error; an empty Scopes may come back nil or empty, the
//     same way every time; a zero RevokedAt is a valid key;
//   - List orders events of equal timestamps by seq whatever order Append
//     was given them in; a Filter's times and an After position may be any
//     time.Time, beyond what the backend can store too (they then bound
//     nothing or everything), and After need not be an event's position;
//   - List of an organization without a log or without events lists
//     nothing, and is no error;
//   - a canceled context fails reads and writes with context.Canceled;
//   - List with a Filter.Query lists the events that match it as package
//     query documents, and pages through them like any list (RunQueries,
//     whose query scripts are in testdata/queries).
//
// Strings in the suite's records are valid UTF-8 without NUL, which is all
// PostgreSQL's text can hold.
package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/steleaudit/stele/internal/store"
)

// An Opener opens the store called name, creating it empty the first time,
// and fails t if it can't. Opening a name again after the store opened
// under it was closed gives back the same store with everything committed
// to it: the suite checks durability that way. Names are short, made of
// [a-z0-9-], and distinct stores of one Run get distinct names.
//
// The suite closes every store it opens; the opener removes whatever the
// stores leave behind (a temporary directory, a database) when t ends.
type Opener func(t *testing.T, name string) store.Store

// Run runs the conformance suite against the stores open opens, each
// check a subtest.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"empty", testEmpty},
		{"heads", testHeads},
		{"round-trip", testRoundTrip},
		{"events", testEvents},
		{"gaps", testGaps},
		{"append-conflict", testAppendConflict},
		{"lookup-ids", testLookupIDs},
		{"tiles", testTiles},
		{"checkpoints", testCheckpoints},
		{"isolation", testIsolation},
		{"orgs", testOrgs},
		{"writes-need-a-log", testWritesNeedALog},
		{"read-your-writes", testReadYourWrites},
		{"rollback", testRollback},
		{"durable", testDurable},
		{"snapshot", testSnapshot},
		{"reads-dont-wait", testReadsDontWait},
		{"concurrent-writers", testConcurrentWriters},
		{"lock-heads", testLockHeads},
		{"canceled", testCanceled},
		{"register", testRegister},
		{"register-log", testRegisterLog},
		{"update-org", testUpdateOrg},
		{"api-keys", testAPIKeys},
		{"revoke", testRevoke},
		{"org-rollback", testOrgRollback},
		{"org-read-your-writes", testOrgReadYourWrites},
		{"users", testUsers},
		{"members", testMembers},
		{"roles", testRoles},
		{"sessions", testSessions},
		{"invitations", testInvitations},
		{"people-rollback", testPeopleRollback},
		{"viewer-tokens", testViewerTokens},
		{"list", testList},
		{"list-pages", testListPages},
		{"list-appending", testListAppending},
		{"queries", RunQueries},
		{"search-appending", testSearchAppending},
		{"counts", testCounts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, open) })
	}
}

// openStore opens the store name and closes it when t ends.
func openStore(t *testing.T, open Opener, name string) store.Store {
	t.Helper()
	s := open(t, name)
	if s == nil {
		t.Fatalf("open(%q) = nil", name)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return s
}

// write runs f in a write transaction and fails t if that fails.
func write(t *testing.T, s store.Store, f func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := s.ReadWrite(t.Context(), f); err != nil {
		t.Fatalf("ReadWrite: %v", err)
	}
}

// read runs f in a read transaction and fails t if that fails.
func read(t *testing.T, s store.Store, f func(ctx context.Context, r store.Reader) error) {
	t.Helper()
	if err := s.Read(t.Context(), f); err != nil {
		t.Fatalf("Read: %v", err)
	}
}

// errBoom is what a transaction function returns to make it fail.
var errBoom = errors.New("boom")

// appendLog gives org a log holding events, with a head of the matching
// size and a made-up root.
func appendLog(t *testing.T, s store.Store, org string, events []*store.Event) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		h, err := tx.LockHead(ctx, org)
		if err != nil {
			return err
		}
		if err := tx.Append(ctx, org, events); err != nil {
			return err
		}
		size := h.Size
		for _, e := range events {
			size = max(size, e.Seq+1)
		}
		return tx.SetHead(ctx, org, store.Head{Size: size, Root: rootOf(org, size)})
	})
}

// events returns all stored events of org in [from, to), deep copies.
func events(ctx context.Context, r store.Reader, org string, from, to int64) ([]*store.Event, error) {
	var list []*store.Event
	err := r.Events(ctx, org, from, to, func(e *store.Event) error {
		list = append(list, clone(e))
		return nil
	})
	return list, err
}

// seqs returns the seq of each event.
func seqs(events []*store.Event) []int64 {
	s := make([]int64, len(events))
	for i, e := range events {
		s[i] = e.Seq
	}
	return s
}

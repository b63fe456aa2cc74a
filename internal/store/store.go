// Package store defines what Stele keeps and how the rest of the code reads
// and writes it. Backends (sqlite, and later postgres) implement Store and
// pass the conformance suite in storetest unchanged.
//
// A backend stores bytes and answers questions; it computes no hashes and
// makes no decisions about sequencing. The ledger does both, inside one
// ReadWrite transaction per batch, so a backend stays small and the rules
// that make the log tamper-evident live in one place.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/steleaudit/stele/verify"
	"golang.org/x/mod/sumdb/tlog"
)

var (
	// ErrNotFound is returned when the thing asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a write would replace something that
	// must never change (an event at a seq, a checkpoint at a size).
	ErrConflict = errors.New("store: conflict")
	// ErrTransient wraps errors of a store that could not be reached or
	// that ended a transaction for a reason that passes: the connection
	// was lost, the server is restarting or has too many clients, the
	// transaction lost a serialization race. The same transaction may
	// succeed later. Any other error is not known to pass.
	ErrTransient = errors.New("store: transient failure")
)

// An Event is one record of an organization's log at its leaf index.
type Event struct {
	Seq int64
	verify.Record
	// Fault, when not empty, says the backend found this event's stored
	// row inconsistent with itself: a field it cannot decode, or index
	// material (such as a hash of the id) that no longer matches the
	// record. The rest of the event is as much as could be read. Readers
	// report it rather than stop, so one damaged row cannot hide others.
	Fault string
}

// A Head is the state of an organization's tree.
type Head struct {
	Size int64     // number of leaves
	Root tlog.Hash // RFC 6962 root of those leaves; zero when Size is 0
}

// A Checkpoint is a signed note stating an organization's tree head.
type Checkpoint struct {
	Size     int64
	Note     []byte // the signed note, as served
	SignedAt time.Time
}

// Store is a durable home for organizations' logs.
//
// Durability: when ReadWrite returns nil, everything f wrote is on stable
// storage (fsync'd). When it returns an error, nothing f wrote persists,
// unless the error is ErrTransient: then the answer to the commit may
// have been lost, and all or nothing of what f wrote persists. A writer
// that retries finds out which by reading, as the ledger's idempotency
// lookup does.
//
// Concurrency: all methods are safe for concurrent use. Read transactions
// see one consistent snapshot; write transactions on one organization are
// serialized (by Tx.LockHead), so its log has one writer at a time even
// across several processes sharing a database.
type Store interface {
	// Read runs f with a consistent read-only view of the store.
	Read(ctx context.Context, f func(ctx context.Context, r Reader) error) error
	// ReadWrite runs f in one atomic, durable write transaction. If f
	// returns an error the transaction is rolled back and that error is
	// returned.
	ReadWrite(ctx context.Context, f func(ctx context.Context, tx Tx) error) error
	// Close releases the store. It does not wait for transactions to end.
	Close() error
}

// A Reader reads organizations' logs. It is valid only inside the Read or
// ReadWrite call that provided it, and is not for use from inside the
// callbacks of Events, List or Checkpoints (a connection can't run a second
// query while it streams rows on every backend).
type Reader interface {
	OrgReader
	PeopleReader
	Lister
	Counter
	// Orgs returns the id of every organization with a log, sorted.
	Orgs(ctx context.Context) ([]string, error)
	// Head returns org's tree head, or ErrNotFound if org has no log.
	Head(ctx context.Context, org string) (Head, error)
	// Events calls fn for each stored event of org with from <= seq < to,
	// in ascending seq order. It reports what is stored: a missing row is
	// skipped, not invented. The *Event is only valid during the call.
	// An error from fn stops the walk and is returned.
	Events(ctx context.Context, org string, from, to int64, fn func(*Event) error) error
	// Event returns org's event at seq, or ErrNotFound.
	Event(ctx context.Context, org string, seq int64) (*Event, error)
	// LookupIDs returns the seq of each of ids that org's log holds;
	// ids it does not hold are absent from the map.
	LookupIDs(ctx context.Context, org string, ids []string) (map[string]int64, error)
	// Tiles returns the stored hash data of each tile, matched by level and
	// number (t.L, t.N); the data may be wider than t.W, never narrower.
	// A missing or too narrow tile is ErrNotFound.
	Tiles(ctx context.Context, org string, tiles []tlog.Tile) ([][]byte, error)
	// Checkpoints calls fn for each of org's stored checkpoints in
	// ascending size order.
	Checkpoints(ctx context.Context, org string, fn func(Checkpoint) error) error
	// Checkpoint returns org's checkpoint at exactly size, or ErrNotFound.
	Checkpoint(ctx context.Context, org string, size int64) (Checkpoint, error)
	// LatestCheckpoint returns org's largest checkpoint, or ErrNotFound.
	LatestCheckpoint(ctx context.Context, org string) (Checkpoint, error)
}

// A Tx is a write transaction. It is valid only inside the ReadWrite call
// that provided it. Once one of its methods fails, the transaction may be
// unusable (PostgreSQL aborts it): f must return an error. Writes to an
// organization that has no log (before LockHead created it) are
// ErrNotFound.
type Tx interface {
	Reader
	OrgWriter
	PeopleWriter
	// LockHead returns org's tree head, creating an empty log if org has
	// none, and keeps other writers of org waiting until the transaction
	// ends.
	LockHead(ctx context.Context, org string) (Head, error)
	// LockHeads does what LockHead does for each of orgs, in the order of
	// their names (bytewise), the order every writer locks in, so that
	// two never wait for each other; repeated names count once.
	LockHeads(ctx context.Context, orgs []string) (map[string]Head, error)
	// LookupAllIDs does what LookupIDs does for each organization of ids
	// (an organization's ids to look up), in one go: the answer holds
	// what LookupIDs answers each, those with none found left out.
	LookupAllIDs(ctx context.Context, ids map[string][]string) (map[string]map[string]int64, error)
	// Append stores events in org's log. The caller assigns seqs (the
	// ledger: consecutive from the locked head's size), each greater than
	// every seq stored for org, and makes sure ids are new in org (with
	// LookupIDs); an event already stored at a seq is ErrConflict. Texts
	// hold no NUL (validated events don't: PostgreSQL's text can't).
	Append(ctx context.Context, org string, events []*Event) error
	// PutTiles stores the hash data of tiles, replacing narrower data
	// stored for the same (L, N).
	PutTiles(ctx context.Context, org string, tiles []tlog.Tile, data [][]byte) error
	// SetHead records org's tree head.
	SetHead(ctx context.Context, org string, h Head) error
	// PutCheckpoint stores a checkpoint of org; one at the same size is
	// ErrConflict.
	PutCheckpoint(ctx context.Context, org string, c Checkpoint) error
}

// DecodeLists sets r's Personal and Commitments from their stored JSON,
// either empty for none, and returns what was wrong with them, for an
// event's Fault: a backend names a bad row rather than failing on it.
func DecodeLists(r *verify.Record, personal, commitments []byte) []string {
	var faults []string
	if len(personal) > 0 {
		if err := json.Unmarshal(personal, &r.Personal); err != nil {
			faults = append(faults, "personal: "+err.Error())
		}
	}
	if len(commitments) > 0 {
		if err := json.Unmarshal(commitments, &r.Commitments); err != nil {
			faults = append(faults, "commitments: "+err.Error())
		}
	}
	return faults
}

// ReadValue runs fn in a read transaction of st and returns its result:
// one value read consistently, without a closure over a variable.
func ReadValue[T any](ctx context.Context, st Store, fn func(context.Context, Reader) (T, error)) (T, error) {
	var v T
	err := st.Read(ctx, func(ctx context.Context, r Reader) error {
		var err error
		v, err = fn(ctx, r)
		return err
	})
	return v, err
}

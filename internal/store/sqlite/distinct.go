package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"

	"github.com/steleaudit/stele/internal/store"
)

// The tables event_types, actors and targets hold each organization's
// distinct event types, actors and target names, under the texts a search
// names them by (see migrations/003_search.sql), and ips the actors of
// each address (migrations/007_ips.sql). Append adds the rows of the
// events it appends; search looks up which values a term means in them,
// and reads the events of those values from their indexes.

// actorKey returns what finds the events of an actor: its email, or else
// its id.
func actorKey(email, id string) (string, string) {
	if email != "" {
		return email, ""
	}
	return "", id
}

// targetKey returns what finds the events of a target: its id, or else
// its name.
func targetKey(id, name string) (string, string) {
	if id != "" {
		return id, ""
	}
	return "", name
}

// The tables of distinct values.
const (
	tableEventTypes = iota
	tableActors
	tableTargets
	tableIPs
)

// A distinctRow is a row of one of the tables, less the organization: an
// event type's category and type, an actor's text, email and id, or a
// target's name, id and name, or an address's address, actor email and
// id.
type distinctRow struct {
	table   int
	columns [3]string
}

// rowsOf returns the rows e calls for.
func rowsOf(e *store.Event) []distinctRow {
	rows := []distinctRow{{tableEventTypes, [3]string{e.Category, e.Event}}}
	a := &e.Actor
	email, id := actorKey(a.Email, a.ID)
	for _, s := range [...]string{a.Email, a.ID, a.Name} {
		if s != "" {
			rows = append(rows, distinctRow{tableActors, [3]string{strings.ToLower(s), email, id}})
		}
	}
	if t := &e.Target; t.Name != "" {
		id, name := targetKey(t.ID, t.Name)
		rows = append(rows, distinctRow{tableTargets, [3]string{t.Name, id, name}})
	}
	if e.IP != "" {
		rows = append(rows, distinctRow{tableIPs, [3]string{e.IP, email, id}})
	}
	return rows
}

// A knownRows is a set of rows of the tables of distinct values that
// committed transactions wrote, or found written, so that Append need not
// write them again, as hashes: at most knownMax of them, forgotten all at
// once when there would be more. Rows are never deleted, so a row once
// written stays; whatever comes to delete some must clear the set. It is
// safe for concurrent use.
type knownRows struct {
	seeds [2]maphash.Seed

	mu   sync.Mutex // guards rows
	rows map[knownRow]bool
}

// knownMax bounds a knownRows: some 10 MiB.
const knownMax = 1 << 18

// A knownRow is a row of the organization numbered org, hashed: two 64-bit
// hashes, so that a collision, which would leave a row unwritten, is out
// of the question.
type knownRow struct {
	org  int64
	hash [2]uint64
}

func newKnownRows() *knownRows {
	return &knownRows{
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		rows:  map[knownRow]bool{},
	}
}

// key returns the knownRow of r in the organization numbered org.
func (k *knownRows) key(org int64, r distinctRow) knownRow {
	kr := knownRow{org: org}
	for i, seed := range k.seeds {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteByte(byte(r.table))
		for _, c := range r.columns {
			// Length first: columns can't run into each other.
			var n [8]byte
			for j := range n {
				n[j] = byte(len(c) >> (8 * j))
			}
			h.Write(n[:])
			h.WriteString(c)
		}
		kr.hash[i] = h.Sum64()
	}
	return kr
}

func (k *knownRows) has(r knownRow) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rows[r]
}

// add adds rows, once their transaction committed.
func (k *knownRows) add(rows []knownRow) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.rows)+len(rows) > knownMax {
		clear(k.rows)
	}
	for _, r := range rows {
		k.rows[r] = true
	}
}

// insertDistinct writes the rows events call for in the organization
// numbered org, unless they are known to be there, and adds them to
// t.written.
func (t *tx) insertDistinct(ctx context.Context, org int64, events []*store.Event) error {
	stmts := [...]*sql.Stmt{
		tableEventTypes: t.stmt(ctx, t.s.insertEventType),
		tableActors:     t.stmt(ctx, t.s.insertActor),
		tableTargets:    t.stmt(ctx, t.s.insertTarget),
		tableIPs:        t.stmt(ctx, t.s.insertIP),
	}
	seen := map[knownRow]bool{}
	for _, e := range events {
		for _, r := range rowsOf(e) {
			k := t.known.key(org, r)
			if seen[k] || t.known.has(k) {
				continue
			}
			seen[k] = true
			args := []any{org, r.columns[0], r.columns[1], r.columns[2]}
			if r.table == tableEventTypes {
				args = args[:3]
			}
			if _, err := stmts[r.table].ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("couldn't record the values of event %d: %w", e.Seq, err)
			}
			t.written = append(t.written, k)
		}
	}
	return nil
}

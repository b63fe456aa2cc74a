package postgres

import (
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
)

// The tables event_types, actors and targets hold each organization's
// distinct event types, actors and targets, under the texts a search names
// them by (see migrations/001_init.sql). Append adds the rows of the
// events it appends; search looks up in them which index keys a term
// means (drive.go).

// The expressions that events_actor and events_target index after org,
// and their conditions, which a query repeats so that the planner can use
// them. They must stay as the migrations write them.
const (
	actorKeyExpr     = `(CASE WHEN actor_email <> '' THEN actor_email ELSE actor_id END)`
	actorKeyPartial  = `(actor_email <> '' OR actor_id <> '')`
	targetKeyExpr    = `(CASE WHEN target_id <> '' THEN target_id ELSE target_name END)`
	targetKeyPartial = `(target_id <> '' OR target_name <> '')`
)

// actorKey returns what finds the events of an actor in events_actor: its
// email, else its id; "" for neither, which it doesn't index.
func actorKey(a verify.Actor) string {
	return cmp.Or(a.Email, a.ID)
}

// targetKey returns what finds the events of a target in events_target:
// its id, else its name.
func targetKey(t verify.Target) string {
	return cmp.Or(t.ID, t.Name)
}

// A pairSet is a set of rows of two text columns, in the order added.
type pairSet struct {
	seen map[[2]string]bool
	rows [][2]string
}

func (s *pairSet) add(a, b string) {
	if s.seen == nil {
		s.seen = map[[2]string]bool{}
	}
	k := [2]string{a, b}
	if !s.seen[k] {
		s.seen[k] = true
		s.rows = append(s.rows, k)
	}
}

// columns returns the rows as two arrays, sorted: concurrent writers
// insert rows in one order, and so never wait for each other in a cycle.
func (s *pairSet) columns() (a, b []string) {
	slices.SortFunc(s.rows, func(x, y [2]string) int {
		return cmp.Or(strings.Compare(x[0], y[0]), strings.Compare(x[1], y[1]))
	})
	for _, r := range s.rows {
		a, b = append(a, r[0]), append(b, r[1])
	}
	return a, b
}

// queueDistinct queues the statements that add the rows of events to the
// tables of distinct values of org, but those known to be there, and
// adds them to t.written.
func (t *tx) queueDistinct(b *pgx.Batch, org string, events []*store.Event) {
	var types, actors, targets pairSet
	add := func(set *pairSet, table int, a, c string) {
		k := t.db.known.key(table, org, a, c)
		if !t.db.known.has(k) {
			set.add(a, c)
			t.written = append(t.written, k)
		}
	}
	for _, e := range events {
		add(&types, tableEventTypes, e.Category, e.Event)
		key := actorKey(e.Actor)
		for _, s := range [...]string{e.Actor.Email, e.Actor.ID, e.Actor.Name} {
			if s != "" {
				add(&actors, tableActors, strings.ToLower(s), key)
			}
		}
		key = targetKey(e.Target)
		for _, s := range [...]string{e.Target.ID, e.Target.Name} {
			if s != "" {
				add(&targets, tableTargets, s, key)
			}
		}
	}
	for _, q := range []struct {
		table, columns string
		rows           *pairSet
	}{
		{"event_types", "category, event", &types},
		{"actors", "text, key", &actors},
		{"targets", "text, key", &targets},
	} {
		if len(q.rows.rows) == 0 {
			continue
		}
		a, c := q.rows.columns()
		b.Queue(`INSERT INTO `+q.table+` (org, `+q.columns+`)
			SELECT $1, * FROM unnest($2::text[], $3::text[]) ON CONFLICT DO NOTHING`, org, a, c)
	}
}

// The tables of distinct values.
const (
	tableEventTypes = iota
	tableActors
	tableTargets
)

// knownRows is a set of rows of the tables of distinct values that
// committed transactions wrote or found written, so that Append need not
// write them again: at most knownMax of them, as hashes, forgotten all at
// once when there would be more. Rows are never deleted, so a row once
// written stays; whatever comes to delete some (erasing a person) must
// clear the set of every process sharing the database. It is safe for
// concurrent use.
type knownRows struct {
	seeds [2]maphash.Seed

	mu   sync.Mutex // guards rows
	rows map[knownRow]bool
}

// knownMax bounds a knownRows: some 10 MiB.
const knownMax = 1 << 18

// A knownRow is a row, hashed twice with 64 bits: a collision, which would
// leave a row unwritten, is out of the question.
type knownRow [2]uint64

func newKnownRows() *knownRows {
	return &knownRows{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, rows: map[knownRow]bool{}}
}

// key returns the knownRow of org's row (a, b) of table.
func (k *knownRows) key(table int, org, a, b string) knownRow {
	var r knownRow
	for i, seed := range k.seeds {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteByte(byte(table))
		for _, s := range [...]string{org, a, b} {
			// Length first: texts can't run into each other.
			var n [8]byte
			binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
			h.Write(n[:])
			h.WriteString(s)
		}
		r[i] = h.Sum64()
	}
	return r
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

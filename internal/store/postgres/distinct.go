package postgres

import (
	"cmp"
	"slices"
	"strings"

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

// A rowSet is a set of rows of an organization and two texts, in the
// order added.
type rowSet struct {
	seen map[[3]string]bool
	rows [][3]string
}

func (s *rowSet) add(org, a, b string) {
	if s.seen == nil {
		s.seen = map[[3]string]bool{}
	}
	k := [3]string{org, a, b}
	if !s.seen[k] {
		s.seen[k] = true
		s.rows = append(s.rows, k)
	}
}

// columns returns the rows as three arrays, sorted: concurrent writers
// insert rows in one order, and so never wait for each other in a cycle.
func (s *rowSet) columns() (org, a, b []string) {
	slices.SortFunc(s.rows, func(x, y [3]string) int {
		return cmp.Or(strings.Compare(x[0], y[0]), strings.Compare(x[1], y[1]), strings.Compare(x[2], y[2]))
	})
	for _, r := range s.rows {
		org, a, b = append(org, r[0]), append(a, r[1]), append(b, r[2])
	}
	return org, a, b
}

// addDistinct adds the rows of events to the pending rows of the tables
// of distinct values of org, but those known to be there, and to
// t.written.
func (t *tx) addDistinct(org string, events []*store.Event) {
	p := &t.pending
	add := func(set *rowSet, table int, a, c string) {
		k := t.db.known.Row(table, org, a, c)
		if !t.db.known.Has(k) {
			set.add(org, a, c)
			t.written = append(t.written, k)
		}
	}
	for _, e := range events {
		add(&p.types, tableEventTypes, e.Category, e.Event)
		key := actorKey(e.Actor)
		for _, s := range [...]string{e.Actor.Email, e.Actor.ID, e.Actor.Name} {
			if s != "" {
				add(&p.actors, tableActors, strings.ToLower(s), key)
			}
		}
		key = targetKey(e.Target)
		for _, s := range [...]string{e.Target.ID, e.Target.Name} {
			if s != "" {
				add(&p.targets, tableTargets, s, key)
			}
		}
	}
}

// queueDistinct queues the statements that insert the pending rows of
// the tables of distinct values, one a table.
func (p *pending) queueDistinct(b *pgx.Batch) {
	for _, q := range []struct {
		table, columns string
		rows           *rowSet
	}{
		{"event_types", "category, event", &p.types},
		{"actors", "text, key", &p.actors},
		{"targets", "text, key", &p.targets},
	} {
		if len(q.rows.rows) == 0 {
			continue
		}
		org, a, c := q.rows.columns()
		b.Queue(`INSERT INTO `+q.table+` (org, `+q.columns+`)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`, org, a, c)
	}
}

// The tables of distinct values.
const (
	tableEventTypes = iota
	tableActors
	tableTargets
)

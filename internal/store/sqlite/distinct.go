package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

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
	seen := map[store.KnownRow]bool{}
	orgKey := strconv.FormatInt(org, 10)
	for _, e := range events {
		for _, r := range rowsOf(e) {
			k := t.known.Row(r.table, orgKey, r.columns[:]...)
			if seen[k] || t.known.Has(k) {
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

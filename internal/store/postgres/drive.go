package postgres

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/verify"
)

// Drives: what a search reads events by (see search.go).
//
// A positive term on the event type or category (those terms together),
// the actor or the target can drive when the tables of distinct values
// list the index keys of all the events it may match: the event types of
// the organization that the terms match, or the keys of the actors or
// targets one of whose texts the term matches. An actor without email or
// id has no key, and a term that may match one can't drive. Which term
// drives: one whose keys are few enough to read an arm each before one
// whose aren't; then a target before an actor before event types, as they
// tend to pick fewer events; then the one with fewer keys. The keys only
// narrow the search down; the query's condition decides.
//
// List reads the events of up to maxArms keys an arm each, merged in its
// order, each arm stopping at the page's end; those of more as listMany
// says.

// Limits on how a search reads by keys; variables for tests.
var (
	maxArms    = 32   // the most keys read one arm each, merged
	maxKeys    = 256  // the most keys a search reads by
	maxScanned = 1000 // the most events read along time before keys of more than maxArms
	maxSorted  = 2000 // the most events of keys read and sorted
)

// Drivers, best first.
const (
	driveTarget = iota
	driveActor
	driveEventType
	driveNone
)

// A drive is what a search reads events by: the values of an indexed
// expression, and the condition of the index, ANDed before it.
type drive struct {
	kind          int
	expr, partial string
	keys          []string
}

// anyKey returns the condition that an event's key is one of the array of
// the placeholder keys, which d's index answers.
func (d drive) anyKey(keys string) string {
	return d.partial + d.expr + " = ANY(" + keys + ")"
}

// better reports whether d is a better drive than e.
func (d drive) better(e drive) bool {
	dm, em := len(d.keys) <= maxArms, len(e.keys) <= maxArms
	switch {
	case e.kind == driveNone:
		return true
	case dm != em:
		return dm
	case d.kind != e.kind:
		return d.kind < e.kind
	}
	return len(d.keys) < len(e.keys)
}

// drive returns what a search for q in org's log reads events by, or
// reports that q matches no event (none).
func (r *reader) drive(ctx context.Context, org string, q *query.Query) (d drive, none bool, err error) {
	d = drive{kind: driveNone}
	// consider makes c d if it is better, and reports whether it says
	// that its term matches nothing.
	consider := func(c drive, drives bool) bool {
		switch {
		case !drives:
			return false
		case len(c.keys) == 0:
			return true
		case c.better(d):
			d = c
		}
		return false
	}
	types, drives, err := r.eventTypeKeys(ctx, org, q)
	if err != nil || consider(drive{driveEventType, "event", "", types}, drives) {
		return d, err == nil, err
	}
	for _, t := range q.Terms {
		if t.Negated {
			continue
		}
		var c drive
		switch t.Field {
		case query.FieldActor:
			c = drive{kind: driveActor, expr: actorKeyExpr, partial: actorKeyPartial + " AND "}
			c.keys, drives, err = r.lookUp(ctx, "actors", org, t.Values)
		case query.FieldTarget:
			c = drive{kind: driveTarget, expr: targetKeyExpr, partial: targetKeyPartial + " AND "}
			c.keys, drives, err = r.lookUp(ctx, "targets", org, t.Values)
		default:
			continue
		}
		if err != nil || consider(c, drives) {
			return d, err == nil, err
		}
	}
	return d, false, nil
}

// eventTypeKeys returns the event types of org's events that may match
// q's event and category terms; drives is false if q has no positive one.
func (r *reader) eventTypeKeys(ctx context.Context, org string, q *query.Query) (keys []string, drives bool, err error) {
	var terms []query.Term
	for _, t := range q.Terms {
		if t.Field == query.FieldEvent || t.Field == query.FieldCategory {
			terms = append(terms, t)
			drives = drives || !t.Negated
		}
	}
	if !drives {
		return nil, false, nil
	}
	err = r.eventTypes(ctx, org, terms, func(_, event string) {
		if !slices.Contains(keys, event) {
			keys = append(keys, event)
		}
	})
	return keys, len(keys) <= maxKeys, err
}

// eventTypes calls fn with the category and type of each event type of
// org that matches all of terms, which are on event types and categories.
func (r *reader) eventTypes(ctx context.Context, org string, terms []query.Term, fn func(category, event string)) error {
	rows, err := r.tx.Query(ctx, `SELECT category, event FROM event_types WHERE org = $1`, org)
	if err != nil {
		return err
	}
	sub := &query.Query{Terms: terms}
	var rec verify.Record
	_, err = pgx.ForEachRow(rows, []any{&rec.Category, &rec.Event}, func() error {
		if sub.Match(&rec) {
			fn(rec.Category, rec.Event)
		}
		return nil
	})
	return err
}

// lookUp returns the keys of the rows of table, actors or targets, of
// org whose text matches one of values; drives is false if there are more
// than maxKeys or some has no key. Actors' texts are lowercased, as the
// values of an actor term are.
func (r *reader) lookUp(ctx context.Context, table, org string, values []query.Value) (keys []string, drives bool, err error) {
	args := []any{org}
	var ors []string
	for _, v := range values {
		args = append(args, v.Like())
		op := "LIKE"
		if text, exact := v.Exact(); exact {
			op, args[len(args)-1] = "=", text
		}
		ors = append(ors, "text "+op+" $"+strconv.Itoa(len(args)))
	}
	if len(ors) == 0 {
		return nil, true, nil
	}
	args = append(args, maxKeys+1)
	rows, err := r.tx.Query(ctx, `SELECT DISTINCT key FROM `+table+` WHERE org = $1 AND (`+
		strings.Join(ors, " OR ")+`) LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, false, err
	}
	keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, false, err
	}
	return keys, len(keys) <= maxKeys && !slices.Contains(keys, ""), nil
}

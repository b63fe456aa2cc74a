package sqlite

import (
	"context"
	"database/sql"
	"net/netip"
	"strings"

	"github.com/steleaudit/stele/internal/query"
)

// Drives: what a search reads events by (see search.go).
//
// A term can drive if the tables of distinct values, and for target ids
// events_target itself, list the keys of all the events it may match; a
// term that matches an actor or target that has no key (an actor with
// neither email nor id), or a target id by a pattern other than a prefix,
// can't. A term on the address drives by the keys of the actors that used
// the addresses it matches. Which term drives: one whose keys can be
// merged before one whose can't; then a target before an actor (or
// address) before event types, as they tend to pick fewer events; then
// the one with fewer keys.

// A key is an index key that finds the events of one value: the index,
// and the value of its column after org.
type key struct {
	index, value string
}

// keyIndexes are the indexes a search reads by: their column after org,
// whether it compares without ASCII case, and the conditions of the
// partial ones, which a query must repeat for SQLite to use them.
var keyIndexes = map[string]struct {
	column  string
	nocase  bool
	partial string
}{
	"events_event":       {"event", true, ""},
	"events_actor":       {"actor_email", true, "actor_email <> '' AND "},
	"events_actor_id":    {"actor_id", false, "actor_email = '' AND actor_id <> '' AND "},
	"events_target":      {"target_id", false, "target_id <> '' AND "},
	"events_target_name": {"target_name", false, "target_id = '' AND target_name <> '' AND "},
}

// Drivers, best first.
const (
	driveTarget = iota
	driveActor
	driveEventType
	driveNone
)

// A drive is what a search reads events by: the keys of one term.
type drive struct {
	kind int
	keys []key
}

// merged reports whether d's keys are few enough to read one arm each.
func (d drive) merged() bool {
	return len(d.keys) <= maxArms
}

// arms returns the arms that read d's keys, one each, adding their
// parameters to s.
func (d drive) arms(s *search) []arm {
	arms := make([]arm, len(d.keys))
	for i, k := range d.keys {
		x := keyIndexes[k.index]
		arms[i] = arm{k.index, x.partial + x.column + " = " + s.param(k.value)}
	}
	return arms
}

// sortedArms returns the arms that read d's keys, an index each, adding
// their parameters to s. Their events come out of index order.
func (d drive) sortedArms(s *search) []arm {
	var arms []arm
	var lists [][]string
	at := map[string]int{} // arms' positions by index
	for _, k := range d.keys {
		i, ok := at[k.index]
		if !ok {
			i = len(arms)
			at[k.index] = i
			arms = append(arms, arm{index: k.index})
			lists = append(lists, nil)
		}
		lists[i] = append(lists[i], s.param(k.value))
	}
	for i, a := range arms {
		x := keyIndexes[a.index]
		arms[i].cond = x.partial + x.column + " IN (" + strings.Join(lists[i], ", ") + ")"
	}
	return arms
}

// drive returns what a search for q in the organization numbered num
// reads events by, or reports that q matches no event (none).
func (r *reader) drive(ctx context.Context, num int64, q *query.Query) (d drive, none bool, err error) {
	d = drive{kind: driveNone}
	// consider makes keys d if they are better, and reports whether they
	// say the term matches nothing.
	consider := func(kind int, keys *keySet) bool {
		c := drive{kind, keys.keys}
		switch {
		case !keys.drives:
			return false
		case len(keys.keys) == 0:
			return true
		case d.kind == driveNone,
			c.merged() && !d.merged(),
			c.merged() == d.merged() && (kind < d.kind || kind == d.kind && len(c.keys) < len(d.keys)):
			d = c
		}
		return false
	}
	types, err := r.eventTypeKeys(ctx, num, q)
	if err != nil || types != nil && consider(driveEventType, types) {
		return d, err == nil, err
	}
	for _, t := range q.Terms {
		if t.Negated {
			continue
		}
		var keys *keySet
		var kind int
		switch t.Field {
		case query.FieldActor:
			kind = driveActor
			keys, err = r.actorKeys(ctx, num, t.Values)
		case query.FieldTarget:
			kind = driveTarget
			keys, err = r.targetKeys(ctx, num, t.Values)
		case query.FieldIP:
			kind = driveActor
			keys, err = r.ipKeys(ctx, num, t.Prefixes)
		default:
			continue
		}
		if err != nil || consider(kind, keys) {
			return d, err == nil, err
		}
	}
	return d, false, nil
}

// A keySet is the keys of the events a term may match, each once.
type keySet struct {
	keys []key
	seen map[key]bool
	// drives is false if there are more than maxKeys keys, or some of the
	// events have none, or can't be listed.
	drives bool
}

func newKeySet() *keySet {
	return &keySet{seen: map[key]bool{}, drives: true}
}

// add adds k, unless its index has it already: one that compares without
// ASCII case has it in any ASCII case.
func (ks *keySet) add(k key) {
	id := k
	if keyIndexes[k.index].nocase {
		id.value = asciiLower(k.value)
	}
	if !ks.seen[id] {
		ks.seen[id] = true
		ks.keys = append(ks.keys, k)
		ks.drives = ks.drives && len(ks.keys) <= maxKeys
	}
}

// asciiLower returns s with ASCII letters lowercased, as SQLite's NOCASE
// compares.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// literal returns the range of texts that value v may match, as far as
// its literal start says; ok is false if it has a wildcard elsewhere than
// at its end.
func literal(v query.Value) (lo, hi string, ok bool) {
	if s, exact := v.Exact(); exact {
		return s, s, true
	}
	if p, prefix := v.Prefix(); prefix {
		return p, p + "\xff", true // above any UTF-8 text that starts with p
	}
	return "", "", false
}

// eventTypeKeys returns the keys of the event types of the events that
// may match q's event and category terms; nil if q has no positive one.
func (r *reader) eventTypeKeys(ctx context.Context, num int64, q *query.Query) (*keySet, error) {
	var terms []query.Term
	positive := false
	for _, t := range q.Terms {
		if t.Field == query.FieldEvent || t.Field == query.FieldCategory {
			terms = append(terms, t)
			positive = positive || !t.Negated
		}
	}
	if !positive {
		return nil, nil
	}
	rows, err := r.stmt(ctx, r.s.eventTypes).QueryContext(ctx, num)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	keys := newKeySet()
	for rows.Next() {
		var category, event string
		if err := rows.Scan(&category, &event); err != nil {
			return nil, err
		}
		if matchesAll(terms, category, event) {
			keys.add(key{"events_event", event})
		}
	}
	return keys, rows.Err()
}

// matchesAll reports whether events of the type and category match all
// of terms, on the event type or category.
func matchesAll(terms []query.Term, category, event string) bool {
	for _, t := range terms {
		s := strings.ToLower(event)
		if t.Field == query.FieldCategory {
			s = strings.ToLower(category)
		}
		ok := false
		for _, v := range t.Values {
			ok = ok || s != "" && v.Match(s)
		}
		if ok == t.Negated {
			return false
		}
	}
	return true
}

// actorKeys returns the keys of the actors of the organization numbered
// num that one of values matches: by email, or by id if the actor has no
// email.
func (r *reader) actorKeys(ctx context.Context, num int64, values []query.Value) (*keySet, error) {
	keys := newKeySet()
	for _, v := range values {
		err := r.lookUp(ctx, r.s.actors, num, v, keys, keys.addActor)
		if err != nil || !keys.drives {
			return keys, err
		}
	}
	return keys, nil
}

// addActor adds the key of the actor with email and id, as the tables of
// distinct values have them; an actor with neither has none, and then
// keys doesn't drive.
func (ks *keySet) addActor(email, id string) {
	switch {
	case email != "":
		ks.add(key{"events_actor", email})
	case id != "":
		ks.add(key{"events_actor_id", id})
	default:
		ks.drives = false
	}
}

// ipKeys returns the keys of the actors of the organization numbered num
// that used an address within one of prefixes.
func (r *reader) ipKeys(ctx context.Context, num int64, prefixes []netip.Prefix) (*keySet, error) {
	keys := newKeySet()
	if len(prefixes) == 0 {
		return keys, nil // the term matches nothing
	}
	list, err := prefixList(prefixes)
	if err != nil {
		return nil, err
	}
	rows, err := r.stmt(ctx, r.s.ipActors).QueryContext(ctx, num, list, maxKeys+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() && keys.drives {
		var email, id string
		if err := rows.Scan(&email, &id); err != nil {
			return nil, err
		}
		keys.addActor(email, id)
	}
	return keys, rows.Err()
}

// targetKeys returns the keys of the targets of the organization
// numbered num that one of values matches: by id, or by name if the target
// has no id. Ids are listed from events_target, so only values with no
// wildcard but at the end drive.
func (r *reader) targetKeys(ctx context.Context, num int64, values []query.Value) (*keySet, error) {
	keys := newKeySet()
	for _, v := range values {
		err := r.lookUp(ctx, r.s.targets, num, v, keys, func(id, name string) {
			if id != "" {
				keys.add(key{"events_target", id})
			} else {
				keys.add(key{"events_target_name", name})
			}
		})
		if err != nil || !keys.drives {
			return keys, err
		}
		lo, hi, ok := literal(v)
		if !ok {
			keys.drives = false
			return keys, nil
		}
		rows, err := r.stmt(ctx, r.s.targetIDs).QueryContext(ctx, num, lo, hi, maxKeys+1)
		if err != nil {
			return keys, err
		}
		n := 0
		for ; rows.Next(); n++ {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return keys, err
			}
			keys.add(key{"events_target", id})
		}
		rows.Close()
		keys.drives = keys.drives && n <= maxKeys // else some are left out
		if err := rows.Err(); err != nil || !keys.drives {
			return keys, err
		}
	}
	return keys, nil
}

// lookUp calls fn with the two columns after the text of the rows of the
// table that stmt reads, actors or targets, of the organization numbered
// num whose text matches v: no more than maxKeys+1 rows, and if there
// are more, keys doesn't drive.
func (r *reader) lookUp(ctx context.Context, stmt *sql.Stmt, num int64, v query.Value, keys *keySet, fn func(a, b string)) error {
	pattern, err := encodePattern([]query.Value{v})
	if err != nil {
		return err
	}
	lo, hi, ok := literal(v)
	if !ok {
		lo, hi = "", "\xff"
	}
	rows, err := r.stmt(ctx, stmt).QueryContext(ctx, num, lo, hi, pattern, maxKeys+1)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for ; rows.Next(); n++ {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		fn(a, b)
	}
	keys.drives = keys.drives && n <= maxKeys
	return rows.Err()
}

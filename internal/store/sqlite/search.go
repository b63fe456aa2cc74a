package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
)

// Search: how List lists the events matching a query.
//
// A query compiles to conditions on a row of events, the residual, that
// say exactly what the query means: every event listed passes them. SQL
// does what it can (timestamps, exact values of case-sensitive fields) and
// the functions of funcs.go the rest, so that case folding, CIDRs, details
// and free text follow package query to the letter. Values only ever
// reach SQL as parameters.
//
// Tested against every event of the organization from the newest on (a
// read of events_ts in List's order), the residual would find matches
// slowly when they are rare. So a positive term drives the search when
// one can (see drive.go): a term on the event type or category (those
// terms together), the actor or the target. The tables of distinct values
// say which event types, actors or targets it can match, each an index
// key, and each key's index lists its events in List's order. Up to
// maxArms keys, the search reads each one's index from the cursor on, one
// arm of a UNION ALL each, and SQLite merges the arms for ORDER BY,
// reading each only as far as the page needs. With more keys, it counts
// their events: if they are fewer than maxSorted, it reads them all and
// sorts them; if not, matches are common enough to find by reading
// events_ts, as it does without a driver. The residual filters them all.
//
// A positive free-text term drives too if the text index (text.go) can
// say which events may match it: those it lists, and those it has yet to
// index. If they are fewer than maxSorted, the search reads them by key
// and sorts them, unless the other way, by the driving term's arms or
// events_ts, would read fewer: arms that read in List's order come upon
// the index's n events at the rate it lists them, so they read about
// limit of every n of their own to fill a page; sorted arms read all of
// theirs. Ordered arms with fewer than maxSorted events are taken without
// reading the index, and reading it stops once they would be taken
// anyway. Events are counted to tell, never more than maxCounted.

// Limits on how a search reads by keys; variables for tests.
var (
	maxArms   = 32   // the most keys read one arm each, merged
	maxKeys   = 256  // the most keys a search reads by
	maxSorted = 2000 // the most events of keys read and sorted

	maxMatched = 1 << 15 // the most events of the text index a search reads
	maxCounted = 1 << 17 // the most events counted to choose between ways to read
)

// A search is the SQL of a search, as it is built.
type search struct {
	args  []any    // its parameters, ?1 first
	where []string // the residual: conditions ANDed
}

// param adds v to the parameters and returns its placeholder.
func (s *search) param(v any) string {
	s.args = append(s.args, v)
	return "?" + strconv.Itoa(len(s.args))
}

// An arm reads events from an index, or by key if index is "": cond picks
// the keys, if any. Its parameters are those of the search. The first five
// are the organization's number, the bounds of Filter.Bounds, and the limit.
type arm struct {
	index, cond string
}

// from returns what the arm reads, for a FROM clause.
func (a arm) from() string {
	if a.index == "" {
		return "events NOT INDEXED"
	}
	return "events INDEXED BY " + a.index
}

// sql returns the statement that lists the page of events that arms find
// and the residual passes.
func (s *search) sql(arms []arm) string {
	var b strings.Builder
	for i, a := range arms {
		if i > 0 {
			b.WriteString("\nUNION ALL\n")
		}
		b.WriteString("SELECT " + eventColumns + " FROM " + a.from() +
			"\n\tWHERE org = ?1 AND ts >= ?2 AND ts <= ?3 AND (ts < ?3 OR seq <= ?4)")
		if a.cond != "" {
			b.WriteString("\n\tAND " + a.cond)
		}
		for _, w := range s.where {
			b.WriteString("\n\tAND " + w)
		}
	}
	b.WriteString("\nORDER BY ts DESC, key DESC LIMIT ?5")
	return b.String()
}

// search returns the rows of List's page for f, of the organization
// numbered num; nil if f can match no event.
func (r *reader) search(ctx context.Context, num int64, f store.Filter) (*sql.Rows, error) {
	s, arms, err := r.newSearch(ctx, num, f)
	if err != nil || s == nil {
		return nil, err
	}
	return r.tx.QueryContext(ctx, s.sql(arms), s.args...)
}

// newSearch compiles f for the organization numbered num: its bounds, its
// residual and its arms. It returns nil, and no error, if f can match no
// event.
func (r *reader) newSearch(ctx context.Context, num int64, f store.Filter) (*search, []arm, error) {
	s, err := compile(num, f)
	if err != nil || s == nil {
		return nil, nil, err
	}
	d, none, err := r.drive(ctx, num, f.Query)
	if err != nil || none {
		return nil, nil, err
	}
	// The way to read without the text index: arms in List's order,
	// which stop once the page is full, or the events of keys, sorted.
	var arms []arm
	ordered := true
	switch {
	case d.kind == driveNone:
		arms = []arm{{index: "events_ts"}}
	case d.merged():
		arms = d.arms(s)
	default:
		arms, ordered = d.sortedArms(s), false
	}
	if m := textMatch(f.Query); m != "" {
		text, none, err := r.textArm(ctx, s, arms, ordered, m, f.Limit)
		switch {
		case err != nil || none:
			return nil, nil, err
		case text != nil:
			return s, []arm{*text}, nil
		}
	}
	if ordered {
		return s, arms, nil
	}
	return r.sortedOrScan(ctx, s, arms)
}

// sortedOrScan returns arms, which read the events of keys to sort them,
// if there are fewer than maxSorted, or else the arm that reads events_ts.
func (r *reader) sortedOrScan(ctx context.Context, s *search, arms []arm) (*search, []arm, error) {
	n, err := r.count(ctx, s, arms, maxSorted)
	if err != nil {
		return nil, nil, err
	}
	if n < maxSorted {
		return s, arms, nil
	}
	return s, []arm{{index: "events_ts"}}, nil
}

// compile returns f's bounds and residual, the conditions every event f
// selects meets, or nil if its range is empty.
func compile(num int64, f store.Filter) (*search, error) {
	f = f.Narrowed()
	lo, hi, ok := f.Bounds()
	if !ok {
		return nil, nil
	}
	s := new(search)
	s.param(num)
	s.param(lo)
	s.param(hi.TS)
	s.param(hi.Seq)
	s.param(f.Limit)
	for _, t := range f.Query.Terms {
		cond, err := s.term(t)
		if err != nil {
			return nil, fmt.Errorf("term %d, %s: %w", t.Pos, t.String(), err)
		}
		if cond != "" {
			s.where = append(s.where, cond)
		}
	}
	return s, nil
}

// count returns how many events in the search's range arms read, the
// residual aside, or limit if there are as many or more.
func (r *reader) count(ctx context.Context, s *search, arms []arm, limit int) (int, error) {
	var b strings.Builder
	b.WriteString("SELECT count(*) FROM (")
	for i, a := range arms {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT 1 FROM " + a.from() + " WHERE org = ?1 AND ts >= ?2 AND ts <= ?3")
		if a.cond != "" {
			b.WriteString(" AND " + a.cond)
		}
	}
	b.WriteString(" LIMIT ?" + strconv.Itoa(len(s.args)+1) + ")")
	var n int
	err := r.tx.QueryRowContext(ctx, b.String(), append(slices.Clip(s.args), limit)...).Scan(&n)
	return n, err
}

// term returns the condition an event must meet to match t, or "" for
// none (a positive timestamp term, which Filter.Narrowed applied).
func (s *search) term(t query.Term) (string, error) {
	var cond string
	switch t.Field {
	case query.FieldTimestamp:
		if !t.Negated {
			return "", nil
		}
		a, b, ok := store.NanoRange(t.Since, t.Until)
		if !ok {
			return "", nil // outside an empty range is everywhere
		}
		return "NOT (ts BETWEEN " + s.param(a) + " AND " + s.param(b) + ")", nil
	case query.FieldIP:
		if len(t.Prefixes) == 0 {
			cond = "0"
			break
		}
		list, err := prefixList(t.Prefixes)
		if err != nil {
			return "", err
		}
		cond = "stele_ip_in(ip, " + s.param(list) + ")"
	default:
		var err error
		if cond, err = s.values(t); err != nil {
			return "", err
		}
	}
	if t.Negated {
		cond = "NOT " + cond
	}
	return cond, nil
}

// matched are the columns a term matches its values against, by field,
// and whether it lowercases them first.
var matched = map[query.Field]struct {
	fold    bool
	columns []string
}{
	query.FieldActor:    {true, []string{"actor_email", "actor_id", "actor_name"}},
	query.FieldEvent:    {true, []string{"event"}},
	query.FieldTarget:   {false, []string{"target_id", "target_name"}},
	query.FieldCategory: {true, []string{"category"}},
	// An actor without a type is a user (see verify.Actor).
	query.FieldActorType: {true, []string{"iif(actor_type = '', 'user', actor_type)"}},
	query.FieldUserAgent: {false, []string{"user_agent"}},
}

// values returns the condition of a term with values. It is never NULL,
// so that NOT negates it.
func (s *search) values(t query.Term) (string, error) {
	if len(t.Values) == 0 {
		return "0", nil
	}
	pattern, err := encodePattern(t.Values)
	if err != nil {
		return "", err
	}
	switch t.Field {
	case query.FieldText:
		return "stele_text(" + s.param(pattern) + ", " + textColumns + ")", nil
	case query.FieldDetails:
		path, err := jsonPath(t.Path)
		if err != nil {
			return "", err
		}
		return "(" + s.mayHold(t.Values) + "stele_match(" + s.param(pattern) + ", 0, " +
			detailText(s.param(path)) + "))", nil
	}
	m, ok := matched[t.Field]
	if !ok {
		return "", fmt.Errorf("unknown field %v", t.Field)
	}
	if !m.fold {
		if exact, ok := exactValues(t.Values); ok {
			// Plain SQL on columns that are never NULL or empty-matching:
			// the values aren't empty.
			var in []string
			for _, v := range exact {
				in = append(in, s.param(v))
			}
			list := strings.Join(in, ", ")
			conds := make([]string, len(m.columns))
			for i, c := range m.columns {
				conds[i] = c + " IN (" + list + ")"
			}
			return "(" + strings.Join(conds, " OR ") + ")", nil
		}
	}
	fold := "0"
	if m.fold {
		fold = "1"
	}
	return "stele_match(" + s.param(pattern) + ", " + fold + ", " + strings.Join(m.columns, ", ") + ")", nil
}

// mayHold returns a condition, ANDed, that the details of an event must
// meet for a member to match one of values, quicker to test than parsing
// them: that they are there, and hold the longest part of a value or a
// backslash. Without a backslash, JSON text holds the text of each of its
// strings as it is, and that of numbers and booleans too. It returns "" if
// some value has no part to look for.
func (s *search) mayHold(values []query.Value) string {
	var holds []string
	for _, v := range values {
		key := ""
		for _, p := range v.Parts {
			if len(p) > len(key) {
				key = p
			}
		}
		if key == "" {
			return ""
		}
		holds = append(holds, "instr(details, "+s.param(key)+") > 0")
	}
	return `details IS NOT NULL AND (instr(details, '\') > 0 OR ` + strings.Join(holds, " OR ") + ") AND "
}

// exactValues returns the texts of values if none has a wildcard (or is
// empty).
func exactValues(values []query.Value) ([]string, bool) {
	texts := make([]string, len(values))
	for i, v := range values {
		s, ok := v.Exact()
		if !ok || s == "" {
			return nil, false
		}
		texts[i] = s
	}
	return texts, true
}

// jsonPath returns the SQLite JSON path of a details member: keys quoted,
// which is safe as they hold only A-Z a-z 0-9 _ and -.
func jsonPath(keys []string) (string, error) {
	if len(keys) == 0 {
		return "", fmt.Errorf("no details path")
	}
	var b strings.Builder
	b.WriteString("$")
	for _, k := range keys {
		if k == "" || strings.Trim(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			return "", fmt.Errorf("bad details key %q", k)
		}
		b.WriteString(`."` + k + `"`)
	}
	return b.String(), nil
}

// detailText returns an expression for the text of the details member at
// path (a placeholder): that of a string, or the JSON text of a number or
// boolean; NULL if there is none, or the details aren't JSON.
func detailText(path string) string {
	return "CASE WHEN json_valid(details) THEN CASE json_type(details, " + path + ")" +
		" WHEN 'text' THEN details ->> " + path +
		" WHEN 'integer' THEN details -> " + path +
		" WHEN 'real' THEN details -> " + path +
		" WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' END END"
}

// prefixList returns prefixes as stele_ip_in takes them: separated by
// commas.
func prefixList(prefixes []netip.Prefix) (string, error) {
	list := make([]string, len(prefixes))
	for i, p := range prefixes {
		if !p.IsValid() {
			return "", fmt.Errorf("invalid prefix %v", p)
		}
		list[i] = p.String()
	}
	return strings.Join(list, ","), nil
}

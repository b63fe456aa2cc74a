package postgres

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/query"
)

// Searching by the text index (text.go).
//
// Without it, a free-text term is tested on every event of the
// organization in range, newest first, until the page is full: quick
// for a common word, a scan of the organization for a rare one. So a
// positive free-text term drives a search when the text index says that
// few events may match it: those whose row of events_text is LIKE one of
// its values, and those above the organization's mark, which it has yet
// to index. The search reads them by key, newest first, and tests them
// as it tests all it reads (the query's condition in SQL, then
// query.Match): the index only narrows it down.
//
// Asking the index costs a GIN scan of the posting lists of the value's
// trigrams, which is as long as the trigrams are common, whether the
// value is or not: a long one for "login", or "user 42". So the search
// first estimates from text_trigrams how many events may match each
// term: per value, the events indexed times the share of them that has
// each of some of its trigrams (every third of each run of letters and
// digits, and the last, which overlap less than neighbours do), as if
// they were independent; summed over the values. The term estimated to
// match fewest drives if that is no more than maxTextKeys, and its
// values can all be looked for: each has three ASCII letters or digits
// in a row, which pg_trgm finds trigrams in whatever the locale (a LIKE
// pattern without any would scan the whole index). The estimate errs
// low for words whose trigrams go together; the scan then finds more
// than maxTextKeys events, reads no more than that, and the search reads
// as it would without the index.

// maxTextKeys is the most events a search reads by key from the text
// index and above its mark; a variable for tests.
var maxTextKeys = 2000

// A key is an event's place in events: its timestamp and seq.
type key struct{ ts, seq int64 }

// textTerm is a term that the text index can look for: its values, and
// the trigrams of each whose counts estimate how many events hold it.
type textTerm struct {
	values   []query.Value
	trigrams [][]int32
}

// textTerms returns q's terms that the text index can look for.
func textTerms(q *query.Query) []textTerm {
	var terms []textTerm
	for _, t := range q.Terms {
		if t.Field != query.FieldText || t.Negated || len(t.Values) == 0 {
			continue
		}
		tt := textTerm{values: t.Values}
		for _, v := range t.Values {
			ts := valueTrigrams(v)
			if ts == nil {
				tt.trigrams = nil
				break
			}
			tt.trigrams = append(tt.trigrams, ts)
		}
		if tt.trigrams != nil {
			terms = append(terms, tt)
		}
	}
	return terms
}

// valueTrigrams returns the trigrams of v whose counts estimate how many
// events hold it: in each run of three letters or digits or more of its
// parts, every third from the first, and the last. It returns nil if v
// has none, or holds a NUL, which PostgreSQL's text can't.
func valueTrigrams(v query.Value) []int32 {
	var trigrams []int32
	add := func(s string) {
		var t int32
		for i := range 3 {
			t = t*36 + digit36(s[i])
		}
		if !slices.Contains(trigrams, t) {
			trigrams = append(trigrams, t)
		}
	}
	for _, p := range v.Parts {
		if strings.IndexByte(p, 0) >= 0 {
			return nil
		}
		for i := 0; i < len(p); {
			j := i
			for j < len(p) && digit36(p[j]) >= 0 {
				j++
			}
			if j-i >= 3 {
				for k := i; k+3 <= j; k += 3 {
					add(p[k : k+3])
				}
				add(p[j-3 : j])
			}
			i = j + 1
		}
	}
	return trigrams
}

// textEstimate returns how many of n events indexed hold one of the
// values whose trigrams are trigrams, of which count says how many
// events hold each.
func textEstimate(n int64, count map[int32]int64, trigrams [][]int32) float64 {
	est := 0.0
	for _, ts := range trigrams {
		e := float64(n)
		for _, t := range ts {
			e *= float64(count[t]) / float64(max(n, 1))
		}
		est += e
	}
	return est
}

const (
	// selectTrigrams takes an organization and trigrams, and returns the
	// counts of those it has, and its mark and the events indexed, as
	// trigram -1.
	selectTrigrams = `SELECT trigram, n, 0 FROM text_trigrams WHERE org = $1 AND trigram = ANY($2)
		UNION ALL SELECT -1, events, up_to FROM text_indexed WHERE org = $1`
	// selectUnindexed takes an organization, its mark, the bounds of the
	// search's timestamps and a limit.
	selectUnindexed = `SELECT ts, seq FROM leaves WHERE org = $1 AND seq > $2 AND ts >= $3 AND ts <= $4 LIMIT $5`
	// selectTextKeys takes the same, and patterns after.
	selectTextKeys = `SELECT ts, seq FROM events_text WHERE org = $1 AND seq <= $2 AND ts >= $3 AND ts <= $4 AND (`
	// bitmapOnly makes the planner read events_text by its GIN index:
	// the planner can't tell how many rows LIKE keeps, and when it
	// guesses many, it would rather read the rows of the organization
	// until it has enough, which is all of them for a rare word.
	bitmapOnly = `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)`
	anyScan    = `SELECT set_config('enable_seqscan', 'on', true), set_config('enable_indexscan', 'on', true)`
)

// textKeys returns the keys of the events of org in the search's range
// that may match q, if the text index can say and they are no more than
// maxTextKeys: those it lists for the free-text term of q that it
// estimates to match fewest events, and those above the organization's
// mark. ok is false if it can't say, or they are more.
//
// Each statement sees what committed before it, as a REPEATABLE READ
// transaction's first did: the mark first, then the events above it, and
// the rows at or below it, which were there when it was read.
func (r *reader) textKeys(ctx context.Context, org string, s *search, q *query.Query) (keys []key, ok bool, err error) {
	terms := textTerms(q)
	if len(terms) == 0 {
		return nil, false, nil
	}
	var trigrams []int32
	for _, t := range terms {
		for _, ts := range t.trigrams {
			trigrams = append(trigrams, ts...)
		}
	}
	rows, err := r.tx.Query(ctx, selectTrigrams, org, trigrams)
	if err != nil {
		return nil, false, err
	}
	count := map[int32]int64{}
	var indexed, mark int64 = 0, -1
	var t int32
	var n, m int64
	_, err = pgx.ForEachRow(rows, []any{&t, &n, &m}, func() error {
		if t < 0 {
			indexed, mark = n, m
		} else {
			count[t] = n
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	best, least := -1, float64(maxTextKeys)
	for i, t := range terms {
		if e := textEstimate(indexed, count, t.trigrams); e <= least {
			best, least = i, e
		}
	}
	if best < 0 {
		return nil, false, nil
	}
	// The events above the mark, and those the index lists, in one round
	// trip, reading no more than one too many of either.
	args := []any{org, mark, s.lo, s.hi.TS, maxTextKeys + 1}
	var ors []string
	for _, v := range terms[best].values {
		args = append(args, "%"+v.Like()+"%")
		ors = append(ors, "text LIKE $"+strconv.Itoa(len(args)))
	}
	b := new(pgx.Batch)
	scan := func(rows pgx.Rows) error {
		var k key
		_, err := pgx.ForEachRow(rows, []any{&k.ts, &k.seq}, func() error {
			keys = append(keys, k)
			return nil
		})
		return err
	}
	b.Queue(selectUnindexed, args[:5]...).Query(scan)
	b.Queue(bitmapOnly)
	b.Queue(selectTextKeys+strings.Join(ors, " OR ")+") LIMIT $5", args...).Query(scan)
	b.Queue(anyScan)
	if err := r.tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, false, err
	}
	if len(keys) > maxTextKeys {
		return nil, false, nil
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(b.ts, a.ts), cmp.Compare(b.seq, a.seq))
	})
	return keys, true, nil
}

// keysCond returns the condition that an event's key is one of those of
// the arrays of timestamps and seqs of the placeholders ts and seqs.
func keysCond(ts, seqs string) string {
	return "(ts, seq) IN (SELECT * FROM unnest(" + ts + "::bigint[], " + seqs + "::bigint[]))"
}

// keyArrays returns the timestamps and seqs of keys.
func keyArrays(keys []key) (ts, seqs []int64) {
	ts, seqs = make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		ts[i], seqs[i] = k.ts, k.seq
	}
	return ts, seqs
}

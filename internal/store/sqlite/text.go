package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
)

// The text index: events_text (migrations 005 and 008) lists, by
// trigram, the events whose free text may hold a word, so that a rare
// word is found without testing every event of the organization. Its
// rowids are the events' organizations and seqs (textRowid), so that a
// search reads its organization's part of a trigram's list only.
//
// A goroutine of the DB keeps it, outside the transactions that append
// events so that they pay nothing for it: every textInterval, it indexes
// the events above text_indexed in chunks of textChunk, each read on a
// read connection and written in one write transaction that moves
// text_indexed up. While it is behind and ingest outpaces it (events are
// appended faster than it indexes: store.Pace), it rests textYield times
// as long as each chunk took, so that ingest keeps most of the writer.
// Search reads the index and text_indexed in one snapshot, and the events
// above text_indexed as unindexed: a search finds every match whatever
// the indexer's lag, and only reads more when it lags.

// How the text index is kept; variables for tests.
var (
	textChunk    = 1000                   // the most events one transaction indexes
	textInterval = 250 * time.Millisecond // how long the indexer rests once it has caught up
	textYield    = 2                      // how many times a chunk's time it rests while ingest outpaces it
)

// textColumns are the columns of events whose text free text searches:
// the details first, then texts as they are. stele_text takes them in
// this order, and the index is made of them.
const textColumns = "details, actor_email, actor_id, actor_name, target_id, target_name"

const (
	selectTextIndexed = `SELECT up_to FROM text_indexed`
	updateTextIndexed = `UPDATE text_indexed SET up_to = ?`
	selectToIndex     = `SELECT key, org, seq, ` + textColumns + ` FROM events WHERE key > ? ORDER BY key LIMIT ?`
	insertText        = `INSERT INTO events_text (rowid, text) VALUES (?, ?)`
)

// startText starts the goroutine that keeps the text index, if keep is
// true. Close stops it.
func (db *DB) startText(keep bool) {
	ctx, cancel := context.WithCancel(context.Background())
	db.stopText = cancel
	db.textDone = make(chan struct{})
	if !keep {
		close(db.textDone)
		return
	}
	go db.indexText(ctx)
}

// indexText keeps the text index until ctx is done. A failed chunk is
// tried again after textInterval: searches find unindexed events all the
// same, only more slowly.
func (db *DB) indexText(ctx context.Context) {
	defer close(db.textDone)
	rest := time.NewTimer(0)
	defer rest.Stop()
	var pace store.Pace
	for {
		select {
		case <-ctx.Done():
			return
		case <-rest.C:
		}
		appended, start := db.appended.Load(), time.Now()
		n, err := db.indexChunk(ctx)
		rests := pace.Rests(appended, start, int64(n), time.Since(start))
		switch {
		case err != nil || n < textChunk:
			rest.Reset(textInterval)
		case rests:
			rest.Reset(time.Duration(textYield) * time.Since(start))
		default:
			rest.Reset(0)
		}
	}
}

// textRowid returns the rowid of events_text for the event at seq of the
// organization numbered org (see migration 008).
func textRowid(org, seq int64) int64 { return org<<40 | seq }

// textRowids returns the range of events_text's rowids of the
// organization numbered org.
func textRowids(org int64) (lo, hi int64) { return org << 40, org<<40 | (1<<40 - 1) }

// textRows are events to index: the rowids of their rows in events_text
// and what the rows hold, and the highest key among them.
type textRows struct {
	upTo, last int64 // text_indexed's up_to when read, and the last key
	rowids     []int64
	texts      []string
}

// indexChunk indexes up to textChunk events above text_indexed, and
// returns how many.
func (db *DB) indexChunk(ctx context.Context) (int, error) {
	for {
		rows, err := db.textsToIndex(ctx)
		if err != nil || len(rows.rowids) == 0 {
			return 0, err
		}
		written, err := db.writeTexts(ctx, rows)
		switch {
		case err != nil:
			return 0, err
		case written:
			return len(rows.rowids), nil
		}
		// Someone else indexed them meanwhile: on from there.
	}
}

// textsToIndex reads, on a read connection so that the writer is held
// only to write them, the first textChunk events above text_indexed's
// up_to, in key order, and returns the rows the text index is to hold for
// them.
func (db *DB) textsToIndex(ctx context.Context) (textRows, error) {
	var t textRows
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return t, fmt.Errorf("couldn't begin reading events to index: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, selectTextIndexed).Scan(&t.upTo); err != nil {
		return t, fmt.Errorf("couldn't read how far the text index goes: %w", err)
	}
	rows, err := tx.QueryContext(ctx, selectToIndex, t.upTo, textChunk)
	if err != nil {
		return t, fmt.Errorf("couldn't read events to index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var org, seq int64
		var details sql.NullString
		var s [5]string // the rest of textColumns
		if err := rows.Scan(&t.last, &org, &seq, &details, &s[0], &s[1], &s[2], &s[3], &s[4]); err != nil {
			return t, fmt.Errorf("couldn't read events to index: %w", err)
		}
		t.rowids = append(t.rowids, textRowid(org, seq))
		t.texts = append(t.texts, store.FreeText(details.String, s[:]...))
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("couldn't read events to index: %w", err)
	}
	return t, nil
}

// writeTexts adds t's rows to the text index and moves text_indexed from
// t.upTo to t.last, in a write transaction. It takes the writer as
// ReadWrite does, and writes nothing, reporting so, if text_indexed has
// moved since t was read.
func (db *DB) writeTexts(ctx context.Context, t textRows) (written bool, err error) {
	select {
	case db.writing <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-db.writing }()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("couldn't begin indexing: %w", err)
	}
	defer tx.Rollback()
	var now int64
	if err := tx.QueryRowContext(ctx, selectTextIndexed).Scan(&now); err != nil || now != t.upTo {
		return false, err
	}
	insert, err := tx.PrepareContext(ctx, insertText)
	if err != nil {
		return false, fmt.Errorf("couldn't index events: %w", err)
	}
	defer insert.Close()
	// FTS5 writes out what it holds whenever a rowid is lower than the
	// last: in rowid order, a transaction makes one segment of the index,
	// where the chunk's order (by key, all organizations mixed) made one
	// every few rows, for merges to read again and again.
	order := make([]int, len(t.rowids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(t.rowids[a], t.rowids[b]) })
	for _, i := range order {
		if _, err := insert.ExecContext(ctx, t.rowids[i], t.texts[i]); err != nil {
			return false, fmt.Errorf("couldn't index events: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, updateTextIndexed, t.last); err != nil {
		return false, fmt.Errorf("couldn't index events: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("couldn't commit indexing: %w", err)
	}
	return true, nil
}

// textMatch returns the full-text query that finds, in the text index,
// every event that may match all of q's positive free-text terms, or ""
// if none of them can say: those with a value that has no literal part of
// three characters or more, which trigrams can't find. The index holds
// texts lowercased as stele_text compares them with a value's parts, so
// they are looked for as they are (Parse has lowercased them).
func textMatch(q *query.Query) string {
	var terms []string
	for _, t := range q.Terms {
		if t.Field != query.FieldText || t.Negated || len(t.Values) == 0 {
			continue
		}
		values := make([]string, len(t.Values))
		for i, v := range t.Values {
			if values[i] = valueMatch(v); values[i] == "" {
				values = nil
				break
			}
		}
		if values != nil {
			terms = append(terms, "("+strings.Join(values, " OR ")+")")
		}
	}
	return strings.Join(terms, " AND ")
}

// valueMatch returns the full-text query for the events whose text holds
// the trigrams of v's longest part that cover it, every third and the
// last: fewer to read than all, and as good a filter as a rule. It
// returns "" if the part is shorter than three characters.
func valueMatch(v query.Value) string {
	var key []rune
	for _, p := range v.Parts {
		if r := []rune(p); len(r) > len(key) {
			key = r
		}
	}
	// FTS5 reads a query up to a NUL; Parse refuses them anyway.
	if len(key) < 3 || slices.Contains(key, 0) {
		return ""
	}
	var trigrams []string
	for i := 0; i < len(key); i += 3 {
		t := string(key[min(i, len(key)-3) : min(i, len(key)-3)+3])
		if t = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`; !slices.Contains(trigrams, t) {
			trigrams = append(trigrams, t)
		}
	}
	return "(" + strings.Join(trigrams, " AND ") + ")"
}

// textArm returns the arm that reads the events the text index says may
// match the full-text query m, if the search should read them rather
// than arms, ordered or not (see search.go); nil if not. none is true if
// no event can match.
func (r *reader) textArm(ctx context.Context, s *search, arms []arm, ordered bool, m string, limit int) (a *arm, none bool, err error) {
	// Ordered arms that read fewer than maxSorted events are as quick as
	// the text index can be.
	counted := min(maxSorted, maxCounted)
	if ordered {
		n, err := r.count(ctx, s, arms, counted)
		if err != nil || n < counted {
			return nil, false, err
		}
	}
	keys, ok, err := r.textKeys(ctx, s, m, limit, ordered)
	switch {
	case err != nil || !ok:
		return nil, false, err
	case len(keys) == 0:
		return nil, true, nil
	}
	if most := textBound(len(keys), limit, ordered); !ordered || most > counted {
		n, err := r.count(ctx, s, arms, most)
		if err != nil || n < most {
			return nil, false, err
		}
	}
	text := keysArm(s, keys)
	return &text, false, nil
}

// textBound returns how many events a search must read by other arms,
// ordered or not, for it to read more that way than the n events of the
// text index: ordered, about limit of every n of them fill a page; not,
// it reads them all. It is never more than maxCounted.
func textBound(n, limit int, ordered bool) int {
	if ordered {
		return min(n*n/limit+1, maxCounted)
	}
	return min(n+1, maxCounted)
}

// textKeys returns the keys of the events in the search's range that may
// match the full-text query m, fewer than maxSorted: those the text index
// lists, which it reads newest first, and all events above up_to. ok is
// false if there are maxSorted or more, or they look like being so from
// the newest, or the index lists maxMatched or more of the organization's
// events, too many to tell quickly; or if the search reads in List's
// order (ordered), and would read fewer events that way than the index
// has listed already.
func (r *reader) textKeys(ctx context.Context, s *search, m string, limit int, ordered bool) (keys []int64, ok bool, err error) {
	var upTo int64
	if err := r.tx.QueryRowContext(ctx, selectTextIndexed).Scan(&upTo); err != nil {
		return nil, false, err
	}
	org, lo, hi := s.args[0], s.args[1], s.args[2]
	rows, err := r.tx.QueryContext(ctx, selectUnindexed, org, lo, hi, upTo, maxSorted)
	if err != nil {
		return nil, false, err
	}
	keys, err = appendKeys(keys, rows)
	if err != nil || len(keys) >= maxSorted {
		return nil, false, err
	}
	var size int64 // of the organization's log
	if err := r.tx.QueryRowContext(ctx, selectLogSize, org).Scan(&size); err != nil {
		return nil, false, err
	}
	first, last := textRowids(org.(int64))
	rows, err = r.tx.QueryContext(ctx, selectTextListed, org, lo, hi, m, first, last, maxMatched)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	read, listed := 0, 0
	for ; rows.Next(); read++ {
		var key, seq int64
		var ours bool
		if err := rows.Scan(&key, &seq, &ours); err != nil {
			return nil, false, err
		}
		if !ours {
			continue
		}
		keys = append(keys, key)
		listed++
		// Newest first, as List reads: listed of the span newest events
		// are the search's, so about listed*size/span of all, and ordered
		// arms would fill a page after about limit*span/listed events.
		span := int(size - seq)
		if len(keys) >= maxSorted ||
			listed >= limit && listed*int(size) >= maxSorted*span ||
			ordered && span < textBound(listed, limit, true) {
			return nil, false, nil
		}
	}
	if err := rows.Err(); err != nil || read >= maxMatched {
		return nil, false, err
	}
	return keys, true, nil
}

const (
	// selectUnindexed takes the organization number, the bounds of the
	// search's timestamps, text_indexed's up_to and a limit.
	selectUnindexed = `SELECT key FROM events NOT INDEXED
		WHERE key > ?4 AND org = ?1 AND ts >= ?2 AND ts <= ?3 LIMIT ?5`
	// selectLogSize takes an organization number.
	selectLogSize = `SELECT tree_size FROM orgs WHERE num = ?`
	// selectTextListed takes the same as selectUnindexed, then the
	// full-text query, the range of the organization's rowids in the text
	// index and a limit: the keys and seqs of the events the index lists,
	// newest first, and whether each is in the search's range.
	selectTextListed = `SELECT e.key, e.seq, e.ts >= ?2 AND e.ts <= ?3
		FROM (SELECT rowid FROM events_text WHERE events_text MATCH ?4 AND rowid BETWEEN ?5 AND ?6
			ORDER BY rowid DESC LIMIT ?7) AS t
		CROSS JOIN events AS e ON e.org = ?1 AND e.seq = t.rowid - ?5`
)

// appendKeys appends the keys that rows, of one column, hold to keys,
// and closes rows.
func appendKeys(keys []int64, rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	for rows.Next() {
		var key int64
		if err := rows.Scan(&key); err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, rows.Err()
}

// keysArm returns the arm that reads the events of keys, adding its
// parameter to s.
func keysArm(s *search, keys []int64) arm {
	b := []byte{'['}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, k, 10)
	}
	b = append(b, ']')
	return arm{cond: "key IN (SELECT value FROM json_each(" + s.param(string(b)) + "))"}
}

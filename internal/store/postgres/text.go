package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
)

// The text index: events_text (migration 003) holds the free text of each
// event indexed, Go-lowercased, under a pg_trgm GIN index led by org, so
// that a rare word is found without testing every event of the
// organization; text_trigrams counts the events of each organization by
// trigram, so that search can tell a rare word before it asks (search
// side: textsearch.go).
//
// A goroutine of the DB keeps it, and the daily counts of actors and
// targets (days.go), outside the transactions that append events so that
// they pay nothing for it, on a connection of its own:
// every textInterval, it finds the organizations with events above their
// row of text_indexed (up_to), and indexes up to textChunk events of each,
// in seq order, several organizations to a transaction when they are
// behind by little. A transaction locks the organizations' rows of
// text_indexed FOR UPDATE SKIP LOCKED, reads their events above up_to
// (READ COMMITTED: all that committed before), writes their rows of
// events_text and counts, adds them to the daily counts, and moves up_to,
// so that the rows and the mark commit together. Indexing an event costs
// the database more than appending it (a GIN index of trigrams writes
// several times the WAL), so while ingest outpaces the indexer (the
// schema's logs, whichever server appends to them, grow faster than it
// indexes: store.Pace), it rests textYield times as long as each
// transaction took, leaving most of the database to ingest.
//
// Of the stores on one schema (several servers), one indexes at a time:
// the one whose indexer holds the session advisory lock textLock, until
// its connection ends; the others try to take it every textInterval.
// Indexing and ingest share the one database, so the share indexing
// takes while ingest goes on stays that of one indexer however many
// servers there are (with an indexer each, two servers took two shares,
// and ingested 9% less than one). The row locks still keep whatever else
// indexes (a test, by hand) apart from the indexer: SKIP LOCKED makes
// each pass over the organizations the other is indexing, and the next
// round reads the mark the other moved. An organization is indexed by one
// transaction at a time, which also keeps its rows of text_trigrams to
// one writer. Those row locks live with the organization's rows, on its
// shard when the schema is distributed; textLock, one for the schema,
// lives on the node the servers connect to.
//
// The mark is a seq, and events above it are read as unindexed: that
// holds only if each organization's events commit in seq order, which
// Tx.LockHead (one writer of an organization at a time) and Append's
// contract (seqs above all stored) give. The indexer's transactions
// commit without waiting for their WAL to be flushed
// (synchronous_commit off): a crash may lose the last of them, rows and
// mark together, and the indexer writes them again.
//
// An event's row of events_text is found by (org, seq), its key. Erasing
// an event's personal data must delete the row in the transaction that
// rewrites the event, having locked its organization's row of
// text_indexed FOR UPDATE first (inserted if there is none): the indexer
// reads events only once it holds that lock, so it either commits before
// (and the row is there to delete) or reads the event rewritten.

// How the text index is kept; variables for tests.
var (
	textChunk    = 1000                   // the most events a transaction indexes
	textOrgs     = 100                    // the most organizations a transaction indexes
	textInterval = 250 * time.Millisecond // how long the indexer rests once it has caught up
	textYield    = 2                      // how many times a transaction's time it rests while ingest outpaces it
)

// startText starts the goroutine that keeps the text index. Close stops
// it.
func (db *DB) startText() {
	ctx, cancel := context.WithCancel(context.Background())
	db.stopText = cancel
	db.textDone = make(chan struct{})
	go db.indexText(ctx)
}

// textLock takes the lock of the schema's indexer for the session, if no
// other session holds it, and says whether it did.
const textLock = `SELECT pg_try_advisory_lock(hashtext('stele.text'), ` + schemaKey + `)`

// indexText keeps the text index until ctx is done, while it holds
// textLock. A failed round is tried again after textInterval, on a new
// connection if the old one is gone: searches find unindexed events all
// the same, only more slowly.
func (db *DB) indexText(ctx context.Context) {
	defer close(db.textDone)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			closeConn(conn)
		}
	}()
	leading := false // conn holds textLock
	var pace store.Pace
	rest := time.NewTimer(0)
	defer rest.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-rest.C:
		}
		if conn == nil || conn.IsClosed() {
			var err error
			if conn, err = connectIndexer(ctx, db.parts.conf); err != nil {
				conn = nil
				rest.Reset(textInterval)
				continue
			}
			leading = false
		}
		if !leading {
			if err := conn.QueryRow(ctx, textLock).Scan(&leading); err != nil || !leading {
				rest.Reset(textInterval)
				continue
			}
		}
		behind, err := indexRound(ctx, conn, &pace)
		if err != nil || !behind {
			rest.Reset(textInterval)
		} else {
			rest.Reset(0)
		}
	}
}

// connectIndexer opens the indexer's connection, with the store's
// configuration conf. Its statements read leaves and events by key, a
// few at a time, in order: never with a bitmap, which would read all of
// an organization's that are above its mark before the first (the
// planner, which can't tell how many there are, may guess few).
func connectIndexer(ctx context.Context, conf *pgx.ConnConfig) (*pgx.Conn, error) {
	c := conf.Copy()
	c.RuntimeParams["enable_bitmapscan"] = "off"
	return pgx.ConnectConfig(ctx, c)
}

// closeConn closes conn, giving up after a few seconds.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn.Close(ctx)
}

// A lag is how far behind the text index of an organization is: the
// events above its mark, counted up to textChunk.
type lag struct {
	org    string
	events int
}

// insertIndexed adds the rows of text_indexed that orgs lacks; then
// selectBehind lists the organizations with events above their mark, with
// how many, counted up to $1.
const (
	insertIndexed = `INSERT INTO text_indexed (org)
		SELECT id FROM orgs o WHERE NOT EXISTS (SELECT 1 FROM text_indexed t WHERE t.org = o.id)
		ON CONFLICT DO NOTHING`
	selectBehind = `SELECT org, n FROM (
		SELECT t.org, (SELECT count(*) FROM (SELECT FROM leaves l WHERE l.org = t.org AND l.seq > t.up_to LIMIT $1) b) AS n
		FROM text_indexed t) w
		WHERE n > 0 ORDER BY org`
)

// indexRound indexes up to textChunk events of each organization behind,
// and reports whether some may be behind still.
func indexRound(ctx context.Context, conn *pgx.Conn, pace *store.Pace) (behind bool, err error) {
	b := new(pgx.Batch)
	b.Queue(insertIndexed)
	var lags []lag
	b.Queue(selectBehind, textChunk).Query(func(rows pgx.Rows) error {
		var l lag
		_, err := pgx.ForEachRow(rows, []any{&l.org, &l.events}, func() error {
			lags = append(lags, l)
			return nil
		})
		return err
	})
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return false, fmt.Errorf("couldn't find what to index: %w", err)
	}
	// Groups of organizations, each to a transaction: up to textOrgs of
	// them, and textChunk events, but for one organization that has more
	// on its own.
	for len(lags) > 0 {
		n, events := 0, 0
		for n < len(lags) && n < textOrgs && (n == 0 || events+lags[n].events <= textChunk) {
			events += lags[n].events
			n++
		}
		orgs := make([]string, n)
		for i, l := range lags[:n] {
			orgs[i] = l.org
			behind = behind || l.events >= textChunk
		}
		lags = lags[n:]
		start := time.Now()
		c, err := indexOrgs(ctx, conn, orgs)
		if err != nil {
			return false, err
		}
		rests := pace.Rests(c.appended, start, c.n, time.Since(start))
		if rests && (len(lags) > 0 || behind) {
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-time.After(time.Duration(textYield) * time.Since(start)):
			}
		}
	}
	return behind, nil
}

const (
	lockIndexed = `SELECT org, up_to FROM text_indexed WHERE org = ANY($1) ORDER BY org FOR UPDATE SKIP LOCKED`
	// selectToIndex takes the organizations and their marks, and reads
	// up to $3 events of each above its mark, in seq order: leaves, and
	// each one's event by key (laterally, and not to be flattened by
	// LIMIT 1, so that the planner can't read all of the organization's
	// events and join them).
	selectToIndex = `SELECT w.org, l.seq, l.ts, e.actor_email, e.actor_id, e.actor_name, e.target_id, e.target_name, e.details
		FROM unnest($1::text[], $2::bigint[]) AS w (org, up_to)
		CROSS JOIN LATERAL (SELECT seq, ts FROM leaves WHERE org = w.org AND seq > w.up_to ORDER BY seq LIMIT $3) l
		LEFT JOIN LATERAL (SELECT actor_email, actor_id, actor_name, target_id, target_name, details
			FROM events WHERE org = w.org AND ts = l.ts AND seq = l.seq LIMIT 1) e ON TRUE
		ORDER BY w.org, l.seq`
	insertText = `INSERT INTO events_text (org, seq, ts, text)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[])
		ON CONFLICT DO NOTHING`
	upsertTrigrams = `INSERT INTO text_trigrams (org, trigram, n)
		SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[])
		ON CONFLICT (org, trigram) DO UPDATE SET n = text_trigrams.n + excluded.n`
	updateIndexed = `UPDATE text_indexed t SET up_to = w.up_to, events = t.events + w.n
		FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS w (org, up_to, n) WHERE t.org = w.org`
)

// selectAppended counts the events of the schema's logs: all that every
// server appended.
const selectAppended = `SELECT coalesce(sum(tree_size), 0)::bigint FROM orgs`

// textCounts are the schema's events as an indexing transaction began
// (selectAppended), and how many it indexed.
type textCounts struct {
	appended, n int64
}

// indexOrgs indexes, in one transaction, up to textChunk events above
// the mark of each of orgs that no other transaction is indexing, and
// returns what it counted.
func indexOrgs(ctx context.Context, conn *pgx.Conn, orgs []string) (c textCounts, err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return c, fmt.Errorf("couldn't begin indexing: %w", err)
	}
	defer rollback(ctx, tx)
	b := new(pgx.Batch)
	b.Queue(`SET LOCAL synchronous_commit = off`)
	b.Queue(selectAppended).QueryRow(func(row pgx.Row) error { return row.Scan(&c.appended) })
	var locked []string
	var marks []int64
	b.Queue(lockIndexed, orgs).Query(func(rows pgx.Rows) error {
		var org string
		var mark int64
		_, err := pgx.ForEachRow(rows, []any{&org, &mark}, func() error {
			locked, marks = append(locked, org), append(marks, mark)
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return c, fmt.Errorf("couldn't lock the text index: %w", err)
	}
	if len(locked) == 0 {
		return c, nil
	}
	rows, err := tx.Query(ctx, selectToIndex, locked, marks, textChunk)
	if err != nil {
		return c, fmt.Errorf("couldn't read events to index: %w", err)
	}
	var w textWrites
	var r textRow
	_, err = pgx.ForEachRow(rows, []any{&r.org, &r.seq, &r.ts, &r.texts[0], &r.texts[1], &r.texts[2], &r.texts[3], &r.texts[4], &r.details}, func() error {
		w.add(&r)
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("couldn't read events to index: %w", err)
	}
	b = new(pgx.Batch)
	b.Queue(insertText, w.org, w.seq, w.ts, w.text)
	b.Queue(upsertTrigrams, w.trigrams()...)
	w.days.queue(b)
	b.Queue(updateIndexed, w.marks()...)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return c, fmt.Errorf("couldn't index events: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return c, fmt.Errorf("couldn't commit indexing: %w", err)
	}
	for _, n := range w.events {
		c.n += n
	}
	return c, nil
}

// A textRow is a row of selectToIndex: an event's texts, nil if its leaf
// has no event.
type textRow struct {
	org     string
	seq, ts int64
	texts   [5]*string // actor email, id and name, target id and name
	details *string
}

// textWrites are the rows of events_text and the counts of text_trigrams
// that a transaction writes, as parameters, and the marks it moves.
type textWrites struct {
	org         []string
	seq, ts     []int64
	text        []string
	last        map[string]int64           // by organization, the highest seq read
	events      map[string]int64           // by organization, the events read
	counts      map[string]map[int32]int64 // by organization and trigram, the events with it
	seen        []int                      // by trigram, the last event that had it
	nth         int                        // which event that is
	orgsInOrder []string                   // the organizations read, in order
	days        dayCounts                  // of the events read
}

// add adds the event of r.
func (w *textWrites) add(r *textRow) {
	if w.last == nil {
		w.last, w.events, w.counts = map[string]int64{}, map[string]int64{}, map[string]map[int32]int64{}
		w.seen = make([]int, trigramCount)
	}
	if _, ok := w.last[r.org]; !ok {
		w.orgsInOrder = append(w.orgsInOrder, r.org)
		w.counts[r.org] = map[int32]int64{}
	}
	w.last[r.org] = r.seq
	w.events[r.org]++
	if r.texts[0] != nil { // the leaf has its event
		actor := verify.Actor{Email: *r.texts[0], ID: *r.texts[1]}
		target := verify.Target{ID: *r.texts[3], Name: *r.texts[4]}
		w.days.add(r.org, r.ts, actorKey(actor), targetKey(target))
	}
	var texts []string
	for _, s := range r.texts {
		if s != nil {
			texts = append(texts, *s)
		}
	}
	details := ""
	if r.details != nil {
		details = *r.details
	}
	text := store.FreeText(details, texts...)
	if text == "" {
		return
	}
	w.org, w.seq, w.ts, w.text = append(w.org, r.org), append(w.seq, r.seq), append(w.ts, r.ts), append(w.text, text)
	w.nth++
	counts := w.counts[r.org]
	eachTrigram(text, func(t int32) {
		if w.seen[t] != w.nth {
			w.seen[t] = w.nth
			counts[t]++
		}
	})
}

// trigrams returns the parameters of upsertTrigrams, in key order.
func (w *textWrites) trigrams() []any {
	var orgs []string
	var trigrams []int32
	var ns []int64
	for _, org := range w.orgsInOrder {
		start := len(trigrams)
		for t := range w.counts[org] {
			trigrams = append(trigrams, t)
		}
		slices.Sort(trigrams[start:])
		for _, t := range trigrams[start:] {
			orgs, ns = append(orgs, org), append(ns, w.counts[org][t])
		}
	}
	return []any{orgs, trigrams, ns}
}

// marks returns the parameters of updateIndexed.
func (w *textWrites) marks() []any {
	var orgs []string
	var marks, events []int64
	for _, org := range w.orgsInOrder {
		orgs, marks, events = append(orgs, org), append(marks, w.last[org]), append(events, w.events[org])
	}
	return []any{orgs, marks, events}
}

// Trigrams, as text_trigrams counts them: three ASCII letters or digits
// in a row, numbered in base 36. pg_trgm finds each in the same words
// (whatever the database's locale, ASCII letters and digits are letters
// and digits), so that the events counted for one are those its posting
// list in the GIN index holds; it has others, with padding and letters
// beyond ASCII, which search need not know about.
const trigramCount = 36 * 36 * 36

// digit36 returns c's value in base 36, or -1 if c is no lowercase ASCII
// letter or digit.
func digit36(c byte) int32 {
	switch {
	case '0' <= c && c <= '9':
		return int32(c - '0')
	case 'a' <= c && c <= 'z':
		return int32(c-'a') + 10
	}
	return -1
}

// eachTrigram calls fn with the number of each trigram of s, in order,
// repeats and all.
func eachTrigram(s string, fn func(int32)) {
	var run int // letters and digits in a row up to i
	var t int32 // the last three of them, in base 36
	for i := 0; i < len(s); i++ {
		d := digit36(s[i])
		if d < 0 {
			run = 0
			continue
		}
		t = (t*36 + d) % trigramCount
		if run++; run >= 3 {
			fn(t)
		}
	}
}

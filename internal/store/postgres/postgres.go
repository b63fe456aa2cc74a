// Package postgres is the store on PostgreSQL, for several stele servers
// sharing one database.
//
// # Durability and sequencing
//
// A commit returns once PostgreSQL has flushed its WAL: Open, and every
// new connection, refuses a server whose synchronous_commit or fsync would
// acknowledge a commit before that (CheckDurable). Write transactions run
// at READ COMMITTED; Tx.LockHead takes the organization's orgs row FOR
// UPDATE, creating it first if need be with INSERT ... ON CONFLICT DO
// NOTHING, so the writers of one organization take turns across servers
// while those of others go on. Read transactions are REPEATABLE READ and
// read-only: one snapshot.
//
// A ledger's transaction writes to organization after organization, and
// statements and round trips, not rows, would bound it. So a write
// transaction holds back what Append, PutTiles and SetHead write, and
// sends it all before its commit, or before a statement that could read
// it, in one round trip of one statement a table for all organizations
// (pending.go). Append holds back only events that can't conflict: their
// seqs ascend past the greatest that LockHead found in the log, the org
// row locked. Others it writes at once, so that a conflict is its error.
// Per organization, a ledger's batch then costs LockHead's round trip
// and LookupIDs'.
//
// # Schema
//
// Migrations are embedded (migrations/*.sql) and applied by Open in one
// transaction under an advisory lock, so that servers starting together
// apply each once; a database from a newer program is refused. Text
// compares bytewise (COLLATE "C"), as Go does. Times are Unix nanoseconds.
// The schema needs the extensions pg_trgm and btree_gin (PostgreSQL's
// contrib; trusted, so the database's owner may create them): a
// migration creates them unless the database has them, and fails saying
// so if the role may not.
//
// Every table is keyed by org first. On a sharded PostgreSQL such as
// Citus, all are distributed by org and co-located, so that each
// transaction of the ledger stays on one shard:
//
//	table          primary key                              distribution key
//	orgs           (id)                                      id
//	leaves         (org, seq)                                org
//	events         (org, ts, seq)                            org (and partitioned by month of ts)
//	tiles          (org, level, n)                           org
//	checkpoints    (org, size)                               org
//	event_types    (org, category, event)                    org
//	actors         (org, text, key)                          org
//	targets        (org, text, key)                          org
//	event_hours    (org, hour, category, event, actor_type)  org
//	actor_days     (org, day, actor)                         org
//	target_days    (org, day, target)                        org
//	events_text    (org, seq)                                org
//	text_indexed   (org)                                     org
//	text_trigrams  (org, trigram)                            org
//	api_keys       (id)                                      none: a reference table, as a key
//	                                                         is looked up by id before its
//	                                                         organization is known
//
// The org id itself keys the tables, not a number for it, which would
// have to be looked up in orgs first, on its own shard.
//
// events is partitioned by month of its timestamp, events_YYYY_MM, with a
// DEFAULT partition as a safety net (partition.go). Append creates the
// partitions of the months a batch touches, on a connection of its own, in
// a short transaction that creates a table and attaches it under an
// advisory lock (servers creating the same month's take turns, and the
// second finds it there); then it writes a batch of one month straight
// into its partition, and one of several through events. Attaching a partition locks the DEFAULT partition, which
// every search without a lower time bound reads: if a partition can't be
// had within two seconds, its month's events go to DEFAULT, where they
// stay (a partition can't be attached over them), only not pruned.
//
// A table partitioned by time can't say which seqs or client ids a log
// holds: its unique and lookup indexes are per partition. leaves does: a
// narrow row per leaf, (org, seq) to timestamp and a hash of the id. Its
// key makes a second event at a seq a conflict, and idempotency lookups
// cost an index probe whatever the number of partitions. Event, Events
// and LookupIDs find events through it.
//
// Indexes on events follow the shapes of the searches, and are few, as
// each costs ingest: (org, ts, seq) lists newest first and pages by
// keyset; (org, event, ts, seq), (org, actor key, ts, seq) and (org,
// target key, ts, seq) list one value's events in the same order, the
// actor key being the email, else the id, and the target key the id, else
// the name (expression indexes, partial: no entry without a key).
// event_types, actors and targets list each organization's distinct
// values under the texts a search names them by, with their index keys
// (distinct.go); event_hours counts events by hour, type and actor type
// (hours.go),
// kept by Append in the batch's transaction. Unlike events, the counts
// aren't partitioned: a row counts many events, and reads find an
// organization's days by the primary key.
// events_text holds the free text of each event, Go-lowercased, under a
// GIN trigram index led by org; text_indexed is each organization's mark,
// the highest seq indexed; text_trigrams counts each organization's events
// by trigram (text.go); actor_days and target_days count the events up to
// the mark by UTC day and actor or target key (days.go). A goroutine of
// each store keeps them, on a connection of its own, after the events
// commit: Append doesn't.
//
// details is text, byte for byte as given: leaves are recomputed from it,
// and jsonb would reorder and respace it. personal and commitments, which
// the store only decodes, are jsonb; salts are bytea; ip_addr is the
// address as Go parses it (inet), NULL if none, for ip: searches.
//
// # Search
//
// List compiles a query (package query) to parameterized SQL in which each
// term is three-valued: TRUE where the event matches, FALSE where it
// doesn't, NULL where SQL can't tell (search.go). Only details can be
// NULL: details terms, and free text that details may hold. Case folding
// is Go's, exactly. List reads the events that are not FALSE and tests
// each with query.Match; Facets and Histogram count in SQL those that are
// TRUE and in Go those that are NULL (count.go), but add up the counts of
// whole hours or days where the query allows. A positive term on the
// event type or category, the actor or the target drives a search when
// the distinct values name few enough index keys (drive.go): it reads each
// key's index newest first, as far as the page goes, in one UNION ALL arm
// per key, merged. A positive free-text term drives instead when the text
// index estimates that few events hold it (textsearch.go): the search
// reads by key the events the index lists and those it has yet to index,
// newest first. Pages are keyset cursors on (ts, seq), newest first.
package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/steleaudit/stele/internal/store"
)

// A DB is a store in a PostgreSQL database (in the first schema of its
// search_path).
type DB struct {
	pool  *pgxpool.Pool
	parts *partitions
	known *store.Known // of the tables of distinct values, for Append

	stopText func()        // stops the indexer (text.go)
	textDone chan struct{} // closed once it has stopped

	closeOnce sync.Once
}

var _ store.Store = (*DB)(nil)

type config struct {
	maxConns int32
}

// An Option changes how Open opens a database.
type Option func(*config)

// MaxConns sets how many connections the store may open at once, beside
// the text indexer's and the short-lived one that creates partitions,
// unless the URL sets pool_max_conns. The default is pgxpool's: the
// number of CPUs, and at least 4.
func MaxConns(n int) Option {
	return func(c *config) { c.maxConns = int32(max(n, 1)) }
}

// Open connects to the database at url (a PostgreSQL URL or key=value
// string), checks that its commits are durable, and brings its schema up
// to date.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("couldn't open database: %w", err)
	}
	if c.maxConns > 0 && !strings.Contains(url, "pool_max_conns") {
		pc.MaxConns = c.maxConns
	}
	// Plans made for the values at hand prune events' partitions when
	// planned, and so lock only the partitions they read. List's reads
	// in index order are the exception (listAlong): their plan is the
	// same whatever the values, and planning it costs more than it reads.
	pc.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	// A search's first page costs milliseconds, but on a large log the
	// planner's estimate for its plan passes jit_above_cost, and JIT
	// compiling it took 0.7 s of a 0.76 s search (10M events).
	pc.ConnConfig.RuntimeParams["jit"] = "off"
	// Every connection checks, so a setting changed later fails writes
	// instead of weakening them.
	pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		return CheckDurable(ctx, conn)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("couldn't open database: %w", err)
	}
	db := &DB{pool: pool, parts: newPartitions(pc.ConnConfig), known: store.NewKnown()}
	if err := db.open(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	db.startText()
	return db, nil
}

func (db *DB) open(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("couldn't open database: %w", err)
	}
	defer conn.Release()
	var encoding string
	if err := conn.QueryRow(ctx, "SHOW server_encoding").Scan(&encoding); err != nil {
		return fmt.Errorf("couldn't read the database's encoding: %w", err)
	}
	if encoding != "UTF8" {
		return fmt.Errorf("couldn't open database: its encoding is %s, not UTF8", encoding)
	}
	if err := migrate(ctx, conn.Conn()); err != nil {
		return err
	}
	return db.parts.load(ctx, conn.Conn())
}

// A Querier runs a query that returns a row: a *pgx.Conn, a pgx.Tx or a
// *pgxpool.Pool.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// CheckDurable returns an error saying why if the server that q reaches
// could acknowledge a commit before its WAL is on stable storage, as
// with synchronous_commit or fsync off, and a crash could lose events
// that Stele has acknowledged. synchronous_commit may be on, or remote_*
// or local, all of which flush the WAL locally first.
func CheckDurable(ctx context.Context, q Querier) error {
	var sync, fsync string
	if err := q.QueryRow(ctx, "SHOW synchronous_commit").Scan(&sync); err != nil {
		return fmt.Errorf("couldn't read synchronous_commit: %w", err)
	}
	switch sync {
	case "on", "local", "remote_write", "remote_apply":
	default:
		return fmt.Errorf("refusing a database with synchronous_commit=%s: PostgreSQL would acknowledge commits before their WAL is flushed, and a crash could lose events that were acknowledged as stored; set synchronous_commit to on", sync)
	}
	if err := q.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil {
		return fmt.Errorf("couldn't read fsync: %w", err)
	}
	if fsync != "on" {
		return fmt.Errorf("refusing a database with fsync=%s: its commits do not survive a crash, and acknowledged events could be lost; set fsync to on", fsync)
	}
	return nil
}

// CheckDurable checks the database's connections as the package's
// CheckDurable does.
func (db *DB) CheckDurable(ctx context.Context) error {
	return CheckDurable(ctx, db.pool)
}

// Close stops the text indexer, and closes the store's idle connections
// now and the others as their transactions end; it does not wait for
// them.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.stopText()
		<-db.textDone
		// pgxpool's Close waits for every connection to come back.
		go db.pool.Close()
	})
	return nil
}

// Read runs f in a read-only REPEATABLE READ transaction: one snapshot,
// taken at its first statement. Errors that pass are marked
// store.ErrTransient.
func (db *DB) Read(ctx context.Context, f func(ctx context.Context, r store.Reader) error) error {
	return classify(db.read(ctx, f))
}

func (db *DB) read(ctx context.Context, f func(ctx context.Context, r store.Reader) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("couldn't begin read: %w", err)
	}
	defer rollback(ctx, tx)
	return f(ctx, &reader{tx: tx, db: db})
}

// commitTimeout bounds how long ReadWrite waits for a commit.
const commitTimeout = time.Minute

// ReadWrite runs f in a READ COMMITTED transaction. Its writers serialize
// per organization on Tx.LockHead; the commit returns once the WAL is
// flushed. Errors that pass are marked store.ErrTransient.
func (db *DB) ReadWrite(ctx context.Context, f func(ctx context.Context, tx store.Tx) error) error {
	return classify(db.readWrite(ctx, f))
}

func (db *DB) readWrite(ctx context.Context, f func(ctx context.Context, tx store.Tx) error) error {
	pgtx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("couldn't begin write: %w", err)
	}
	defer rollback(ctx, pgtx)
	t := &tx{raw: pgtx, logs: map[string]bool{}, next: map[string]int64{}}
	t.reader = reader{tx: flushing{Tx: pgtx, t: t}, db: db}
	if err := f(ctx, t); err != nil {
		return err
	}
	// Once f is done, the writes and commit go through even if ctx is
	// done meanwhile: a commit cut short leaves its outcome unknown.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	if err := t.flush(cctx); err != nil {
		return fmt.Errorf("couldn't write: %w", err)
	}
	if err := pgtx.Commit(cctx); err != nil {
		return fmt.Errorf("couldn't commit: %w", err)
	}
	db.known.Add(t.written)
	return nil
}

// rollback ends tx if it is still open, even if ctx is done, so its
// connection goes back to the pool clean.
// A rollback that fails leaves the connection closed, and the pool drops
// it: there is nothing more to do.
func rollback(ctx context.Context, tx pgx.Tx) {
	_ = tx.Rollback(context.WithoutCancel(ctx))
}

package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store"
)

// A Baseline is what CopyBaseline measured.
type Baseline struct {
	Copied int64         // events copied
	Took   time.Duration // copying them
	Waited time.Duration // for the database to go quiet first
	Quiet  bool          // whether it went quiet within the time allowed
}

// CopyBaseline measures what the schema alone costs to write: it copies
// events, all of one log, and their leaves with COPY into a schema of its
// own in the database at dsn, made by the same migrations, in durable
// transactions of perTx events and nothing else (no lookup, no lock, no
// tree), and says how many it copied and how long the copies took. The
// schema is dropped afterwards. It is a yardstick for ingest (stele
// bench), never a way to write a store: nothing it copies is covered by a
// tree.
//
// First it waits, up to maxWait, for the database to go quiet (see
// waitQuiet): run just after a load, it would otherwise share the CPU
// with what the load left to do, a server's text indexer catching up
// above all, and measure too little.
func CopyBaseline(ctx context.Context, dsn string, events []*store.Event, perTx int, maxWait time.Duration) (Baseline, error) {
	var base Baseline
	schema := randomName("stele_copy_baseline_")
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return base, fmt.Errorf("couldn't connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if base.Waited, base.Quiet, err = waitQuiet(ctx, conn, maxWait); err != nil {
		return base, fmt.Errorf("couldn't tell whether the database is quiet: %w", err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return base, fmt.Errorf("couldn't create a schema to copy into: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
	db, err := Open(ctx, withSearchPath(dsn, schema))
	if err != nil {
		return base, err
	}
	defer db.Close()
	for chunk := range slices.Chunk(events, max(perTx, 1)) {
		start := time.Now()
		n, err := copyEvents(ctx, db, chunk)
		if err != nil {
			return base, fmt.Errorf("couldn't copy: %w", err)
		}
		base.Took += time.Since(start)
		base.Copied += n
	}
	return base, nil
}

// The database is quiet once quietPolls checks in a row, quietPoll
// apart, find no other session of it running a statement.
const (
	quietPoll  = 100 * time.Millisecond
	quietPolls = 5
)

// waitQuiet waits, up to maxWait, until no other session of conn's
// database (of those its role may see) runs a statement, and returns how
// long it waited and whether the database went quiet.
func waitQuiet(ctx context.Context, conn *pgx.Conn, maxWait time.Duration) (time.Duration, bool, error) {
	start := time.Now()
	for calm := 0; ; {
		var busy int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`).Scan(&busy)
		if err != nil {
			return time.Since(start), false, err
		}
		if calm++; busy > 0 {
			calm = 0
		}
		waited := time.Since(start)
		if calm == quietPolls {
			return waited, true, nil
		}
		if waited >= maxWait {
			return waited, false, nil
		}
		select {
		case <-time.After(min(quietPoll, maxWait-waited)):
		case <-ctx.Done():
			return time.Since(start), false, ctx.Err()
		}
	}
}

// randomName returns prefix followed by 12 random hex digits: the name
// of a schema or database of one's own.
func randomName(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// withSearchPath returns dsn, a URL or key=value string, with its
// search_path set to schema.
func withSearchPath(dsn, schema string) string {
	if u, err := url.Parse(dsn); err == nil && strings.Contains(dsn, "://") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

// copyEvents copies events, and their leaves, into db's events (their
// month's partition, created if need be) and leaves with COPY, in one
// transaction, and returns how many it copied.
func copyEvents(ctx context.Context, db *DB, events []*store.Event) (int64, error) {
	var c columns
	for _, e := range events {
		ts, err := nanos(e.Timestamp)
		if err != nil {
			return 0, err
		}
		if err := c.add(e, ts); err != nil {
			return 0, err
		}
	}
	rows := make([][]any, len(c.seq))
	leaves := make([][]any, len(c.seq))
	var months []month
	for i := range c.seq {
		rows[i] = []any{c.org[i], c.seq[i], c.ts[i], c.received[i], c.id[i], c.event[i], c.category[i],
			c.actorType[i], c.actorID[i], c.actorEmail[i], c.actorName[i], c.targetType[i], c.targetID[i], c.targetName[i],
			c.ip[i], c.addr[i], c.userAgent[i], c.details[i], c.personal[i], c.salt[i], c.commitments[i]}
		leaves[i] = []any{c.org[i], c.seq[i], c.ts[i], c.idHash[i]}
		if m := monthOf(c.ts[i]); !slices.Contains(months, m) {
			months = append(months, m)
		}
	}
	db.parts.ensure(ctx, nil, months)
	var n int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		n, err = tx.CopyFrom(ctx, pgx.Identifier{"events"}, []string{"org", "seq", "ts", "received_at", "id", "event", "category",
			"actor_type", "actor_id", "actor_email", "actor_name", "target_type", "target_id", "target_name",
			"ip", "ip_addr", "user_agent", "details", "personal", "salt", "commitments"}, pgx.CopyFromRows(rows))
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"leaves"}, []string{"org", "seq", "ts", "id_hash"}, pgx.CopyFromRows(leaves))
		return err
	})
	return n, err
}

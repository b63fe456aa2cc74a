package postgres

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store"
)

// Partitions of events: one a month, events_YYYY_MM, holding the events
// whose timestamps fall in that month, and events_default for any event
// whose month has none.

// A month is a calendar month, UTC, counted from January of year 0.
type month int64

// monthOf returns the month holding the instant ns (Unix nanoseconds).
func monthOf(ns int64) month {
	t := time.Unix(0, ns).UTC()
	return month(int64(t.Year())*12 + int64(t.Month()) - 1)
}

// start returns the first instant of m.
func (m month) start() time.Time {
	return time.Date(int(m/12), time.Month(m%12+1), 1, 0, 0, 0, 0, time.UTC)
}

// table returns the name of m's partition.
func (m month) table() string {
	return fmt.Sprintf("events_%04d_%02d", m/12, m%12+1)
}

// bounds returns the range of timestamps of m, from lo to hi inclusive,
// cut to what the column holds.
func (m month) bounds() (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if s := m.start(); !s.Before(store.MinTime) {
		lo = s.UnixNano()
	}
	if e := (m + 1).start(); !e.After(store.MaxTime) {
		hi = e.UnixNano() - 1
	}
	return lo, hi
}

// attachSQL returns the statement that attaches m's table to events. The
// bounds are numbers this program formats, not values from outside.
func (m month) attachSQL() string {
	lo, hi := m.bounds()
	from, to := "MINVALUE", "MAXVALUE"
	if lo != math.MinInt64 {
		from = strconv.FormatInt(lo, 10)
	}
	if hi != math.MaxInt64 {
		to = strconv.FormatInt(hi+1, 10)
	}
	return "ALTER TABLE events ATTACH PARTITION " + pgx.Identifier{m.table()}.Sanitize() +
		" FOR VALUES FROM (" + from + ") TO (" + to + ")"
}

// How partitions are created: how long creating one may wait for its
// locks, and how long to leave a month whose partition couldn't be
// created before trying again. Variables for tests.
var (
	partitionLockTimeout = 2 * time.Second
	partitionRetry       = 10 * time.Minute
)

// partitions knows which months of events have partitions, and creates
// them. It is safe for concurrent use.
type partitions struct {
	conf *pgx.ConnConfig // of the store's connections

	creating sync.Mutex // held while creating, one creator per process

	mu    sync.Mutex          // guards known and retry
	known map[month]bool      // months whose partition exists
	retry map[month]time.Time // months whose partition couldn't be created: when to try again
}

func newPartitions(conf *pgx.ConnConfig) *partitions {
	return &partitions{conf: conf, known: map[month]bool{}, retry: map[month]time.Time{}}
}

// load learns the partitions that exist, and creates those of this month
// and the next if need be, so that the new month's first batch rarely has
// to.
func (p *partitions) load(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'events'::regclass`)
	if err != nil {
		return fmt.Errorf("couldn't list partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("couldn't list partitions: %w", err)
	}
	p.mu.Lock()
	for _, name := range names {
		var y, m int
		if _, err := fmt.Sscanf(name, "events_%04d_%02d", &y, &m); err == nil && month(y*12+m-1).table() == name {
			p.known[month(y*12+m-1)] = true
		}
	}
	p.mu.Unlock()
	now := monthOf(time.Now().UnixNano())
	p.ensure(ctx, nil, []month{now, now + 1})
	return nil
}

// ensure creates the partitions of months that have none, and returns
// the months of those that exist. It fails nothing: the events of a month
// without a partition go to the default one.
//
// tx is the transaction that will write the events, if any. Attaching a
// partition locks events_default, so ensure creates nothing while tx
// holds a lock on it: that would wait for tx, which waits for ensure.
func (p *partitions) ensure(ctx context.Context, tx pgx.Tx, months []month) map[month]bool {
	have := map[month]bool{}
	var missing []month
	now := time.Now()
	p.mu.Lock()
	for _, m := range months {
		switch {
		case p.known[m]:
			have[m] = true
		case now.After(p.retry[m]):
			missing = append(missing, m)
		}
	}
	p.mu.Unlock()
	if len(missing) == 0 {
		return have
	}
	if tx != nil {
		var locked bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation = 'events_default'::regclass)`).Scan(&locked)
		if err != nil || locked {
			return have
		}
	}
	p.creating.Lock()
	defer p.creating.Unlock()
	created := p.create(ctx, missing)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range missing {
		if created[m] {
			p.known[m] = true
			have[m] = true
		} else {
			p.retry[m] = now.Add(partitionRetry)
		}
	}
	return have
}

// create creates the partitions of months, on a connection of its own,
// and returns the months whose partitions exist.
func (p *partitions) create(ctx context.Context, months []month) map[month]bool {
	done := map[month]bool{}
	conn, err := pgx.ConnectConfig(ctx, p.conf.Copy())
	if err != nil {
		return done
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, m := range months {
		ok, err := createPartition(ctx, conn, m)
		if err != nil {
			continue
		}
		done[m] = ok
	}
	return done
}

// partitionLock is the advisory lock of partition creation in the
// schema: servers creating the same month's take turns, and the second
// finds it there.
const partitionLock = `SELECT pg_advisory_xact_lock(hashtext('stele.partitions'), ` + schemaKey + `)`

// createPartition creates m's partition in one transaction, unless it
// exists, and reports whether it exists. It creates none if the default
// partition holds events of m, as attaching would fail: those stay there.
// A plain table is created, then attached, which leaves readers and
// writers of events alone (CREATE TABLE ... PARTITION OF would lock all
// of events); attaching does lock the default partition, and gives up
// after partitionLockTimeout.
func createPartition(ctx context.Context, conn *pgx.Conn, m month) (bool, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer rollback(ctx, tx)
	timeout := strconv.FormatInt(partitionLockTimeout.Milliseconds(), 10)
	if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = "+timeout); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, partitionLock); err != nil {
		return false, err
	}
	// A table of that name that is not a partition of events is no place
	// for events: they go to the default partition, listed.
	var exists, attached, inDefault bool
	err = tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL, EXISTS (SELECT 1 FROM pg_inherits
		WHERE inhrelid = to_regclass($1) AND inhparent = 'events'::regclass)`, m.table()).Scan(&exists, &attached)
	if err != nil || exists {
		return attached, err
	}
	lo, hi := m.bounds()
	err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events_default WHERE ts >= $1 AND ts <= $2)`, lo, hi).Scan(&inDefault)
	if err != nil || inDefault {
		return false, err
	}
	name := pgx.Identifier{m.table()}.Sanitize()
	create := "CREATE TABLE " + name +
		" (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)"
	if _, err := tx.Exec(ctx, create); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, m.attachSQL()); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

// Package sqlite is the embedded store: one SQLite database file in WAL
// mode, written through one connection and read through a pool of
// read-only ones, so reads never wait for the writer.
//
// Every commit is fsync'd (synchronous=FULL) before ReadWrite returns, and
// secure_delete is on, so erased plaintext leaves no copy in free pages.
//
// List compiles a query of package query to SQL (search.go), with the help
// of SQL functions the package registers with the driver for every
// connection of the process (funcs.go).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steleaudit/stele/internal/store"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// A DB is a store kept in one SQLite database file.
type DB struct {
	w *sql.DB // the one writer connection; BEGIN IMMEDIATE
	r *sql.DB // read-only connections

	// writing holds a token while a ReadWrite runs, so Close can tell
	// whether the writer connection is free without waiting for it.
	writing chan struct{}

	ws, rs *statements // prepared on w and r

	known *store.Known // of the tables of distinct values, for Append

	// The goroutine that keeps the text index (text.go) runs from Open
	// until Close calls stopText; it closes textDone as it ends. It
	// rests for ingest by the events appended, which ReadWrite counts.
	stopText context.CancelFunc
	textDone chan struct{}
	appended atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*DB)(nil)

type config struct {
	readers   int
	cacheKiB  int
	ckptPages int
	noText    bool
}

// An Option changes how Open opens a database.
type Option func(*config)

// Readers sets how many read connections may be open at once. The default
// is the larger of 4 and GOMAXPROCS.
func Readers(n int) Option {
	return func(c *config) { c.readers = max(n, 1) }
}

// CacheSize sets the writer's page cache size in bytes (default 256 MiB,
// taken as pages are used). Ingest writes index pages all over the file:
// a cache holding them saves reading them back for every batch.
func CacheSize(bytes int) Option {
	return func(c *config) { c.cacheKiB = max(bytes>>10, 1024) }
}

// WithoutTextIndex opens the database without keeping its text index up
// to date, for a process that reads events by seq and shouldn't take the
// writer from a server on the same file to index them (stele verify).
// Searches stay exact: they read events the index lacks.
func WithoutTextIndex() Option {
	return func(c *config) { c.noText = true }
}

// Open opens the database at path, creating it if need be, and brings its
// schema up to date.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	c := config{
		readers:   max(4, runtime.GOMAXPROCS(0)),
		cacheKiB:  256 << 10,
		ckptPages: 65536, // 256 MiB of WAL at 4 KiB pages
	}
	for _, o := range opts {
		o(&c)
	}
	if path == "" {
		return nil, errors.New("couldn't open database: no path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("couldn't open database: %w", err)
	}
	// The log holds personal data: only its owner may read the file, and
	// SQLite gives the -wal and -shm files the database file's mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		err = f.Close()
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("couldn't create database: %w", err)
	}
	db := &DB{writing: make(chan struct{}, 1), known: store.NewKnown()}
	if err := db.open(ctx, abs, c); err != nil {
		db.closeConns()
		return nil, err
	}
	db.startText(!c.noText)
	return db, nil
}

func (db *DB) open(ctx context.Context, path string, c config) error {
	var err error
	db.w, err = sql.Open("sqlite", writerDSN(path, c))
	if err != nil {
		return fmt.Errorf("couldn't open database: %w", err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if err := checkDurable(ctx, db.w); err != nil {
		return err
	}
	if err := migrate(ctx, db.w); err != nil {
		return err
	}
	// Refresh the planner's statistics where they are missing or stale,
	// looking at a bounded number of rows so a large file opens quickly.
	if _, err := db.w.ExecContext(ctx, "PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002"); err != nil {
		return fmt.Errorf("couldn't optimize database: %w", err)
	}
	if db.ws, err = prepare(ctx, db.w, true); err != nil {
		return err
	}

	// Readers open only once the writer made the file a WAL database.
	db.r, err = sql.Open("sqlite", readerDSN(path, c))
	if err != nil {
		return fmt.Errorf("couldn't open database for reading: %w", err)
	}
	db.r.SetMaxOpenConns(c.readers)
	db.r.SetMaxIdleConns(c.readers)
	db.r.SetConnMaxIdleTime(5 * time.Minute)
	if err := checkDurable(ctx, db.r); err != nil {
		return err
	}
	if db.rs, err = prepare(ctx, db.r, false); err != nil {
		return err
	}
	return nil
}

// writerDSN returns the data source name of the writer connection. The
// driver applies the _pragma values in alphabetical order, then
// _journal_mode and _synchronous.
func writerDSN(path string, c config) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "cache_size(-"+strconv.Itoa(c.cacheKiB)+")")
	q.Add("_pragma", "secure_delete(on)")
	q.Add("_pragma", "temp_store(memory)")
	// Checkpoint when the WAL reaches ckptPages, and cut it back to that
	// size afterwards. A long WAL lets a checkpoint write each hot index
	// page once for many commits: ingest is about 20% faster with 256 MiB
	// than with 64 MiB, for checkpoint pauses under 200 ms.
	q.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(c.ckptPages)+")")
	q.Add("_pragma", "journal_size_limit("+strconv.Itoa(c.ckptPages*4096)+")")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	return fileURI(path, q)
}

// readerMmap is how much of the database file each read connection maps
// into memory: reading a mapped page spares a system call and a copy,
// which makes a long read (Check, a busy search) about 10% faster. SQLite
// caps it at its build's limit. Only readers map: the writer's pages stay
// out of it, and SQLite remaps when it changes the file's size itself.
const readerMmap = 2 << 30

// readerDSN returns the data source name of the read connections: opened
// read-only (mode=ro) and, belt and braces, query_only.
func readerDSN(path string, c config) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "cache_size(-"+strconv.Itoa(min(c.cacheKiB, 16<<10))+")")
	q.Add("_pragma", "mmap_size("+strconv.Itoa(readerMmap)+")")
	q.Add("_pragma", "secure_delete(on)") // moot, unless someone turns query_only off
	q.Add("_pragma", "temp_store(memory)")
	q.Set("_synchronous", "FULL")
	q.Set("_query_only", "1")
	return fileURI(path, q)
}

// fileURI returns an SQLite URI naming the file at the absolute path, with
// the path escaped so that '?', '#' and '%' in it stay part of the name.
func fileURI(path string, q url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

// checkDurable makes sure connections of db are in WAL mode with
// synchronous=FULL, as the durability promise of ReadWrite needs.
func checkDurable(ctx context.Context, db *sql.DB) error {
	var mode string
	var sync int
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("couldn't read journal mode: %w", err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("couldn't read synchronous: %w", err)
	}
	if mode != "wal" || sync != 2 {
		return fmt.Errorf("couldn't make database durable: journal_mode=%s synchronous=%d, want wal and 2", mode, sync)
	}
	return nil
}

// Close closes the database. It stops the indexing of free text, and
// waits for that, then runs PRAGMA optimize if no write transaction is
// running; it does not wait for one.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.stopText()
		<-db.textDone
		select {
		case db.writing <- struct{}{}:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			db.w.ExecContext(ctx, "PRAGMA analysis_limit = 1000; PRAGMA optimize")
			cancel()
			db.closeErr = db.closeConns()
			<-db.writing
		default:
			db.closeErr = db.closeConns()
		}
	})
	return db.closeErr
}

// closeConns closes readers before the writer, so the last connection to
// close can checkpoint the WAL and remove it.
func (db *DB) closeConns() error {
	var errs []error
	if db.rs != nil {
		errs = append(errs, db.rs.close())
	}
	if db.ws != nil {
		errs = append(errs, db.ws.close())
	}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("couldn't close database: %w", err)
	}
	return nil
}

// Read runs f in a read transaction on a read connection: one snapshot of
// the database, taken at the first read.
func (db *DB) Read(ctx context.Context, f func(ctx context.Context, r store.Reader) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("couldn't begin read: %w", err)
	}
	defer tx.Rollback()
	return f(ctx, newReader(tx, db.rs))
}

// ReadWrite runs f in a write transaction, BEGIN IMMEDIATE on the writer
// connection, so it holds the database's write lock from the start and
// transactions on one file, in this process or another, run one at a time.
// The commit returns once the WAL is fsync'd.
func (db *DB) ReadWrite(ctx context.Context, f func(ctx context.Context, tx store.Tx) error) error {
	select {
	case db.writing <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("couldn't begin write: %w", ctx.Err())
	}
	defer func() { <-db.writing }()

	sqlTx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("couldn't begin write: %w", err)
	}
	defer sqlTx.Rollback() // after Commit, a no-op
	t := &tx{known: db.known}
	t.init(sqlTx, db.ws)
	if err := f(ctx, t); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("couldn't commit: %w", err)
	}
	db.appended.Add(t.appended)
	db.known.Add(t.written)
	return nil
}

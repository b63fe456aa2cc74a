package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
	_ "time/tzdata" // time zones for organizations, whatever the host has

	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/server"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/postgres"
	"github.com/steleaudit/stele/internal/store/sqlite"
	"github.com/steleaudit/stele/internal/web"
)

// serverConfig is everything `stele server` is configured by. Each field
// is a flag, and a STELE_* environment variable when the flag is not given.
type serverConfig struct {
	// Addr is the address to listen on (--addr, STELE_ADDR).
	Addr string
	// Data is the data directory: the store (stele.db), the signing key
	// (signing.key) unless SigningKey is set, and the platform token
	// (platform-token) unless STELE_PLATFORM_TOKEN is set (--data,
	// STELE_DATA).
	Data string
	// Postgres is the URL of a PostgreSQL database to keep the store in
	// instead of <Data>/stele.db, which several servers may share
	// (--postgres, STELE_POSTGRES).
	Postgres string
	// SigningKey is a file holding the checkpoint signing key, for keys
	// the operator manages (--signing-key, STELE_SIGNING_KEY). Default:
	// <Data>/signing.key, created on first start; required with Postgres,
	// as every server on the database must sign with one key.
	SigningKey string
	// KeyName names a signing key created on first start, and so the
	// origin of every checkpoint (--key-name, STELE_KEY_NAME).
	KeyName string
	// RateLimit is the requests per second one credential may make
	// (--rate-limit, STELE_RATE_LIMIT); negative: no limit.
	RateLimit float64
	// Dev seeds a demo organization with realistic events and writes
	// <Data>/dev-credentials.json (--dev, STELE_DEV).
	Dev bool
	// Writers is how many batch transactions the server runs at once, each
	// for its own share of the organizations (--writers, STELE_WRITERS).
	// Zero: 4 on PostgreSQL, 1 on SQLite, which writes one at a time.
	Writers int
	// TrustedProxies are the addresses or CIDR prefixes, comma-separated,
	// of the load balancers in front of the server, whose X-Forwarded-For
	// gives the client's address for the audit trail and sign-in
	// throttling (--trusted-proxies, STELE_TRUSTED_PROXIES). Default: none.
	TrustedProxies string
	// FrameAncestors are the origins, space-separated, that may frame
	// Stele's pages, such as a platform embedding the audit-log page
	// (--frame-ancestors, STELE_FRAME_ANCESTORS). Default: none.
	FrameAncestors string
	// LogLevel is debug, info, warn or error (--log-level, STELE_LOG_LEVEL).
	LogLevel string
	// ShutdownTimeout bounds a graceful shutdown (--shutdown-timeout,
	// STELE_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
}

func (c *serverConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.Data, "data", "./stele-data", "data directory")
	fs.StringVar(&c.Postgres, "postgres", "", "PostgreSQL URL to keep the store in, instead of <data>/stele.db")
	fs.StringVar(&c.SigningKey, "signing-key", "", "checkpoint signing key file (default <data>/signing.key, created if missing)")
	fs.StringVar(&c.KeyName, "key-name", "stele.local", "name of a signing key created on first start")
	fs.Float64Var(&c.RateLimit, "rate-limit", 1000, "requests per second per credential (negative: no limit)")
	fs.BoolVar(&c.Dev, "dev", false, "seed a demo organization with realistic events")
	fs.IntVar(&c.Writers, "writers", 0, "batch transactions at once, each for a share of the organizations (0: 4 on PostgreSQL, 1 on SQLite)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "load balancers' addresses or CIDR prefixes, comma-separated, whose X-Forwarded-For is believed")
	fs.StringVar(&c.FrameAncestors, "frame-ancestors", "", "origins that may frame Stele's pages, space-separated (e.g. https://app.example.com)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long a graceful shutdown may take")
}

// serverGC is the garbage collector's target (GOGC) a server runs with
// unless GOGC is set. Ingest allocates much that dies young: at Go's
// default of 100 the collector took a third of the server's CPU under
// load, which on a small machine the database wants. At 400, `stele
// bench` against PostgreSQL on 2 cores sent ~10% more events a second,
// for a peak resident size of 77 MB rather than 41 MB.
const serverGC = 400

func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGC)
	}
	var cfg serverConfig
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.flags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return err
	}
	key, err := signingKey(cfg)
	if err != nil {
		return err
	}
	token, err := platformToken(cfg.Data, stdout)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.Data, cfg.Postgres)
	if err != nil {
		return err
	}
	defer st.Close()
	metrics := server.NewMetrics()
	led, err := ledger.Open(ctx, ledger.Config{Store: st, Key: key, Log: log, OnCommit: metrics.ObserveCommit, Writers: cfg.writers()})
	if err != nil {
		return err
	}
	defer led.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	baseURL := "http://" + ln.Addr().String()
	proxies, err := parsePrefixes(cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	srv, err := server.New(server.Config{
		Store: st, Ledger: led, PlatformToken: token, Log: log,
		RateLimit: cfg.RateLimit, Metrics: metrics, BaseURL: baseURL,
		FrameAncestors: strings.Fields(cfg.FrameAncestors), TrustedProxies: proxies,
	})
	if err != nil {
		return err
	}
	pages, err := web.New(web.Config{API: srv.Handler(), Log: log, FrameAncestors: strings.Fields(cfg.FrameAncestors)})
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           pages.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(srv.Drain)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	where := cfg.Data
	if cfg.Postgres != "" {
		where = "PostgreSQL" // not the URL: it may hold a password
	}
	log.Info("listening", "url", baseURL, "store", where, "verifier_key", key.VerifierKey)
	fmt.Fprintf(stdout, "stele: serving %s (data in %s)\n", baseURL, where)

	if cfg.Dev {
		if err := seedDev(ctx, cfg.Data, baseURL, token, stdout); err != nil {
			hs.Close()
			return fmt.Errorf("couldn't seed the demo organization: %w", err)
		}
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Graceful: stop accepting and let requests in flight finish (their
	// appends commit or fail, never half), then drain the sequencer and
	// close the store (the deferred calls).
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("requests still running at shutdown", "err", err)
	}
	return nil
}

// signingKey loads the checkpoint signing key cfg names, creating it on
// first start unless the store is PostgreSQL.
func signingKey(cfg serverConfig) (*ledger.Key, error) {
	switch {
	case cfg.SigningKey != "" && cfg.Postgres != "":
		// Made by the operator, shared: one made here would be this
		// server's alone.
		return readKeyFile(cfg.SigningKey)
	case cfg.SigningKey != "":
		return ledger.LoadOrCreateKey(cfg.SigningKey, cfg.KeyName)
	case cfg.Postgres != "":
		return nil, fmt.Errorf("%w: --postgres needs --signing-key (STELE_SIGNING_KEY): every server on the database must sign with the same key; make one with `stele keygen --out FILE`", errUsage)
	}
	return ledger.LoadOrCreateKey(filepath.Join(cfg.Data, "signing.key"), cfg.KeyName)
}

// writers returns Writers, or its default for the store.
func (c *serverConfig) writers() int {
	switch {
	case c.Writers > 0:
		return c.Writers
	case c.Postgres != "":
		return 4
	}
	return 1
}

// pgConns is how many connections a server opens to PostgreSQL at most
// (unless its URL sets pool_max_conns): one for each writer, and the rest
// for requests, which would otherwise wait behind the writers.
const pgConns = 20

// openStore opens the store in PostgreSQL at url if it is set, else in
// the data directory. PostgreSQL refuses to open unless commits are
// durable (synchronous_commit and fsync on).
func openStore(ctx context.Context, data, url string, opts ...sqlite.Option) (store.Store, error) {
	if url != "" {
		return postgres.Open(ctx, url, postgres.MaxConns(pgConns))
	}
	return sqlite.Open(ctx, filepath.Join(data, "stele.db"), opts...)
}

// fromEnv names the flags that fall back to STELE_* environment
// variables: the server's configuration, and where client commands find
// their server. Others (--id, --seq, --count ...) come from the command
// line only, so that an unrelated variable cannot fill them in.
var fromEnv = map[string]bool{
	"addr": true, "data": true, "postgres": true, "signing-key": true, "key-name": true, "rate-limit": true,
	"dev": true, "writers": true, "log-level": true, "shutdown-timeout": true,
	"url": true, "token": true, "org": true,
}

// parseFlags parses args, then sets each flag of fromEnv not given from
// its STELE_* environment variable (--rate-limit from STELE_RATE_LIMIT).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		env := "STELE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := os.LookupEnv(env)
		if given[f.Name] || !fromEnv[f.Name] || !ok || err != nil {
			return
		}
		if e := f.Value.Set(v); e != nil {
			err = fmt.Errorf("%w: %s=%q: %v", errUsage, env, v, e)
		}
	})
	return err
}

// platformToken returns STELE_PLATFORM_TOKEN, or the token kept in
// <data>/platform-token, creating that file (mode 0600) on first start.
func platformToken(data string, stdout io.Writer) (string, error) {
	if t := os.Getenv("STELE_PLATFORM_TOKEN"); t != "" {
		if len(t) < 32 {
			return "", errors.New("STELE_PLATFORM_TOKEN is too short to be secret: use 32 characters or more")
		}
		return t, nil
	}
	path := filepath.Join(data, "platform-token")
	b, err := os.ReadFile(path)
	if err == nil {
		t := strings.TrimSpace(string(b))
		if len(t) < 32 {
			return "", fmt.Errorf("%s is too short to hold a platform token", path)
		}
		return t, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	t := auth.NewPlatformToken()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(t + "\n"); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	fmt.Fprintf(stdout, "stele: created a platform token in %s\n", path)
	return t, nil
}

// parsePrefixes reads a comma-separated list of addresses (a prefix of
// their whole length) and CIDR prefixes.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	osexec "os/exec" // exec is verify_test.go's
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/store/sqlite"
)

// testToken is the platform token of the servers the tests start.
const testToken = "stele-test-platform-token-0123456789abcdef"

// TestMain makes this test binary the stele command too: run as "stele"
// (from the $PATH testscript sets up, for scripts and tests alike), it is
// the real binary's main.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"stele": main})
}

// TestScripts runs the CLI scenarios in testdata/script, each against its
// own `stele server` (STELE_URL; its platform token in
// STELE_PLATFORM_TOKEN).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                "testdata/script",
		RequireUniqueNames: true,
		Setup: func(env *testscript.Env) error {
			s, err := startServer(filepath.Join(env.WorkDir, ".data"), "", filepath.Join(env.WorkDir, ".server.log"))
			if err != nil {
				return err
			}
			env.Defer(func() {
				if err := s.stop(); err != nil {
					env.T().Fatal(err)
				}
			})
			env.Setenv("STELE_URL", s.URL)
			env.Setenv("STELE_PLATFORM_TOKEN", testToken)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":     cmdExits,
			"readenv":   cmdReadenv,
			"replace":   cmdReplace,
			"genevents": cmdGenevents,
			"perm":      cmdPerm,
		},
	})
}

// exits N command [args...] runs a command and checks it exits with N.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *osexec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else {
		ts.Check(err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// readenv NAME FILE [REGEXP] sets $NAME to FILE's content, trimmed, or to
// the first submatch of REGEXP in it. FILE may be stdout or stderr.
func cmdReadenv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: readenv NAME FILE [REGEXP]")
	}
	v := strings.TrimSpace(ts.ReadFile(args[1]))
	if len(args) == 3 {
		m := regexp.MustCompile("(?m)" + args[2]).FindStringSubmatch(v)
		if len(m) < 2 {
			ts.Fatalf("no match for %q in %s", args[2], args[1])
		}
		v = m[1]
	}
	ts.Setenv(args[0], v)
}

// replace FILE REGEXP REPLACEMENT edits a file; the regexp must match.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE REGEXP REPLACEMENT")
	}
	path := ts.MkAbs(args[0])
	b, err := os.ReadFile(path)
	ts.Check(err)
	re := regexp.MustCompile(args[1])
	if !re.Match(b) {
		ts.Fatalf("no match for %q in %s", args[1], args[0])
	}
	ts.Check(os.WriteFile(path, re.ReplaceAll(b, []byte(args[2])), 0o600))
}

// genevents N FILE [PAD] writes N events, one a line: ids gen-0 and on,
// one a second from 2026-01-01T00:00:00Z, with the actor and details
// numbered, and details padded with about PAD bytes more.
func cmdGenevents(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: genevents N FILE [PAD]")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	pad := ""
	if len(args) == 3 {
		bytes, err := strconv.Atoi(args[2])
		ts.Check(err)
		for i := 0; i < bytes; i += 1000 { // strings of at most 1 KiB
			pad += fmt.Sprintf(`,"pad%d":%q`, i/1000, strings.Repeat("x", 990))
		}
	}
	var b strings.Builder
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&b, `{"id":"gen-%d","timestamp":%q,"actor":"user-%d@example.com","event":"auth.login","details":{"n":%d%s}}`+"\n",
			i, start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i, i, pad)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o644))
}

// perm FILE MODE checks a file's permission bits, such as 0600.
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: perm FILE MODE")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if got := fi.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s has mode %#o, want %#o", args[0], got, want)
	}
}

// A testServer is a `stele server` process on 127.0.0.1.
type testServer struct {
	URL, addr, data, logPath string

	cmd  *osexec.Cmd
	done chan struct{} // closed once the process exited; then err is set
	err  error
}

// startServer starts `stele server` with data in dir, its output in
// logPath and args more, on addr or a free port, and waits until it is
// ready.
func startServer(dir, addr, logPath string, args ...string) (*testServer, error) {
	var err error
	for range 3 { // a free port may be taken before the server listens
		a := addr
		if a == "" {
			if a, err = freeAddr(); err != nil {
				return nil, err
			}
		}
		var s *testServer
		s, err = tryServer(dir, a, logPath, args...)
		if err == nil || addr != "" || !strings.Contains(err.Error(), "address already in use") {
			return s, err
		}
	}
	return nil, err
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func tryServer(dir, addr, logPath string, args ...string) (*testServer, error) {
	bin, err := osexec.LookPath("stele")
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own descriptor
	s := &testServer{URL: "http://" + addr, addr: addr, data: dir, logPath: logPath, done: make(chan struct{})}
	s.cmd = osexec.Command(bin, append([]string{"server", "--addr", addr, "--data", dir, "--rate-limit", "-1"}, args...)...)
	s.cmd.Env = append(cleanEnv(), "STELE_PLATFORM_TOKEN="+testToken)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("stele server exited (%v):\n%s", s.err, s.output())
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, fmt.Errorf("stele server not ready after a minute:\n%s", s.output())
}

// stop shuts the server down gracefully (SIGTERM) and returns how it
// exited: nil for exit 0.
func (s *testServer) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("stele server did not stop within a minute of SIGTERM:\n%s", s.output())
	}
	if s.err != nil {
		return fmt.Errorf("stele server: %v:\n%s", s.err, s.output())
	}
	return nil
}

func (s *testServer) output() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// cleanEnv is the test's environment without STELE_* variables, which
// would configure the commands it runs.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STELE_") {
			env = append(env, kv)
		}
	}
	return env
}

// serverT starts a server for t with args more, stopped (and required to
// exit 0) when the test ends.
func serverT(t *testing.T, dir, addr string, args ...string) *testServer {
	t.Helper()
	s, err := startServer(dir, addr, filepath.Join(t.TempDir(), "server.log"), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			if err := s.stop(); err != nil {
				t.Error(err)
			}
		}
	})
	return s
}

// newOrg registers an Enterprise organization with the platform token,
// and returns the platform's client and the organization's log as
// registering it left it (see registerOrg).
func newOrg(t *testing.T, url, org string) (*client.Client, []client.Event) {
	t.Helper()
	c, err := client.New(url, testToken)
	if err != nil {
		t.Fatal(err)
	}
	return c, registerOrg(t, c, org)
}

// registerOrg registers an Enterprise organization through c, which
// holds the platform token, and returns its log as registering it left
// it, by seq: its creation, org.created by the platform, at seq 0, and
// whatever else registering logged. The events a test sends follow
// them, from seq len(registered) on.
func registerOrg(t *testing.T, c *client.Client, org string) []client.Event {
	t.Helper()
	if _, err := c.CreateOrg(context.Background(), client.OrgCreate{ID: org, Name: org, Plan: "enterprise"}); err != nil {
		t.Fatal(err)
	}
	log := readLog(t, c, org)
	events := make([]client.Event, len(log))
	for seq, e := range log {
		if seq < 0 || seq >= int64(len(log)) {
			t.Fatalf("%s: seq %d in a log of %d events", org, seq, len(log))
		}
		events[seq] = e
	}
	if len(events) == 0 {
		t.Fatalf("%s: registering it logged nothing, want org.created at seq 0", org)
	}
	if e := events[0]; e.Event != "org.created" || e.Category != "settings" ||
		e.Actor.Type != "system" || e.Actor.ID != "platform" || e.Target.ID != org {
		t.Fatalf("%s: seq 0 is %s (%s) by %+v on %+v, want org.created (settings) by the platform on the organization",
			org, e.Event, e.Category, e.Actor, e.Target)
	}
	return events
}

// checkRegistered checks that org's log, read through c, still holds
// the events registering it logged (registerOrg's), as they were.
func checkRegistered(t *testing.T, c *client.Client, org string, registered []client.Event) {
	t.Helper()
	for _, want := range registered {
		got, err := c.Event(context.Background(), org, want.Seq)
		if err != nil {
			t.Errorf("%s: seq %d (%s at registration): %v", org, want.Seq, want.Event, err)
			continue
		}
		if got.ID != want.ID || !bytes.Equal(got.LeafHash, want.LeafHash) {
			t.Errorf("%s: seq %d is %s (leaf %x), want %s (leaf %x) as at registration",
				org, want.Seq, got.ID, got.LeafHash, want.ID, want.LeafHash)
		}
	}
}

// TestTail runs `stele tail` against a server, sends events and sees
// them printed, then restarts the server and sees the tail resume after
// the last event it printed, and end with exit 0 on SIGINT.
func TestTail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s := serverT(t, dir, "")
	c, registered := newOrg(t, s.URL, "acme")
	base := int64(len(registered)) // e0's seq
	send := func(ids ...string) {
		t.Helper()
		for _, id := range ids {
			if _, err := c.Send(ctx, "acme", client.Entry{ID: id, Event: "auth.login", Actor: client.Actor{Email: "alice@example.com"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	send("e0") // the tail starts after it, so none can be missed

	bin, err := osexec.LookPath("stele")
	if err != nil {
		t.Fatal(err)
	}
	tail := osexec.Command(bin, "tail", "--org", "acme", "--after", strconv.FormatInt(base, 10), "--output", "json")
	tail.Env = append(cleanEnv(), "STELE_URL="+s.URL, "STELE_TOKEN="+testToken)
	var stderr strings.Builder
	tail.Stderr = &stderr
	out, err := tail.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	defer tail.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect := func(seq int64, id string) {
		t.Helper()
		select {
		case line, ok := <-lines:
			var e client.Event
			if !ok || json.Unmarshal([]byte(line), &e) != nil {
				t.Fatalf("tail printed %q, want event %d (stderr: %s)", line, seq, stderr.String())
			}
			if e.Seq != seq || e.ID != id {
				t.Fatalf("tail printed event %d %q, want %d %q", e.Seq, e.ID, seq, id)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("tail printed no event %d in 30s (stderr: %s)", seq, stderr.String())
		}
	}
	send("e1", "e2", "e3")
	expect(base+1, "e1")
	expect(base+2, "e2")
	expect(base+3, "e3")

	// The server goes away and comes back on the same address.
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	s = serverT(t, dir, s.addr)
	c, err = client.New(s.URL, testToken)
	if err != nil {
		t.Fatal(err)
	}
	send("e4", "e5")
	expect(base+4, "e4")
	expect(base+5, "e5")

	tail.Process.Signal(os.Interrupt)
	if line, ok := <-lines; ok {
		t.Errorf("tail printed %q after the last event", line)
	}
	if err := tail.Wait(); err != nil {
		t.Errorf("tail after SIGINT: %v, want exit 0 (stderr: %s)", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "reconnecting") {
		t.Errorf("tail did not say it reconnects; stderr: %s", stderr.String())
	}
}

// TestShutdownDrains sends events from 16 goroutines, SIGTERMs the server
// midway, and checks the shutdown lost nothing it acknowledged: every
// event the server answered 2xx for is in the log exactly once, at the
// seq of its receipt, and the whole store verifies.
func TestShutdownDrains(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s := serverT(t, dir, "")
	c, _ := newOrg(t, s.URL, "acme")

	const workers, before = 16, 300 // acknowledged events before SIGTERM
	type result struct {
		id  string
		seq int64
		err error
	}
	var (
		acked   atomic.Int64
		exited  = make(chan struct{})
		results [workers][]result
		wg      sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				stopped := false
				select {
				case <-exited:
					stopped = true
				default:
				}
				r := result{id: fmt.Sprintf("w%02d-%05d", w, i)}
				res, err := c.Send(ctx, "acme", client.Entry{ID: r.id, Event: "auth.login", Actor: client.Actor{Email: "alice@example.com"}})
				switch {
				case err != nil:
					r.err = err
				case len(res.Events) != 1 || res.Events[0].ID != r.id || res.Events[0].Duplicate:
					r.err = fmt.Errorf("receipt %+v for a new event", res.Events)
					t.Errorf("%s: %v", r.id, r.err)
				default:
					r.seq = res.Events[0].Seq
					acked.Add(1)
				}
				results[w] = append(results[w], r)
				if err != nil {
					if stopped {
						return // once the server is gone, an error is certain
					}
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	stopWorkers := sync.OnceFunc(func() { close(exited) })
	defer stopWorkers()
	for deadline := time.Now().Add(2 * time.Minute); acked.Load() < before; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d events acknowledged in 2 minutes", acked.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	stopWorkers()
	wg.Wait()

	// Read the log back through a server restarted on the same data.
	s = serverT(t, dir, "")
	c, err := client.New(s.URL, testToken)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string][]int64{}
	for opts := (client.ListOptions{Limit: 1000}); ; {
		page, err := c.ListEvents(ctx, "acme", opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			seen[e.ID] = append(seen[e.ID], e.Seq)
		}
		if page.NextCursor == "" {
			break
		}
		opts.Cursor = page.NextCursor
	}
	var ok, failed int
	for w := range workers {
		for _, r := range results[w] {
			if r.err != nil {
				failed++
				continue
			}
			ok++
			if got := seen[r.id]; len(got) != 1 || got[0] != r.seq {
				t.Errorf("acknowledged %s at seq %d; the log has it at seqs %v", r.id, r.seq, got)
			}
		}
	}
	for id, seqs := range seen {
		if len(seqs) != 1 {
			t.Errorf("%s is in the log %d times, at seqs %v", id, len(seqs), seqs)
		}
	}
	t.Logf("%d events acknowledged, %d requests failed, %d events in the log", ok, failed, len(seen))
	if ok < before || failed < workers {
		t.Errorf("%d acknowledged and %d failed: want at least %d and %d", ok, failed, before, workers)
	}

	// The oracle of `stele verify --data`, on the store itself.
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	checkStore(t, dir)
}

// checkStore runs ledger.Check on a data directory and wants no problem.
func checkStore(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	key, err := readKeyFile(filepath.Join(dir, "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "stele.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sum, err := ledger.Check(ctx, st, key.VerifierKey, func(p ledger.Problem) { t.Error(p) })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Problems != 0 || sum.Events == 0 {
		t.Errorf("ledger.Check: %+v, want events and no problem", sum)
	}
}

package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// A Server is a PostgreSQL server of a test's own, which the test may
// stop and start: the shared one can't be, under other tests.
type Server struct {
	URL  string // postgres://, database postgres
	bin  string // the directory of initdb and pg_ctl
	dir  string // its data directory
	port int
	as   string // the user it runs as, when not this process's
}

// Private initdbs and starts a PostgreSQL server on a free port of
// 127.0.0.1, as durable as a production one (fsync and synchronous
// commit on), stopped and removed when t ends. It skips or fails t, as
// Schema does, if PostgreSQL's programs aren't installed. As root, the
// server runs as the user postgres, since PostgreSQL refuses root.
func Private(t testing.TB) *Server {
	t.Helper()
	bin, err := findBin()
	if err != nil {
		missing(t, "server programs", err)
	}
	s := &Server{bin: bin}
	if os.Geteuid() == 0 {
		s.as = "postgres"
	}
	// Not t.TempDir: the user postgres can't enter root's.
	base, err := os.MkdirTemp("", "stele-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	s.dir = filepath.Join(base, "data")
	if s.as != "" {
		if err := chown(base, s.as); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := s.run("initdb", "-D", s.dir, "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		t.Fatal(err)
	}
	s.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.run("pg_ctl", "stop", "-D", s.dir, "-m", "immediate", "-w") })
	return s
}

// Start starts the server and waits until it takes connections.
func (s *Server) Start() error {
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=on -c synchronous_commit=on", s.port, filepath.Dir(s.dir))
	out, err := s.run("pg_ctl", "start", "-D", s.dir, "-w", "-t", "60", "-l", filepath.Join(filepath.Dir(s.dir), "server.log"), "-o", opts)
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v\n%s", err, out)
	}
	return nil
}

// Stop stops the server: with mode "immediate" as if it crashed (it
// recovers from its WAL at the next start), with "fast" as an operator
// does, ending every session.
func (s *Server) Stop(mode string) error {
	out, err := s.run("pg_ctl", "stop", "-D", s.dir, "-m", mode, "-w", "-t", "60")
	if err != nil {
		return fmt.Errorf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
	return nil
}

// Log returns what the server wrote to its log.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(s.dir), "server.log"))
	return string(b)
}

// run runs one of the server's programs, as s.as if set.
func (s *Server) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, prog)
	cmd := exec.Command(path, args...)
	if s.as != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.as, "--", path}, args...)...)
	}
	cmd.Dir = os.TempDir() // one the server's user may enter
	return cmd.CombinedOutput()
}

// findBin returns the directory of initdb and pg_ctl: that on PATH, or
// Debian's newest /usr/lib/postgresql/N/bin.
func findBin() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestN := "", -1
	for _, d := range dirs {
		n, err := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		if _, serr := os.Stat(filepath.Join(d, "initdb")); err == nil && serr == nil && n > bestN {
			best, bestN = d, n
		}
	}
	if best == "" {
		return "", fmt.Errorf("no pg_ctl on PATH or in /usr/lib/postgresql/*/bin")
	}
	return best, nil
}

// chown gives dir to the user name.
func chown(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(dir, uid, gid)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

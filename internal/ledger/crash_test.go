package ledger_test

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/store/sqlite"
	"github.com/steleaudit/stele/verify"
)

var crashCycles = flag.Int("crash.cycles", 50, "kill -9 cycles in TestCrash")

// raceEnabled is set when built with -race (race_test.go). Under the race
// detector SQLite's translated C code runs many times slower, and a kill
// test finds no data races anyway: make test runs TestCrash without it.
var raceEnabled bool

// crashChildEnv names the data directory a crash child ingests into.
const crashChildEnv = "STELE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir, os.Getenv("STELE_CRASH_CYCLE"))
		return
	}
	code := m.Run()
	if tempFixture != "" {
		os.RemoveAll(tempFixture)
	}
	os.Exit(code)
}

// crashAppends is how many appends each crash child goroutine makes: at
// ~10k events/s, about the 50-650 ms a child lives.
const crashAppends = 40

// crashChild appends from many goroutines until it is killed, printing
// "ack <org> <id> <seq>" after each event is acknowledged.
func crashChild(dir, cycle string) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "stele.db"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	l, err := ledger.Open(ctx, ledger.Config{Store: st, Key: testKey})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	orgs := []string{"acme", "globex", "initech", "umbrella"}
	for g := range 32 {
		go func() {
			// A bounded amount a cycle keeps the store, and so the checks
			// after every kill, from growing with the machine's speed.
			for i := range crashAppends {
				org := orgs[rand.IntN(len(orgs))]
				n := 1 + rand.IntN(8)
				recs := make([]*verify.Record, n)
				for j := range recs {
					recs[j] = rec(fmt.Sprintf("c%s-g%d-i%d-j%d", cycle, g, i, j), "a@example.com", "auth.login")
				}
				rcs, _, err := l.Append(ctx, org, recs)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				var b strings.Builder
				for _, rc := range rcs {
					fmt.Fprintf(&b, "ack %s %s %d\n", org, rc.ID, rc.Seq)
				}
				mu.Lock()
				os.Stdout.WriteString(b.String())
				mu.Unlock()
			}
		}()
	}
	select {}
}

// TestCrash kills a child process that ingests with many concurrent
// callers at random moments, repeatedly; after every kill each
// acknowledged event is in the store exactly once, at the seq it was
// acknowledged with, and the whole store verifies.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash cycles take a while")
	}
	if raceEnabled {
		t.Skip("runs without -race; make test runs it so")
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (%d cycles)", seed, *crashCycles)
	rnd := rand.New(rand.NewPCG(seed, seed))
	acked := map[string]int64{} // org/id → seq
	for cycle := range *crashCycles {
		lines := runCrashChild(t, dir, cycle, time.Duration(50+rnd.IntN(600))*time.Millisecond)
		for _, line := range lines {
			f := strings.Fields(line)
			if len(f) != 4 || f[0] != "ack" {
				continue // a line cut short by the kill
			}
			seq, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil {
				continue
			}
			acked[f[1]+"/"+f[2]] = seq
		}
		checkAfterCrash(t, dir, acked)
		if t.Failed() {
			t.Fatalf("after cycle %d", cycle)
		}
	}
	t.Logf("%d acknowledged events survived %d kills", len(acked), *crashCycles)
}

// runCrashChild runs a crash child for about d, kills it with SIGKILL, and
// returns the complete lines it printed.
func runCrashChild(t *testing.T, dir string, cycle int, d time.Duration) []string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, "STELE_CRASH_CYCLE="+strconv.Itoa(cycle))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
	}()
	time.Sleep(d)
	cmd.Process.Signal(syscall.SIGKILL)
	<-read
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("crash child ended by itself: %v", err)
	}
	return lines
}

func checkAfterCrash(t *testing.T, dir string, acked map[string]int64) {
	ctx := context.Background()
	integrityCheck(t, filepath.Join(dir, "stele.db"))
	st := openStore(t, dir)
	defer st.Close()
	// Reopening signs what the crash left unsigned; closing waits for it.
	l, err := ledger.Open(ctx, ledger.Config{Store: st, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	checkStore(t, st)
	err = st.Read(ctx, func(ctx context.Context, r store.Reader) error {
		orgs, err := r.Orgs(ctx)
		if err != nil {
			return err
		}
		seen := map[string]int64{}
		for _, org := range orgs {
			head, err := r.Head(ctx, org)
			if err != nil {
				return err
			}
			cp, err := r.LatestCheckpoint(ctx, org)
			if err != nil || cp.Size != head.Size {
				t.Errorf("%s: latest checkpoint %d (%v), want tree size %d", org, cp.Size, err, head.Size)
			}
			err = r.Events(ctx, org, 0, head.Size, func(e *store.Event) error {
				key := org + "/" + e.ID
				if prev, ok := seen[key]; ok {
					t.Errorf("%s stored at seqs %d and %d", key, prev, e.Seq)
				}
				seen[key] = e.Seq
				return nil
			})
			if err != nil {
				return err
			}
		}
		for key, seq := range acked {
			if got, ok := seen[key]; !ok || got != seq {
				t.Errorf("acknowledged %s at seq %d; stored at %d (present %v)", key, seq, got, ok)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// integrityCheck runs SQLite's own check of the file a kill left behind,
// before anything reopens it for writing.
func integrityCheck(t *testing.T, path string) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Fatalf("PRAGMA integrity_check = %q after a kill", res)
	}
}

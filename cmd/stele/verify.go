package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/store/sqlite"
	"github.com/steleaudit/stele/verify"
)

// errProblems makes verify exit non-zero once its findings are printed.
var errProblems = errors.New("the log has problems")

// runVerify checks logs offline, every one in a data directory (--data),
// or online, one organization's against a server through its proofs
// (--url, --token, --org, --state, --seq: any of them selects online).
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./stele-data", "data directory to check (offline)")
	pg := fs.String("postgres", "", "PostgreSQL URL of a store to check (offline), instead of --data's")
	key := fs.String("key", "", "verifier key, or a file holding it (default offline: derived from the data directory's signing key; online: the server's, trusted on first use)")
	var on onlineFlags
	on.register(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if online, dataGiven := on.given(fs); online {
		if dataGiven {
			return fmt.Errorf("%w: --data and --postgres check a store offline, --url a server online: not both", errUsage)
		}
		if err := parseFlags(fs, nil); err != nil { // the environment's values
			return err
		}
		return explain(verifyOnline(ctx, &on, *key, stdout, stderr))
	}
	if *pg == "" {
		*pg = os.Getenv("STELE_POSTGRES")
	}
	if *pg != "" && *key == "" {
		return fmt.Errorf("%w: --postgres needs --key, the verifier key of the servers' signing key (stele keygen prints it)", errUsage)
	}
	vkey, err := verifierKey(*data, *key)
	if err != nil {
		return err
	}
	if dbPath := filepath.Join(*data, "stele.db"); *pg == "" {
		if _, err := os.Stat(dbPath); err != nil {
			return fmt.Errorf("no store at %s: %w", dbPath, err)
		}
	}
	st, err := openStore(ctx, *data, *pg, sqlite.WithoutTextIndex())
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := ledger.Check(ctx, st, vkey, func(p ledger.Problem) {
		fmt.Fprintln(stdout, p)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "checked %d orgs, %d events, %d checkpoints: %d problems\n", sum.Orgs, sum.Events, sum.Checkpoints, sum.Problems)
	if sum.Problems > 0 {
		return errProblems
	}
	return nil
}

// verifierKey returns the key given on the command line (itself or a file
// holding it), or derives it from the data directory's signing key.
func verifierKey(data, key string) (string, error) {
	if key == "" {
		k, err := readKeyFile(filepath.Join(data, "signing.key"))
		if err != nil {
			return "", fmt.Errorf("no --key given and %w", err)
		}
		return k.VerifierKey, nil
	}
	if b, err := os.ReadFile(key); err == nil {
		key = string(b)
	}
	return strings.TrimSpace(key), nil
}

func readKeyFile(path string) (*ledger.Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the signing key: %w", err)
	}
	return ledger.ParseKey(string(b))
}

// onlineFlags are the flags of `stele verify` against a server.
type onlineFlags struct {
	clientFlags
	// State is a file keeping the last checkpoint checked and its
	// verifier key, to check the next against (--state, STELE_STATE).
	State string
	// Seqs are the events whose inclusion to check (--seq, repeatable).
	Seqs seqsFlag
}

func (f *onlineFlags) register(fs *flag.FlagSet) {
	f.clientFlags.register(fs, true)
	fs.StringVar(&f.State, "state", "", "file keeping the last checkpoint checked, to prove the next one extends it (online)")
	fs.Var(&f.Seqs, "seq", "seq of an event to prove included (online; repeatable, or a comma list)")
}

// given reports whether the command line selects online mode, and
// whether it names a store to check offline.
func (f *onlineFlags) given(fs *flag.FlagSet) (online, data bool) {
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "url", "token", "org", "state", "seq":
			online = true
		case "data", "postgres":
			data = true
		}
	})
	return online, data
}

// verifyState is what --state keeps between runs.
type verifyState struct {
	Org         string `json:"org"`
	VerifierKey string `json:"verifier_key"`
	Checkpoint  string `json:"checkpoint"` // signed note
}

// verifyOnline checks an organization's latest checkpoint: its signature,
// that it extends the one --state kept (a consistency proof), and that
// each --seq is in it (inclusion proofs). It prints a line per check.
func verifyOnline(ctx context.Context, f *onlineFlags, trustedKey string, stdout, stderr io.Writer) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	var prev *verifyState // nil on the first run
	if f.State != "" {
		st, err := loadState(f.State, f.Org)
		switch {
		case err == nil:
			prev = st
		case !errors.Is(err, os.ErrNotExist):
			return err
		}
	}
	key, err := chooseKey(ctx, c, trustedKey, prev, f.State, stderr)
	if err != nil {
		return err
	}
	origin := verify.Origin(key, f.Org)

	note, err := c.Checkpoint(ctx, f.Org)
	if err != nil {
		return fmt.Errorf("couldn't fetch the checkpoint: %w", err)
	}
	cp, err := verify.OpenCheckpoint(note, key, origin)
	if err != nil {
		fmt.Fprintf(stdout, "checkpoint: FAIL: %v\n", err)
		return errProblems
	}
	fmt.Fprintf(stdout, "checkpoint: %s size %d root %s: signature OK\n", cp.Origin, cp.Size, base64.StdEncoding.EncodeToString(cp.Root[:]))

	if prev != nil {
		old, err := verify.OpenCheckpoint([]byte(prev.Checkpoint), key, origin)
		if err != nil {
			return fmt.Errorf("the checkpoint saved in %s: %w", f.State, err)
		}
		if err := checkExtends(ctx, c, f.Org, old, cp); err != nil {
			fmt.Fprintf(stdout, "consistency: size %d to %d: FAIL: %v\n", old.Size, cp.Size, explain(err))
			return errProblems
		}
		fmt.Fprintf(stdout, "consistency: size %d to %d: OK\n", old.Size, cp.Size)
	}
	if f.State != "" {
		st := verifyState{Org: f.Org, VerifierKey: key, Checkpoint: string(note)}
		if err := saveState(f.State, &st); err != nil {
			return err
		}
	}

	failed := 0
	for _, seq := range f.Seqs {
		if err := checkIncluded(ctx, c, f.Org, seq, cp); err != nil {
			fmt.Fprintf(stdout, "seq %d: FAIL: %v\n", seq, explain(err))
			failed++
			continue
		}
		fmt.Fprintf(stdout, "seq %d: included at size %d: OK\n", seq, cp.Size)
	}
	if failed > 0 {
		return errProblems
	}
	return nil
}

// chooseKey returns the verifier key to check checkpoints with: the one
// given, trusted, or else the server's, which must be the one pinned in
// the state file, if there is one.
func chooseKey(ctx context.Context, c *client.Client, given string, prev *verifyState, stateFile string, stderr io.Writer) (string, error) {
	if given != "" {
		return verifierKey("", given)
	}
	key, err := c.VerifierKey(ctx)
	if err != nil {
		return "", fmt.Errorf("couldn't fetch the verifier key: %w", err)
	}
	switch {
	case prev == nil:
		fmt.Fprintf(stderr, "warning: trusting the server's verifier key %s on first use; pass --key to check against one you got elsewhere\n", key)
	case prev.VerifierKey != key:
		return "", fmt.Errorf("the server's verifier key %s is not the one in %s, %s", key, stateFile, prev.VerifierKey)
	}
	return key, nil
}

// checkExtends checks that the log of checkpoint cp extends that of old.
func checkExtends(ctx context.Context, c *client.Client, org string, old, cp verify.Checkpoint) error {
	switch {
	case cp.Size < old.Size:
		return fmt.Errorf("the log shrank from %d to %d events", old.Size, cp.Size)
	case cp.Size == old.Size:
		if cp.Root != old.Root {
			return errors.New("a different root at the same size: the log was rewritten")
		}
		return nil
	case old.Size == 0:
		return nil // every log extends the empty one
	}
	p, err := c.ConsistencyProof(ctx, org, old.Size, cp.Size)
	if err != nil {
		return err
	}
	return client.CheckConsistency(p, old, cp)
}

// checkIncluded checks that the event at seq is in cp's tree, as served.
func checkIncluded(ctx context.Context, c *client.Client, org string, seq int64, cp verify.Checkpoint) error {
	if seq >= cp.Size {
		return fmt.Errorf("not in the checkpoint's %d events (yet)", cp.Size)
	}
	e, err := c.Event(ctx, org, seq)
	if err != nil {
		return err
	}
	p, err := c.InclusionProof(ctx, org, seq, cp.Size)
	if err != nil {
		return err
	}
	return client.CheckInclusion(e, p, cp)
}

// loadState reads a state file: an error wrapping os.ErrNotExist if
// there is none yet.
func loadState(path, org string) (*verifyState, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st verifyState
	if err := json.Unmarshal(b, &st); err != nil || st.VerifierKey == "" || st.Checkpoint == "" {
		return nil, fmt.Errorf("%s is not a state file stele verify wrote", path)
	}
	if st.Org != org {
		return nil, fmt.Errorf("%s holds organization %q's state, not %q's", path, st.Org, org)
	}
	return &st, nil
}

// saveState replaces the state file atomically: a crash leaves the old
// one or the new one, never a mix.
func saveState(path string, st *verifyState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*") // mode 0600
	if err != nil {
		return fmt.Errorf("couldn't save the state: %w", err)
	}
	defer os.Remove(f.Name()) // once renamed, this fails harmlessly
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("couldn't save the state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("couldn't save the state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("couldn't save the state: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("couldn't save the state: %w", err)
	}
	return nil
}

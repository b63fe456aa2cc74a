package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/store/sqlite"
)

// errProblems makes verify exit non-zero once its findings are printed.
var errProblems = errors.New("the log has problems")

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./stele-data", "data directory to check")
	key := fs.String("key", "", "verifier key, or a file holding it (default: derived from the data directory's signing key)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	vkey, err := verifierKey(*data, *key)
	if err != nil {
		return err
	}
	dbPath := filepath.Join(*data, "stele.db")
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no store at %s: %w", dbPath, err)
	}
	st, err := sqlite.Open(ctx, dbPath)
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

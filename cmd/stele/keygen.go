package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/steleaudit/stele/internal/ledger"
)

func runKeygen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "file to write the signing key to (mode 0600; never overwritten)")
	name := fs.String("name", "stele.local", "key name; checkpoint origins are NAME/org/ORG")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if err := ledger.WriteNewKey(*out, *name); err != nil {
		return err
	}
	k, err := readKeyFile(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\nverifier key: %s\n", *out, k.VerifierKey)
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/steleaudit/stele/verify"
)

// runCheckpoint prints an organization's signed checkpoint and, with
// --verify, checks its signature with the key the server names. (That
// shows the server signs what it serves; `stele verify --key` checks
// against a key got elsewhere.)
func runCheckpoint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("checkpoint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, true)
	size := fs.Int64("size", 0, "print the checkpoint signed at exactly this tree size (default: the latest)")
	check := fs.Bool("verify", false, "check the checkpoint's signature with the server's verifier key")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *size < 0 {
		return fmt.Errorf("%w: --size must not be negative", errUsage)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var note []byte
	if *size > 0 {
		note, err = c.CheckpointAt(ctx, cf.Org, *size)
	} else {
		note, err = c.Checkpoint(ctx, cf.Org)
	}
	if err != nil {
		return explain(err)
	}
	if _, err := stdout.Write(note); err != nil || !*check {
		return err
	}
	key, err := c.VerifierKey(ctx)
	if err != nil {
		return explain(err)
	}
	cp, err := verify.OpenCheckpoint(note, key, verify.Origin(key, cf.Org))
	if err != nil {
		return err
	}
	if *size > 0 && cp.Size != *size {
		return fmt.Errorf("asked for the checkpoint at size %d, got one at %d", *size, cp.Size)
	}
	fmt.Fprintf(stdout, "OK: %s at size %d, signed by %s\n", cp.Origin, cp.Size, key)
	return nil
}

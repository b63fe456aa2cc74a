// Command stele runs the Stele audit-log service and its tools.
//
// Usage:
//
//	stele verify --data DIR [--key VERIFIER_KEY]   check every log in a data directory
//	stele keygen --out FILE [--name NAME]          write a new checkpoint signing key
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errUsage marks errors that are the caller's: printed with usage, exit 2.
var errUsage = errors.New("usage")

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"verify", "check every log in a data directory from first principles", runVerify},
	{"keygen", "write a new checkpoint signing key", runKeygen},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		return 2
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "stele %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "stele %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "stele: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: stele <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}

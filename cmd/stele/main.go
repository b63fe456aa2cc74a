// Command stele runs the Stele audit-log service and its tools.
//
// Usage:
//
//	stele server [--addr ADDR] [--data DIR] [--dev]     run the service
//	stele orgs create|get                               manage organizations (platform token)
//	stele keys create|list|revoke                       manage an organization's API keys
//	stele members invite|list                           invite and list an organization's members
//	stele viewer-token --subject S [--ttl 15m]          mint a viewer token, print its page's URL
//	stele events send|list                              send events (stdin or flags), list them
//	stele search 'QUERY' [--since 7d] [--output csv]    search events
//	stele tail                                          stream new events as they arrive
//	stele checkpoint [--size N] [--verify]              print a signed checkpoint
//	stele verify --data DIR                             check a data directory offline
//	stele verify --url URL --org ORG --state FILE       check a server's log online
//	stele bench                                         load-test a server
//	stele keygen --out FILE [--name NAME]               write a new checkpoint signing key
//
// Client commands find their server with --url, --token and --org, or
// STELE_URL, STELE_TOKEN and STELE_ORG.
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
	{"server", "run the service", runServer},
	{"events", "send or list events (events send | events list)", runEvents},
	{"search", "search an organization's events with the query language", runSearch},
	{"tail", "stream an organization's new events as they arrive", runTail},
	{"checkpoint", "print an organization's latest signed checkpoint", runCheckpoint},
	{"orgs", "manage organizations (orgs create | orgs get)", runOrgs},
	{"keys", "manage API keys (keys create | keys list | keys revoke)", runKeys},
	{"members", "invite and list members (members invite | members list)", runMembers},
	{"viewer-token", "mint a viewer token that shows the audit-log page to a platform's user", runViewerToken},
	{"verify", "check a log: offline from a data directory, or online against a server", runVerify},
	{"bench", "load-test a server with realistic events", runBench},
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
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}

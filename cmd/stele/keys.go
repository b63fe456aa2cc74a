package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
)

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, args, stdout, stderr,
		subcommand{"create", runKeysCreate},
		subcommand{"list", runKeysList},
		subcommand{"revoke", runKeysRevoke})
}

// runKeysCreate mints an API key and prints it, alone on stdout (or in
// the JSON answer with --json): the only time anyone sees it.
func runKeysCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, true)
	name := fs.String("name", "", "what the key is for, such as ci")
	scopes := listFlag{split: true}
	fs.Var(&scopes, "scope", "a scope: events:write, events:read, export, alerts:manage, settings:manage or admin (repeatable, or a comma list)")
	asJSON := fs.Bool("json", false, "print the server's answer as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "name", "scope"); err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	k, err := c.CreateAPIKey(ctx, cf.Org, client.APIKeyCreate{Name: *name, Scopes: scopes.values})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created API key %s (%s) with scopes %s\n", k.ID, k.Name, strings.Join(k.Scopes, ","))
	fmt.Fprintln(stderr, "warning: the key is shown only this once; store it now")
	if *asJSON {
		return printJSON(stdout, k)
	}
	_, err = fmt.Fprintln(stdout, k.Key)
	return err
}

func runKeysList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, true)
	output := fs.String("output", "table", "table or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := oneOf("output", *output, "table", "json"); err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	keys, err := c.APIKeys(ctx, cf.Org)
	if err != nil {
		return err
	}
	if *output == "json" {
		if keys == nil {
			keys = []client.APIKey{}
		}
		return printJSON(stdout, keys)
	}
	tw := newTable(stdout)
	printRow(tw, "ID", "NAME", "SCOPES", "CREATED", "REVOKED")
	for _, k := range keys {
		revoked := "-"
		if k.RevokedAt != nil {
			revoked = k.RevokedAt.UTC().Format(time.RFC3339)
		}
		printRow(tw, k.ID, cell(k.Name), strings.Join(k.Scopes, ","), k.CreatedAt.UTC().Format(time.RFC3339), revoked)
	}
	return tw.Flush()
}

func runKeysRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, true)
	ids, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return fmt.Errorf("%w: want the id of one key to revoke: stele keys revoke --org ORG KEY_ID", errUsage)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	k, err := c.RevokeAPIKey(ctx, cf.Org, ids[0])
	if err != nil {
		return err
	}
	if k.RevokedAt == nil {
		return fmt.Errorf("the server did not say %s is revoked", ids[0])
	}
	fmt.Fprintf(stdout, "revoked %s (%s) at %s\n", k.ID, k.Name, k.RevokedAt.UTC().Format(time.RFC3339))
	return nil
}

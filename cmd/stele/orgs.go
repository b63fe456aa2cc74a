package main

import (
	"context"
	"flag"
	"io"

	"github.com/steleaudit/stele/client"
)

func runOrgs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, args, stdout, stderr,
		subcommand{"create", runOrgsCreate},
		subcommand{"get", runOrgsGet})
}

// runOrgsCreate registers an organization; it takes the platform token.
func runOrgsCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("orgs create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, false)
	var in client.OrgCreate
	fs.StringVar(&in.ID, "id", "", "organization id: 1 to 64 of a-z, 0-9, and - _ . between them")
	fs.StringVar(&in.Name, "name", "", "display name")
	fs.StringVar(&in.Plan, "plan", "", "plan: free, developer, startup, professional or enterprise")
	fs.StringVar(&in.TimeZone, "time-zone", "", "IANA time zone, such as Europe/Paris (default UTC)")
	fs.StringVar(&in.OwnerEmail, "owner", "", "email of the owner to invite; the answer holds the invitation to send them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "id", "name", "plan"); err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	o, err := c.CreateOrg(ctx, in)
	if err != nil {
		return err
	}
	return printJSON(stdout, o)
}

func runOrgsGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("orgs get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	o, err := c.Org(ctx, cf.Org)
	if err != nil {
		return err
	}
	return printJSON(stdout, o)
}

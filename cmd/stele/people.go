package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/steleaudit/stele/client"
)

func runMembers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, args, stdout, stderr,
		subcommand{"invite", runMembersInvite},
		subcommand{"list", runMembersList})
}

// runMembersInvite invites an email address and prints the invitation's
// URL, alone on stdout (or the JSON answer with --json): the only time
// anyone sees its token.
func runMembersInvite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("members invite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, true)
	var in client.InvitationCreate
	fs.StringVar(&in.Email, "email", "", "the invitee's email address")
	fs.StringVar(&in.Role, "role", "", "owner, admin, member or one of the organization's roles")
	asJSON := fs.Bool("json", false, "print the server's answer as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "email", "role"); err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	inv, err := c.Invite(ctx, cf.Org, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "invited %s as %s until %s; send them the URL, shown only this once\n", inv.Email, inv.Role, inv.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"))
	if *asJSON {
		return printJSON(stdout, inv)
	}
	_, err = fmt.Fprintln(stdout, inv.URL)
	return err
}

func runMembersList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("members list", flag.ContinueOnError)
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
	ms, err := c.Members(ctx, cf.Org)
	if err != nil {
		return err
	}
	return printJSON(stdout, ms)
}

// runViewerToken mints a viewer token and prints the URL that opens the
// audit-log page with it (or the JSON answer with --json).
func runViewerToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("viewer-token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, true)
	var in client.ViewerTokenCreate
	fs.StringVar(&in.Subject, "subject", "", "whom the log is shown to: the platform's user")
	fs.StringVar(&in.TTL, "ttl", "", "how long the token works, 1m to 24h (default 1h)")
	export := fs.Bool("export", false, "let the viewer export too")
	asJSON := fs.Bool("json", false, "print the server's answer as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "subject"); err != nil {
		return err
	}
	if *export {
		in.Permissions = []string{"audit.read", "audit.export"}
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	v, err := c.CreateViewerToken(ctx, cf.Org, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "viewer token %s for %s until %s\n", v.ID, v.Subject, v.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"))
	if *asJSON {
		return printJSON(stdout, v)
	}
	_, err = fmt.Fprintln(stdout, v.URL)
	return err
}

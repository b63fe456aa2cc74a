package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/steleaudit/stele/client"
)

// clientFlags are the flags of the commands that call a server, through
// the Go SDK. Each falls back to its STELE_* environment variable (see
// parseFlags).
type clientFlags struct {
	// URL is the server's base URL (--url, STELE_URL).
	URL string
	// Token is an organization's API key or the platform token (--token,
	// STELE_TOKEN).
	Token string
	// Org is the organization the command is about (--org, STELE_ORG),
	// for the commands that register it.
	Org     string
	withOrg bool
}

func (f *clientFlags) register(fs *flag.FlagSet, withOrg bool) {
	fs.StringVar(&f.URL, "url", "http://127.0.0.1:8080", "server URL")
	fs.StringVar(&f.Token, "token", "", "API key or platform token")
	if withOrg {
		fs.StringVar(&f.Org, "org", "", "organization id")
		f.withOrg = true
	}
}

// client checks the flags and returns a client for the server.
func (f *clientFlags) client(opts ...client.Option) (*client.Client, error) {
	if f.withOrg && f.Org == "" {
		return nil, fmt.Errorf("%w: --org (or STELE_ORG) is required", errUsage)
	}
	if f.Token == "" {
		return nil, fmt.Errorf("%w: --token (or STELE_TOKEN) is required", errUsage)
	}
	c, err := client.New(f.URL, f.Token, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: --url: %v", errUsage, err)
	}
	return c, nil
}

// parseArgs is parseFlags for commands that take arguments besides their
// flags, in any order; it returns the arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	// A FlagSet remembers the flags it was given across calls to Parse,
	// so this only adds the environment's values for the others.
	return rest, parseFlags(fs, nil)
}

// A subcommand is one verb of a command such as events or keys.
type subcommand struct {
	name string
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// dispatch runs the subcommand args[0] names, and turns the server's
// errors into what the command prints.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer, subs ...subcommand) error {
	var names []string
	for _, s := range subs {
		names = append(names, s.name)
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: want a subcommand: %s", errUsage, strings.Join(names, ", "))
	}
	for _, s := range subs {
		if s.name == args[0] {
			return explain(s.run(ctx, args[1:], stdout, stderr))
		}
	}
	return fmt.Errorf("%w: unknown subcommand %q; want %s", errUsage, args[0], strings.Join(names, ", "))
}

// A serverError is the server's refusal as the commands print it:
// "<message> (<field>)".
type serverError struct {
	err   *client.Error
	field string
}

func (e *serverError) Error() string {
	if e.field == "" {
		return e.err.Message
	}
	return e.err.Message + " (" + e.field + ")"
}

func (e *serverError) Unwrap() error { return e.err }

// explain returns err with the server's refusal, if it is one, in the
// commands' words. Context wrapped around it is kept.
func explain(err error) error {
	var se *serverError
	var ce *client.Error
	if err == nil || errors.As(err, &se) || !errors.As(err, &ce) {
		return err
	}
	short := &serverError{err: ce, field: ce.Field}
	if prefix, ok := strings.CutSuffix(err.Error(), ce.Error()); ok && prefix != "" {
		return fmt.Errorf("%s%w", prefix, short)
	}
	return short
}

// listFlag is a repeatable flag; with split, each value may also be a
// comma-separated list.
type listFlag struct {
	values []string
	split  bool
}

func (l *listFlag) String() string { return strings.Join(l.values, ",") }

func (l *listFlag) Set(s string) error {
	if !l.split {
		l.values = append(l.values, s)
		return nil
	}
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			l.values = append(l.values, v)
		}
	}
	return nil
}

// seqsFlag is a repeatable flag of seqs, each value one or a comma list.
type seqsFlag []int64

func (s *seqsFlag) String() string { return fmt.Sprint([]int64(*s)) }

func (s *seqsFlag) Set(v string) error {
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a seq", f)
		}
		*s = append(*s, n)
	}
	return nil
}

// oneOf checks a flag's value is one of choices.
func oneOf(flag, value string, choices ...string) error {
	if slices.Contains(choices, value) {
		return nil
	}
	return fmt.Errorf("%w: --%s is %s, not %q", errUsage, flag, strings.Join(choices, " or "), value)
}

// required checks that each named flag has a value.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if fs.Lookup(n).Value.String() == "" {
			return fmt.Errorf("%w: --%s is required", errUsage, n)
		}
	}
	return nil
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// newTable returns a writer that aligns tab-separated columns; Flush it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// printRow writes cells as one tab-separated row of a table.
func printRow(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// eventRow is an event as the cells of a table row: seq, timestamp,
// event, actor, target, details.
func eventRow(e *client.Event) []string {
	actor := e.Actor.Email
	if actor == "" {
		actor = e.Actor.ID
	}
	if e.Actor.Type != "user" && e.Actor.Type != "" {
		actor = e.Actor.Type + ":" + actor
	}
	target := e.Target.ID
	if target == "" {
		target = e.Target.Name
	}
	if e.Target.Type != "" {
		target = e.Target.Type + ":" + target
	}
	details := string(e.Details)
	if r := []rune(details); len(r) > 60 {
		details = string(r[:57]) + "..."
	}
	return []string{strconv.FormatInt(e.Seq, 10), e.Timestamp.UTC().Format(time.RFC3339), e.Event,
		cell(actor), cell(target), cell(details)}
}

// cell is s for a table: "-" when empty, tabs and newlines as spaces.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
)

// runSearch prints the events matching a query, newest first.
func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, true)
	since := fs.String("since", "", "only events of the last while, such as 7d, 24h or 30m")
	limit := fs.Int("limit", 100, "how many events at most (0: all)")
	output := fs.String("output", "table", "table, json or csv")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: want one query, quoted: stele search 'actor:bob@example.com event:finding.assigned'", errUsage)
	}
	if err := oneOf("output", *output, "table", "json", "csv"); err != nil {
		return err
	}
	if *limit < 0 {
		return fmt.Errorf("%w: --limit must not be negative", errUsage)
	}
	opts := client.ListOptions{Query: rest[0]}
	if *since != "" {
		d, err := parseSince(*since)
		if err != nil {
			return err
		}
		opts.From = time.Now().Add(-d)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var events []client.Event
	err = eachEvent(ctx, c, cf.Org, opts, *limit, func(e *client.Event) error {
		events = append(events, *e)
		return nil
	})
	if err != nil {
		return queryError(rest[0], err, stderr)
	}
	switch *output {
	case "json":
		if events == nil {
			events = []client.Event{}
		}
		return printJSON(stdout, events)
	case "csv":
		return printCSV(stdout, events)
	}
	tw := newTable(stdout)
	printRow(tw, "SEQ", "TIMESTAMP", "EVENT", "ACTOR", "TARGET", "DETAILS")
	for i := range events {
		printRow(tw, eventRow(&events[i])...)
	}
	return tw.Flush()
}

var positionRE = regexp.MustCompile(`^position (\d+): `)

// queryError shows a syntax error under the query, a caret at its
// position, before returning it.
func queryError(q string, err error, stderr io.Writer) error {
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "invalid_query" {
		return explain(err)
	}
	if m := positionRE.FindStringSubmatch(ce.Message); m != nil {
		if pos, perr := strconv.Atoi(m[1]); perr == nil && pos >= 1 && pos <= len([]rune(q))+1 {
			fmt.Fprintf(stderr, "  %s\n  %s^\n", q, strings.Repeat(" ", pos-1))
		}
	}
	return fmt.Errorf("bad query: %s", ce.Message)
}

// printCSV writes events as CSV, one row each. A cell that a spreadsheet
// would take for a formula (=, +, -, @, tab, carriage return first) is
// prefixed with a quote, so that opening the file runs nothing.
func printCSV(w io.Writer, events []client.Event) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "timestamp", "event", "category", "actor_type", "actor", "target", "ip_address", "user_agent", "details"})
	for _, e := range events {
		actor := e.Actor.Email
		if actor == "" {
			actor = e.Actor.ID
		}
		target := e.Target.ID
		if target == "" {
			target = e.Target.Name
		}
		row := []string{strconv.FormatInt(e.Seq, 10), e.Timestamp.UTC().Format(time.RFC3339Nano), e.Event, e.Category,
			e.Actor.Type, actor, target, e.IP, e.UserAgent, string(e.Details)}
		for i, v := range row {
			row[i] = csvSafe(v)
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

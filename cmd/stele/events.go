package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/event"
)

// A request carries at most maxBatch events, in at most about
// maxBatchBytes of JSON: the server's limits (1000 events, 5 MiB), with
// room to spare for the latter.
const (
	maxBatch      = 1000
	maxBatchBytes = 4 << 20
)

func runEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, args, stdout, stderr,
		subcommand{"send", runEventsSend},
		subcommand{"list", runEventsList})
}

// entryFlags build one entry from the command line.
type entryFlags struct {
	id, event, actor, target, ip, userAgent, timestamp string
	details                                            listFlag
}

func (f *entryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.event, "event", "", "event type, such as auth.login (builds the event from flags instead of reading stdin)")
	fs.StringVar(&f.actor, "actor", "", "who did it: an email, or a user id")
	fs.StringVar(&f.target, "target", "", "what it was done to: an id")
	fs.Var(&f.details, "detail", "a detail as key=value, its value a string (repeatable)")
	fs.StringVar(&f.ip, "ip", "", "IP address the actor acted from")
	fs.StringVar(&f.userAgent, "user-agent", "", "the actor's user agent")
	fs.StringVar(&f.id, "id", "", "idempotency key: an event with an id the log holds is not appended again")
	fs.StringVar(&f.timestamp, "timestamp", "", "when it happened, RFC 3339 (default: when the server receives it)")
}

// entry returns the entry the flags describe; ok is false if they
// describe none.
func (f *entryFlags) entry() (e client.Entry, ok bool, err error) {
	if f.event == "" {
		if f.id+f.actor+f.target+f.ip+f.userAgent+f.timestamp != "" || len(f.details.values) > 0 {
			return e, false, fmt.Errorf("%w: --event is needed to build an event from flags (or send JSON on stdin)", errUsage)
		}
		return e, false, nil
	}
	e = client.Entry{ID: f.id, Event: f.event, Actor: actorOf(f.actor), IP: f.ip, UserAgent: f.userAgent}
	if f.target != "" {
		e.Target = &client.Target{ID: f.target}
	}
	if f.timestamp != "" {
		if e.Timestamp, err = time.Parse(time.RFC3339Nano, f.timestamp); err != nil {
			return e, false, fmt.Errorf("%w: --timestamp: want RFC 3339, such as 2026-01-03T14:30:00Z", errUsage)
		}
	}
	for _, d := range f.details.values {
		k, v, found := strings.Cut(d, "=")
		if !found || k == "" {
			return e, false, fmt.Errorf("%w: --detail %q: want key=value", errUsage, d)
		}
		if _, dup := e.Details[k]; dup {
			return e, false, fmt.Errorf("%w: --detail %q given twice", errUsage, k)
		}
		if e.Details == nil {
			e.Details = map[string]any{}
		}
		e.Details[k] = v
	}
	return e, true, nil
}

func runEventsSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("events send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, true)
	var ef entryFlags
	ef.register(fs)
	wait := fs.Bool("wait-checkpoint", false, "wait for a signed checkpoint covering the events, and print it")
	asJSON := fs.Bool("json", false, "print the server's answers as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	e, fromFlags, err := ef.entry()
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	entries := []client.Entry{e}
	if !fromFlags {
		if entries, err = readEntries(os.Stdin); err != nil {
			return fmt.Errorf("stdin: %w", err)
		}
	}
	send := c.Send
	if *wait {
		send = c.SendAndProve
	}
	var last *client.SendResult
	for i, end := 0, 0; i < len(entries); i = end {
		end = batchEnd(entries, i)
		batch := entries[i:end]
		res, err := send(ctx, cf.Org, batch...)
		if err != nil {
			err = explain(err)
			if !fromFlags {
				err = shiftField(err, i, len(batch))
			}
			if i > 0 {
				err = fmt.Errorf("%w; the %d events before this batch were sent", err, i)
			}
			return err
		}
		if *asJSON {
			if err := printJSON(stdout, res); err != nil {
				return err
			}
			continue
		}
		for _, r := range res.Events {
			dup := ""
			if r.Duplicate {
				dup = " duplicate"
			}
			fmt.Fprintf(stdout, "%d %s %x%s\n", r.Seq, r.ID, r.LeafHash, dup)
		}
		last = res
	}
	if last != nil && last.Checkpoint != "" {
		fmt.Fprintf(stdout, "checkpoint:\n%s", last.Checkpoint)
	}
	return nil
}

// batchEnd returns the end of the batch of entries from start on.
func batchEnd(entries []client.Entry, start int) int {
	size := 0
	for i := start; i < len(entries) && i-start < maxBatch; i++ {
		b, _ := json.Marshal(&entries[i]) // an error is Send's to report
		if size += len(b) + 1; size > maxBatchBytes && i > start {
			return i
		}
	}
	return min(start+maxBatch, len(entries))
}

// shiftField makes the field path of the server's refusal of a batch of n
// events, sent from offset, a path into the whole input, as readEntries
// names them.
func shiftField(err error, offset, n int) error {
	var se *serverError
	if !errors.As(err, &se) || se.field == "" {
		return err
	}
	if rest, ok := strings.CutPrefix(se.field, "events["); ok && n > 1 {
		i, after, _ := strings.Cut(rest, "]")
		if k, perr := strconv.Atoi(i); perr == nil {
			se.field = fmt.Sprintf("events[%d]%s", offset+k, after)
		}
		return err
	}
	if n == 1 { // sent alone, so the path is within the entry
		se.field = fmt.Sprintf("events[%d].%s", offset, se.field)
	}
	return err
}

// readEntries reads every entry on r, checking them all before any is
// sent: one entry, an array of entries, a batch {"events": [...]}, or any
// sequence of these, such as one entry a line (NDJSON). Errors name the
// entry as the server does: events[0] is the first.
func readEntries(r io.Reader) ([]client.Entry, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []client.Entry
	for {
		var v json.RawMessage
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, syntaxError(data, err)
		}
		// Held to the server's rules before anything is sent: a key given
		// twice or invalid UTF-8 would otherwise be quietly resolved here.
		if _, err := event.DecodeJSON(v); err != nil {
			var ee *event.Error
			if errors.As(err, &ee) && ee.Field != "" {
				return nil, fmt.Errorf("%s (events[%d].%s)", ee.Reason, len(out), ee.Field)
			}
			return nil, fmt.Errorf("%v (events[%d])", err, len(out))
		}
		items, err := entriesIn(v)
		if err != nil {
			return nil, fmt.Errorf("%v (events[%d])", err, len(out))
		}
		for _, it := range items {
			e, err := parseEntry(it)
			if err != nil {
				err.field = strings.TrimSuffix(fmt.Sprintf("events[%d].%s", len(out), err.field), ".")
				return nil, err
			}
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no events: want an event, an array of events, {\"events\": [...]} or one event a line")
	}
	return out, nil
}

// syntaxError says where in data the JSON is broken.
func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("invalid JSON: unexpected end of input")
		}
		return fmt.Errorf("invalid JSON: %w", err)
	}
	at := data[:max(0, min(int(se.Offset)-1, len(data)))] // before the bad byte
	line := bytes.Count(at, []byte("\n")) + 1
	col := len(at) - bytes.LastIndexByte(at, '\n') // 1-based
	return fmt.Errorf("invalid JSON at line %d, column %d: %s", line, col, strings.TrimPrefix(se.Error(), "json: "))
}

// entriesIn returns the entries in one top-level JSON value.
func entriesIn(v json.RawMessage) ([]json.RawMessage, error) {
	var items []json.RawMessage
	switch bytes.TrimLeft(v, " \t\r\n")[0] {
	case '[':
		err := json.Unmarshal(v, &items)
		return items, err
	case '{':
		var batch map[string]json.RawMessage
		if err := json.Unmarshal(v, &batch); err != nil {
			return nil, err
		}
		events, ok := batch["events"]
		if !ok {
			return []json.RawMessage{v}, nil
		}
		if len(batch) != 1 || json.Unmarshal(events, &items) != nil {
			return nil, errors.New(`a batch is {"events": [...]} and nothing else`)
		}
		return items, nil
	}
	return nil, errors.New(`want an event object, an array of events, or {"events": [...]}`)
}

// An entryError is what is wrong with an entry on stdin, and where.
type entryError struct {
	field, reason string
}

func (e *entryError) Error() string { return e.reason + " (" + e.field + ")" }

// entryJSON is an entry as a platform writes it, where actor and target
// may be strings (see package event). Numbers in details keep their
// exact text.
type entryJSON struct {
	ID        string          `json:"id"`
	Timestamp string          `json:"timestamp"`
	Actor     json.RawMessage `json:"actor"`
	Event     string          `json:"event"`
	Target    json.RawMessage `json:"target"`
	Details   map[string]any  `json:"details"`
	IP        string          `json:"ip_address"`
	UserAgent string          `json:"user_agent"`
}

// parseEntry reads one entry. It checks only what a client.Entry cannot
// carry; the server checks the rest.
func parseEntry(data []byte) (client.Entry, *entryError) {
	var in entryJSON
	if err := strictJSON(data, &in); err != nil {
		return client.Entry{}, err
	}
	e := client.Entry{ID: in.ID, Event: in.Event, Details: in.Details, IP: in.IP, UserAgent: in.UserAgent}
	if in.Timestamp != "" {
		t, err := time.Parse(time.RFC3339Nano, in.Timestamp)
		if err != nil {
			return e, &entryError{"timestamp", fmt.Sprintf("%q is not an RFC 3339 time, such as 2026-01-03T14:30:00Z", in.Timestamp)}
		}
		e.Timestamp = t
	}
	var s string
	switch {
	case isNull(in.Actor):
	case json.Unmarshal(in.Actor, &s) == nil:
		e.Actor = actorOf(s)
	case strictJSON(in.Actor, &e.Actor) != nil:
		return e, &entryError{"actor", "want an email, an id, or an object of type, id, email and name"}
	}
	switch {
	case isNull(in.Target):
	case json.Unmarshal(in.Target, &s) == nil:
		e.Target = &client.Target{ID: s}
	default:
		e.Target = new(client.Target)
		if strictJSON(in.Target, e.Target) != nil {
			return e, &entryError{"target", "want an id, or an object of type, id and name"}
		}
	}
	return e, nil
}

// actorOf is the actor a string names, as the server reads one: a user's
// email if it has an @, else a user's id.
func actorOf(s string) client.Actor {
	if strings.Contains(s, "@") {
		return client.Actor{Email: s}
	}
	return client.Actor{ID: s}
}

func isNull(v json.RawMessage) bool {
	return len(v) == 0 || string(v) == "null"
}

// strictJSON decodes the JSON object data into v, refusing unknown fields
// and keeping numbers' text.
func strictJSON(data []byte, v any) *entryError {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	err := dec.Decode(v)
	var ute *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ute) && ute.Field == "":
		return &entryError{"", "want an event object, not " + ute.Value}
	case errors.As(err, &ute):
		return &entryError{ute.Field, fmt.Sprintf("want a JSON %s, not %s", jsonKind(ute.Type.Kind().String()), ute.Value)}
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f, _ = strconv.Unquote(f)
		return &entryError{f, "unknown field"}
	}
	return &entryError{"", strings.TrimPrefix(err.Error(), "json: ")}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	}
	return goKind
}

func runEventsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("events list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, true)
	from := fs.String("from", "", "only events at or after this time (RFC 3339, or a date YYYY-MM-DD)")
	to := fs.String("to", "", "only events before this time (RFC 3339, or a date YYYY-MM-DD)")
	since := fs.String("since", "", "only events of the last while, such as 7d or 24h (instead of --from)")
	limit := fs.Int("limit", 100, "how many events at most, newest first (0: all)")
	query := fs.String("query", "", "search query")
	output := fs.String("output", "table", "table, json or ndjson")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := oneOf("output", *output, "table", "json", "ndjson"); err != nil {
		return err
	}
	opts := client.ListOptions{Query: *query}
	var err error
	if opts.From, err = timeFlag("from", *from); err != nil {
		return err
	}
	if opts.To, err = timeFlag("to", *to); err != nil {
		return err
	}
	if *since != "" {
		if *from != "" {
			return fmt.Errorf("%w: --since and --from both say where to start: give one", errUsage)
		}
		d, err := parseSince(*since)
		if err != nil {
			return err
		}
		opts.From = time.Now().Add(-d)
	}
	if *limit < 0 {
		return fmt.Errorf("%w: --limit must not be negative", errUsage)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}

	var events []client.Event // for table and json, which print at the end
	ndjson := json.NewEncoder(stdout)
	err = eachEvent(ctx, c, cf.Org, opts, *limit, func(e *client.Event) error {
		if *output == "ndjson" {
			return ndjson.Encode(e)
		}
		events = append(events, *e)
		return nil
	})
	if err != nil {
		return err
	}
	switch *output {
	case "json":
		if events == nil {
			events = []client.Event{}
		}
		return printJSON(stdout, events)
	case "table":
		tw := newTable(stdout)
		printRow(tw, "SEQ", "TIMESTAMP", "EVENT", "ACTOR", "TARGET", "DETAILS")
		for i := range events {
			printRow(tw, eventRow(&events[i])...)
		}
		return tw.Flush()
	}
	return nil
}

// eachEvent calls fn with org's events that opts select, newest first,
// limit of them at most (0: every one), asking for a page at a time.
func eachEvent(ctx context.Context, c *client.Client, org string, opts client.ListOptions, limit int, fn func(*client.Event) error) error {
	for n := 0; ; {
		opts.Limit = maxBatch
		if limit > 0 {
			opts.Limit = min(maxBatch, limit-n)
		}
		page, err := c.ListEvents(ctx, org, opts)
		if err != nil {
			return err
		}
		for i := range page.Events {
			if err := fn(&page.Events[i]); err != nil {
				return err
			}
		}
		n += len(page.Events)
		if page.NextCursor == "" || (limit > 0 && n >= limit) {
			return nil
		}
		opts.Cursor = page.NextCursor
	}
}

// timeFlag parses a time given as RFC 3339 or as a date (midnight UTC).
func timeFlag(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: --%s: want RFC 3339 or YYYY-MM-DD, not %q", errUsage, name, s)
}

// parseSince parses a duration such as 24h, 90m, or a number of days: 7d.
func parseSince(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%w: --since: want a duration such as 7d, 24h or 30m, not %q", errUsage, s)
}

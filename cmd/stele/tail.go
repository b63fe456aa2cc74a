package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
)

// The pause before reconnecting a dropped tail doubles from minBackoff
// up to maxBackoff, and starts over once events arrive again.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// runTail prints an organization's new events as they are appended, until
// interrupted. A dropped stream is resumed after the last event printed.
func runTail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs, true)
	after := fs.Int64("after", client.FromNow, "start after the event of this seq; -1 for all (default: with the events appended from now on)")
	output := fs.String("output", "table", "table, or json: one event a line")
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
	var printErr error // set when stdout fails: nothing to retry then
	enc := json.NewEncoder(stdout)
	show := func(e *client.Event) error {
		if *output == "json" {
			printErr = enc.Encode(e)
		} else {
			_, printErr = fmt.Fprintln(stdout, strings.Join(eventRow(e), "  "))
		}
		return printErr
	}

	backoff := minBackoff
	for {
		last, err := c.Tail(ctx, cf.Org, *after, show)
		switch {
		case ctx.Err() != nil:
			return nil // interrupted: the way a tail ends
		case printErr != nil:
			return printErr
		case !retryable(err):
			return explain(err)
		}
		if last != *after {
			*after, backoff = last, minBackoff
		}
		wait := backoff
		var ce *client.Error
		if errors.As(err, &ce) && ce.RetryAfter > wait {
			wait = ce.RetryAfter
		}
		why := "the server closed the stream"
		if err != nil {
			why = explain(err).Error()
		}
		fmt.Fprintf(stderr, "stele tail: %s; reconnecting in %s\n", why, wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// retryable reports whether a tail that ended with err may be resumed:
// after a dropped connection or a refusal for the time being, but not a
// refusal of the request itself.
func retryable(err error) bool {
	var ce *client.Error
	if !errors.As(err, &ce) {
		return true
	}
	return ce.Status == http.StatusTooManyRequests || ce.Status >= 500
}

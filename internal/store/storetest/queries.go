package storetest

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
)

// The query scripts, in testdata/queries: events.jsonl is an
// organization's events, and each *.txt file a list of searches of it with
// the seqs List must give for them.
//
// events.jsonl holds one event a line, as JSON of verify.Record (the
// store's record, its details any JSON object, stored canonical), seq 0
// first. An event without received_at was received at its timestamp; one
// with "erased": true has had its personal data erased (no salt, made-up
// commitments), others have a made-up salt. Lines starting with # are
// comments.
//
// A script is blocks of two lines,
//
//	query actor:bob@example.com event:finding.assigned
//	want 69 8 7
//
// a search, parsed as of queryNow, and the seqs of the events it matches
// in List's order, newest first ("want" alone for none). Lines starting
// with # are comments, and blank lines separate blocks.
//
//go:embed testdata/queries
var queryFiles embed.FS

// queryNow is when the scripts' searches are made, for relative times.
var queryNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// queryOrg is the organization of the scripts' events.
const queryOrg = "acme"

// A fixtureEvent is a line of events.jsonl.
type fixtureEvent struct {
	verify.Record
	Erased bool `json:"erased"`
}

// queryEvents returns the events of events.jsonl, in seq order.
func queryEvents() ([]*store.Event, error) {
	data, err := queryFiles.ReadFile("testdata/queries/events.jsonl")
	if err != nil {
		return nil, err
	}
	var list []*store.Event
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		d := json.NewDecoder(bytes.NewReader(line))
		d.DisallowUnknownFields()
		var f fixtureEvent
		if err := d.Decode(&f); err != nil {
			return nil, fmt.Errorf("events.jsonl:%d: %v", i+1, err)
		}
		r := f.Record
		r.Org = queryOrg
		if r.ReceivedAt.IsZero() {
			r.ReceivedAt = r.Timestamp
		}
		if len(r.Details) > 0 {
			if r.Details, err = verify.Canonicalize(r.Details); err != nil {
				return nil, fmt.Errorf("events.jsonl:%d: details: %v", i+1, err)
			}
		}
		if f.Erased {
			r.Commitments = map[string][]byte{
				"actor":      hash("actor " + r.ID),
				"ip_address": hash("ip " + r.ID),
				"user_agent": hash("ua " + r.ID),
			}
		} else {
			r.Salt = salt(r.ID)
		}
		list = append(list, &store.Event{Seq: int64(len(list)), Record: r})
	}
	return list, nil
}

// A queryCase is a block of a script.
type queryCase struct {
	at   string // file:line of the query
	text string
	want []int64
}

// queryCases returns the blocks of every script.
func queryCases() ([]queryCase, error) {
	files, err := queryFiles.ReadDir("testdata/queries")
	if err != nil {
		return nil, err
	}
	var cases []queryCase
	for _, f := range files {
		if path.Ext(f.Name()) != ".txt" {
			continue
		}
		data, err := queryFiles.ReadFile("testdata/queries/" + f.Name())
		if err != nil {
			return nil, err
		}
		c, err := parseScript(f.Name(), string(data))
		if err != nil {
			return nil, err
		}
		cases = append(cases, c...)
	}
	return cases, nil
}

// parseScript returns the blocks of the script named name.
func parseScript(name, script string) ([]queryCase, error) {
	var cases []queryCase
	var open *queryCase // a query waiting for its want
	sc := bufio.NewScanner(strings.NewReader(script))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		at := fmt.Sprintf("%s:%d", name, n)
		verb, rest, _ := strings.Cut(line, " ")
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
			if open != nil {
				return nil, fmt.Errorf("%s: want a want line after the query", at)
			}
		case verb == "query" && open == nil:
			open = &queryCase{at: at, text: rest}
		case verb == "want" && open != nil:
			for f := range strings.FieldsSeq(rest) {
				seq, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("%s: bad seq %q", at, f)
				}
				open.want = append(open.want, seq)
			}
			cases = append(cases, *open)
			open = nil
		default:
			return nil, fmt.Errorf("%s: unexpected %q", at, line)
		}
	}
	if open != nil {
		return nil, fmt.Errorf("%s: want a want line after the query", name)
	}
	return cases, nil
}

// oracle returns the seqs of the events of list that match q and lie in
// [since, until) (zero times unbounded), newest first.
func oracle(list []*store.Event, q *query.Query, since, until time.Time) []int64 {
	var found []*store.Event
	for _, e := range list {
		if (since.IsZero() || !e.Timestamp.Before(since)) && (until.IsZero() || e.Timestamp.Before(until)) && q.Match(&e.Record) {
			found = append(found, e)
		}
	}
	return seqs(newestFirst(found))
}

// queryWindows are Since and Until of filters that every script query
// is listed with too, ANDed with its timestamp terms.
var queryWindows = []struct{ since, until time.Time }{
	{time.Date(2026, 2, 22, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 26, 9, 0, 0, 0, time.UTC)},
	{time.Date(2026, 2, 26, 0, 0, 0, 0, time.UTC), time.Time{}},
	{time.Time{}, time.Date(2026, 2, 21, 3, 12, 0, 0, time.UTC)},
}

// RunQueries runs the query scripts against a store that open opens: each
// query's expected seqs must be what query.Match finds
// among the scripts' events, and what List gives, whole and in pages of
// 4, in read and write transactions, and within a few time windows.
func RunQueries(t *testing.T, open Opener) {
	list, err := queryEvents()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := queryCases()
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, open, "queries")
	// In batches out of seq order, as a ledger never does, with another
	// organization's copy in between.
	for i := 0; i < len(list); i += 16 {
		batch := slices.Clone(list[i:min(i+16, len(list))])
		slices.Reverse(batch)
		appendLog(t, s, queryOrg, batch)
		var theirs []*store.Event
		for _, e := range batch {
			c := clone(e)
			c.Org = "acme-copy"
			theirs = append(theirs, c)
		}
		appendLog(t, s, "acme-copy", theirs)
	}

	for _, c := range cases {
		q, err := query.Parse(c.text, queryNow)
		if err != nil {
			t.Errorf("%s: Parse(%q) = %v", c.at, c.text, err)
			continue
		}
		if got := oracle(list, q, time.Time{}, time.Time{}); !slices.Equal(got, c.want) {
			t.Errorf("%s: %s: the script wants %v, query.Match finds %v", c.at, c.text, c.want, got)
			continue
		}
		readBoth(t, s, func(ctx context.Context, when string, r store.Reader) {
			f := store.Filter{Query: q, Limit: 1000}
			got, err := listed(ctx, r, queryOrg, f)
			if err != nil || !slices.Equal(seqs(got), c.want) {
				t.Errorf("%s: %s: List(%s) = %v, %v, want %v", c.at, when, c.text, seqs(got), err, c.want)
				return
			}
			for _, e := range got {
				if d := diff(e, list[e.Seq]); d != "" {
					t.Errorf("%s: %s: List(%s): seq %d: %s", c.at, when, c.text, e.Seq, d)
				}
			}
		})
		if got := pages(t, s, queryOrg, store.Filter{Query: q}, 4, nil); !slices.Equal(seqs(got), c.want) {
			t.Errorf("%s: List(%s) in pages of 4 = %v, want %v", c.at, c.text, seqs(got), c.want)
		}
		for _, w := range queryWindows {
			f := store.Filter{Since: w.since, Until: w.until, Query: q, Limit: 1000}
			want := oracle(list, q, w.since, w.until)
			read(t, s, func(ctx context.Context, r store.Reader) error {
				got, err := listed(ctx, r, queryOrg, f)
				if err != nil || !slices.Equal(seqs(got), want) {
					t.Errorf("%s: List(%s, %s) = %v, %v, want %v", c.at, c.text, showFilter(f), seqs(got), err, want)
				}
				return nil
			})
		}
	}
}

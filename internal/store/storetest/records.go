package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
	"golang.org/x/mod/sumdb/tlog"
)

// base is when the suite's events happen.
var base = time.Date(2026, 1, 3, 14, 30, 0, 123456789, time.UTC)

// salt returns a made-up commitment salt.
func salt(seed string) []byte {
	h := sha256.Sum256([]byte("salt " + seed))
	return h[:verify.SaltSize]
}

// hash returns a made-up hash.
func hash(seed string) []byte {
	h := sha256.Sum256([]byte(seed))
	return h[:]
}

// rootOf returns a made-up root hash for org's tree of size leaves.
func rootOf(org string, size int64) tlog.Hash {
	return tlog.Hash(sha256.Sum256([]byte(org + "/" + strconv.FormatInt(size, 10))))
}

// event returns a plain, complete event of org at seq.
func event(org string, seq int64) *store.Event {
	s := strconv.FormatInt(seq, 10)
	return &store.Event{Seq: seq, Record: verify.Record{
		Org:        org,
		ID:         org + "-evt-" + s,
		Timestamp:  base.Add(time.Duration(seq) * time.Second),
		ReceivedAt: base.Add(time.Duration(seq)*time.Second + 250*time.Millisecond),
		Event:      "finding.status_changed",
		Category:   "finding",
		Actor:      verify.Actor{Type: "user", ID: "u_" + s, Email: "user" + s + "@example.com", Name: "User " + s},
		Target:     verify.Target{Type: "finding", ID: "finding-" + s, Name: "Reentrancy " + s},
		IP:         "192.0.2." + strconv.FormatInt(seq%250, 10),
		UserAgent:  "Mozilla/5.0 (X11; Linux x86_64) stele-test/" + s,
		Details:    json.RawMessage(`{"new_status":"fixed","old_status":"open"}`),
		Salt:       salt(org + s),
	}}
}

// eventsOf returns org's events at seqs.
func eventsOf(org string, seqs ...int64) []*store.Event {
	list := make([]*store.Event, len(seqs))
	for i, s := range seqs {
		list[i] = event(org, s)
	}
	return list
}

// span returns the seqs from, from+1, ..., to-1.
func span(from, to int64) []int64 {
	var s []int64
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// oddEvents returns events of org that try every field's corners: absent
// and empty values, hostile and non-ASCII text, erased records, times
// outside UTC and before 1970.
func oddEvents(org string) []*store.Event {
	minimal := &store.Event{Seq: 0, Record: verify.Record{
		Org:        org,
		Timestamp:  time.Unix(0, 1).UTC(),
		ReceivedAt: time.Unix(0, 2).UTC(),
		Event:      "auth.login",
		Category:   "auth",
		Actor:      verify.Actor{Type: "system"},
		Salt:       salt("minimal"),
	}}

	hostile := event(org, 1)
	hostile.ID = `'; DROP TABLE events; -- "x" \ %_*?`
	hostile.Event = "settings.org.settings_changed"
	hostile.Category = "settings"
	hostile.Actor = verify.Actor{Type: "api_key", ID: "key_\x01\x7f", Email: "Ünïcødé@例え.jp", Name: "名前 🙂 \u202eevil\u202c"}
	hostile.Target = verify.Target{Type: "project", ID: "project-123", Name: "\"quoted\" \\ back\nslash\ttab\r\n"}
	hostile.IP = "2001:db8::1"
	hostile.UserAgent = strings.Repeat("Mozilla/5.0 (Very Long) ", 200)
	hostile.Details = json.RawMessage(`{"a":{"b":[1,2.5,{"c":"\u00e9\"\\"}]},"emoji":"🙂","empty":"","n":null}`)
	hostile.Personal = []string{"details.a", "target", `details.odd,key "q"`}

	erased := event(org, 2)
	erased.Actor = verify.Actor{Type: "user"}
	erased.IP = ""
	erased.UserAgent = ""
	erased.Salt = nil
	erased.Personal = []string{"target"}
	erased.Target = verify.Target{}
	erased.Commitments = map[string][]byte{
		"actor":      hash("actor"),
		"ip_address": hash("ip"),
		"user_agent": hash("ua"),
		"target":     hash("target"),
	}

	zones := event(org, 3)
	zones.Timestamp = time.Date(2026, 2, 1, 3, 4, 5, 999999999, time.FixedZone("UTC+5:30", 5*3600+1800))
	zones.ReceivedAt = time.Date(1969, 7, 20, 20, 17, 40, 1, time.UTC)

	empties := event(org, 4)
	empties.ID = ""
	empties.Details = json.RawMessage{}
	empties.Personal = []string{}
	empties.Commitments = map[string][]byte{}

	future := event(org, 5)
	future.ID = strings.ToUpper(future.ID) // differs from seq 5's id only by case
	future.Timestamp = time.Date(2200, 12, 31, 23, 59, 59, 1, time.UTC)
	future.Details = json.RawMessage(`{}`)

	// Separators, in case a backend joins texts and splits them. (Texts
	// hold no NUL: see Tx.Append.)
	separated := event(org, 6)
	separated.ID = "id\x1fid"
	separated.Actor.Name = "\x1f"
	separated.Target = verify.Target{Type: "\x1e\x1f", Name: "a\x1fb"}
	separated.UserAgent = "ua\x1f\x1f"
	separated.Details = json.RawMessage(`{"k\u001f":"\u0000\u001f"}`)

	return []*store.Event{minimal, hostile, erased, zones, empties, future, separated}
}

// clone returns a deep copy of e.
func clone(e *store.Event) *store.Event {
	c := *e
	c.Details = bytes.Clone(e.Details)
	c.Personal = slices.Clone(e.Personal)
	c.Salt = bytes.Clone(e.Salt)
	if e.Commitments != nil {
		c.Commitments = make(map[string][]byte, len(e.Commitments))
		for k, v := range e.Commitments {
			c.Commitments[k] = bytes.Clone(v)
		}
	}
	return &c
}

// diff describes how got differs from want, or returns "" if it doesn't.
// Times must be equal instants in UTC; empty details, personal lists and
// commitments may come back nil, but a nil salt (erased) must stay nil.
func diff(got, want *store.Event) string {
	var d []string
	add := func(field string, got, want any) {
		d = append(d, fmt.Sprintf("%s = %#v, want %#v", field, got, want))
	}
	if got.Seq != want.Seq {
		add("Seq", got.Seq, want.Seq)
	}
	g, w := &got.Record, &want.Record
	for _, f := range []struct {
		name      string
		got, want string
	}{
		{"Org", g.Org, w.Org},
		{"ID", g.ID, w.ID},
		{"Event", g.Event, w.Event},
		{"Category", g.Category, w.Category},
		{"Actor.Type", g.Actor.Type, w.Actor.Type},
		{"Actor.ID", g.Actor.ID, w.Actor.ID},
		{"Actor.Email", g.Actor.Email, w.Actor.Email},
		{"Actor.Name", g.Actor.Name, w.Actor.Name},
		{"Target.Type", g.Target.Type, w.Target.Type},
		{"Target.ID", g.Target.ID, w.Target.ID},
		{"Target.Name", g.Target.Name, w.Target.Name},
		{"IP", g.IP, w.IP},
		{"UserAgent", g.UserAgent, w.UserAgent},
	} {
		if f.got != f.want {
			add(f.name, f.got, f.want)
		}
	}
	for _, f := range []struct {
		name      string
		got, want time.Time
	}{
		{"Timestamp", g.Timestamp, w.Timestamp},
		{"ReceivedAt", g.ReceivedAt, w.ReceivedAt},
	} {
		if !f.got.Equal(f.want) || f.got.Location() != time.UTC {
			add(f.name, f.got.Format(time.RFC3339Nano)+" "+f.got.Location().String(), f.want.UTC().Format(time.RFC3339Nano))
		}
	}
	if !bytes.Equal(g.Details, w.Details) {
		add("Details", string(g.Details), string(w.Details))
	}
	if !slices.Equal(g.Personal, w.Personal) {
		add("Personal", g.Personal, w.Personal)
	}
	if (g.Salt == nil) != (w.Salt == nil) || !bytes.Equal(g.Salt, w.Salt) {
		add("Salt", g.Salt, w.Salt)
	}
	if !maps.EqualFunc(g.Commitments, w.Commitments, bytes.Equal) {
		add("Commitments", g.Commitments, w.Commitments)
	}
	return strings.Join(d, "; ")
}

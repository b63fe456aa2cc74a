package postgres

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/steleaudit/stele/internal/store"
)

// idHash returns the first 8 bytes of SHA-256(id) as an integer: a compact
// index key for idempotency lookups, which compare the id itself to rule
// out collisions. An event without an id has none (nil).
func idHash(id string) *int64 {
	if h, ok := store.IDHash(id); ok {
		return &h
	}
	return nil
}

// unixNano returns the instant ns nanoseconds after the Unix epoch, in UTC.
func unixNano(ns int64) time.Time {
	return time.Unix(0, ns).UTC()
}

// nanos returns t as nanoseconds since the Unix epoch, or an error if an
// int64 can't hold them (outside the years 1678 to 2262).
func nanos(t time.Time) (int64, error) {
	n := t.UnixNano()
	if !time.Unix(0, n).Equal(t) {
		return 0, fmt.Errorf("time %v out of range", t)
	}
	return n, nil
}

// optionalNanos is nanos for a nullable column: NULL for the zero time.
func optionalNanos(t time.Time) (*int64, error) {
	if t.IsZero() {
		return nil, nil
	}
	n, err := nanos(t)
	return &n, err
}

// addrOf returns ip as an inet value if Go parses it as an address without
// a zone, which is when an ip: term can match it; else nil.
func addrOf(ip string) *string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" {
		return nil
	}
	s := a.String()
	return &s
}

// eventColumns are the columns of events that make an event, in the order
// scanner reads them.
const eventColumns = `seq, id, ts, received_at, event, category,
	actor_type, actor_id, actor_email, actor_name,
	target_type, target_id, target_name, ip, user_agent,
	details, personal, salt, commitments`

// eventColumnsOf is eventColumns of the table called e.
const eventColumnsOf = `e.seq, e.id, e.ts, e.received_at, e.event, e.category,
	e.actor_type, e.actor_id, e.actor_email, e.actor_name,
	e.target_type, e.target_id, e.target_name, e.ip, e.user_agent,
	e.details, e.personal, e.salt, e.commitments`

// columns are events as arrays of their columns, the parameters of
// insertSQL.
type columns struct {
	org                                  []string
	seq, ts, received                    []int64
	idHash                               []*int64
	id, event, category                  []string
	actorType, actorID, actorEmail       []string
	actorName, targetType, targetID      []string
	targetName, ip, userAgent            []string
	addr, details, personal, commitments []*string
	salt                                 [][]byte
}

// add appends e, at the time ts, to the columns. If it fails, it may
// have appended part of e.
func (c *columns) add(e *store.Event, ts int64) error {
	if e.Seq < 0 {
		return fmt.Errorf("seq %d is negative", e.Seq)
	}
	received, err := nanos(e.ReceivedAt)
	if err != nil {
		return fmt.Errorf("received_at: %w", err)
	}
	var details, personal, commitments *string
	if len(e.Details) > 0 {
		s := string(e.Details)
		details = &s
	}
	if len(e.Personal) > 0 {
		b, err := json.Marshal(e.Personal)
		if err != nil {
			return fmt.Errorf("personal: %w", err)
		}
		s := string(b)
		personal = &s
	}
	if len(e.Commitments) > 0 {
		b, err := json.Marshal(e.Commitments)
		if err != nil {
			return fmt.Errorf("commitments: %w", err)
		}
		s := string(b)
		commitments = &s
	}
	if e.Salt != nil && len(e.Salt) == 0 {
		// nil means erased; an empty salt would read back as nil.
		return errors.New("salt is empty but not nil")
	}
	c.org = append(c.org, e.Org)
	c.seq = append(c.seq, e.Seq)
	c.ts = append(c.ts, ts)
	c.received = append(c.received, received)
	c.idHash = append(c.idHash, idHash(e.ID))
	c.id = append(c.id, e.ID)
	c.event = append(c.event, e.Event)
	c.category = append(c.category, e.Category)
	c.actorType = append(c.actorType, e.Actor.Type)
	c.actorID = append(c.actorID, e.Actor.ID)
	c.actorEmail = append(c.actorEmail, e.Actor.Email)
	c.actorName = append(c.actorName, e.Actor.Name)
	c.targetType = append(c.targetType, e.Target.Type)
	c.targetID = append(c.targetID, e.Target.ID)
	c.targetName = append(c.targetName, e.Target.Name)
	c.ip = append(c.ip, e.IP)
	c.addr = append(c.addr, addrOf(e.IP))
	c.userAgent = append(c.userAgent, e.UserAgent)
	c.details = append(c.details, details)
	c.personal = append(c.personal, personal)
	// A copy: the caller may change e once Append returned, and the
	// columns may wait for the commit.
	c.salt = append(c.salt, bytes.Clone(e.Salt))
	c.commitments = append(c.commitments, commitments)
	return nil
}

// insertSQL returns the statement that inserts the events of columns into
// table, events or one of its partitions, and their leaves. table is a
// name this program makes.
func insertSQL(table string) string {
	return `WITH r AS (
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[],
			$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
			$13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[],
			$19::text[], $20::text[], $21::bytea[], $22::text[])
		AS r (org, seq, ts, received_at, id_hash, id, event, category, actor_type, actor_id, actor_email,
			actor_name, target_type, target_id, target_name, ip, ip_addr, user_agent,
			details, personal, salt, commitments)
	), leaf AS (
		INSERT INTO leaves (org, seq, ts, id_hash) SELECT org, seq, ts, id_hash FROM r
	)
	INSERT INTO ` + pgx.Identifier{table}.Sanitize() + ` (org, seq, ts, received_at, id, event, category,
		actor_type, actor_id, actor_email, actor_name, target_type, target_id, target_name,
		ip, ip_addr, user_agent, details, personal, salt, commitments)
	SELECT org, seq, ts, received_at, id, event, category,
		actor_type, actor_id, actor_email, actor_name, target_type, target_id, target_name,
		ip, ip_addr::inet, user_agent, details, personal::jsonb, salt, commitments::jsonb
	FROM r`
}

// args returns insertSQL's parameters.
func (c *columns) args() []any {
	return []any{c.org, c.seq, c.ts, c.received, c.idHash,
		c.id, c.event, c.category, c.actorType, c.actorID, c.actorEmail, c.actorName,
		c.targetType, c.targetID, c.targetName, c.ip, c.addr, c.userAgent,
		c.details, c.personal, c.salt, c.commitments}
}

// A scanner reads rows of eventColumns into events of one organization.
type scanner struct {
	org                   string
	e                     store.Event
	ts, received          int64
	details, salt         []byte
	personal, commitments []byte
	dest                  []any // pointers to the above, in column order
}

func newScanner(org string) *scanner {
	s := &scanner{org: org}
	r := &s.e.Record
	s.dest = []any{&s.e.Seq, &r.ID, &s.ts, &s.received, &r.Event, &r.Category,
		&r.Actor.Type, &r.Actor.ID, &r.Actor.Email, &r.Actor.Name,
		&r.Target.Type, &r.Target.ID, &r.Target.Name, &r.IP, &r.UserAgent,
		&s.details, &s.personal, &s.salt, &s.commitments}
	return s
}

// scan reads the current row. The event is valid until the next call. A
// row that disagrees with itself is returned with Fault saying how, not
// as an error, so a verifier can name it and carry on.
func (s *scanner) scan(rows pgx.Rows) (*store.Event, error) {
	if err := rows.Scan(s.dest...); err != nil {
		return nil, err
	}
	e, r := &s.e, &s.e.Record
	r.Org = s.org
	r.Timestamp = unixNano(s.ts)
	r.ReceivedAt = unixNano(s.received)
	r.Details, r.Salt, r.Personal, r.Commitments = nil, nil, nil, nil
	if len(s.details) > 0 {
		r.Details = json.RawMessage(s.details)
	}
	if s.salt != nil {
		r.Salt = s.salt
	}
	faults := store.DecodeLists(r, s.personal, s.commitments)
	e.Fault = strings.Join(faults, "; ")
	return e, nil
}

// checkIDHash adds to e's fault if hash, its leaf's, is not that of its id.
func checkIDHash(e *store.Event, hash *int64) {
	want := idHash(e.ID)
	if (hash == nil) != (want == nil) || hash != nil && *hash != *want {
		if e.Fault != "" {
			e.Fault += "; "
		}
		e.Fault += "id_hash does not match the id"
	}
}

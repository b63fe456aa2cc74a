package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// idHash returns the first 8 bytes of SHA-256(id) as an integer: a compact
// index key for idempotency lookups, which compare the id itself to rule
// out collisions. An event without an id has none (NULL), and no index
// entry.
func idHash(id string) sql.NullInt64 {
	h, ok := store.IDHash(id)
	return sql.NullInt64{Int64: h, Valid: ok}
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
func optionalNanos(t time.Time) (sql.NullInt64, error) {
	if t.IsZero() {
		return sql.NullInt64{}, nil
	}
	n, err := nanos(t)
	return sql.NullInt64{Int64: n, Valid: err == nil}, err
}

// eventArgs returns the values of insertEvent's parameters for e, which
// belongs to the organization numbered org. Empty details, personal list and
// commitments are stored as NULL and read back as nil.
func eventArgs(org int64, e *store.Event) ([]any, error) {
	if e.Seq < 0 {
		return nil, fmt.Errorf("seq %d is negative", e.Seq)
	}
	ts, err := nanos(e.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("timestamp: %w", err)
	}
	received, err := nanos(e.ReceivedAt)
	if err != nil {
		return nil, fmt.Errorf("received_at: %w", err)
	}
	var details, personal, salt, commitments any
	if len(e.Details) > 0 {
		details = string(e.Details)
	}
	if len(e.Personal) > 0 {
		b, err := json.Marshal(e.Personal)
		if err != nil {
			return nil, fmt.Errorf("personal: %w", err)
		}
		personal = string(b)
	}
	switch {
	case e.Salt == nil:
	case len(e.Salt) == 0:
		// nil means erased; an empty salt would read back as nil.
		return nil, errors.New("salt is empty but not nil")
	default:
		salt = e.Salt
	}
	if len(e.Commitments) > 0 {
		b, err := json.Marshal(e.Commitments)
		if err != nil {
			return nil, fmt.Errorf("commitments: %w", err)
		}
		commitments = string(b)
	}
	return []any{
		org, e.Seq, e.ID, idHash(e.ID), ts, received, e.Event, e.Category,
		e.Actor.Type, e.Actor.ID, e.Actor.Email, e.Actor.Name,
		e.Target.Type, e.Target.ID, e.Target.Name, e.IP, e.UserAgent,
		details, personal, salt, commitments,
	}, nil
}

// textCount is how many texts eventColumns joins: those eventTexts names.
const textCount = 15

// textSep joins the texts in eventColumns: the unit separator, which
// validation keeps out of identifying strings and JSON keeps escaped.
const textSep = 0x1F

// An eventScanner reads rows of eventColumns into an event of one
// organization, reusing the event and its buffers from row to row.
//
// eventColumns reads the texts of an event as one column, joined by
// textSep, because the driver makes three C calls, each taking a lock, for
// every column it reads: joining and splitting the texts halves the cost
// of reading an event (which is most of what Check and search pages do).
// A row whose texts hold textSep themselves splits into too many parts,
// and is read again column by column.
type eventScanner struct {
	org                   string
	texts                 *sql.Stmt // selectTexts, for rows that don't split
	e                     store.Event
	ts, received, key     int64
	joined                string
	salt                  sql.RawBytes
	idHash                sql.NullInt64
	dest                  []any // pointers to the above, in column order
	details, personal, cs []byte
}

func newEventScanner(org string, texts *sql.Stmt) *eventScanner {
	s := &eventScanner{org: org, texts: texts}
	s.dest = []any{&s.e.Seq, &s.ts, &s.received, &s.idHash, &s.salt, &s.key, &s.joined}
	return s
}

// scan reads the current row of rows. The event and its byte slices are
// valid only until the next call: a caller that keeps them clones them. A
// row that disagrees with itself is returned with Fault saying how, not as
// an error, so a verifier can name it and carry on.
func (s *eventScanner) scan(ctx context.Context, rows *sql.Rows) (*store.Event, error) {
	if err := rows.Scan(s.dest...); err != nil {
		return nil, err
	}
	e, r := &s.e, &s.e.Record
	if !s.split() {
		if err := s.readTexts(ctx); err != nil {
			return nil, err
		}
	}
	r.Org = s.org
	r.Timestamp = time.Unix(0, s.ts).UTC()
	r.ReceivedAt = time.Unix(0, s.received).UTC()
	r.Details, r.Salt, r.Personal, r.Commitments = nil, nil, nil, nil
	if len(s.details) > 0 {
		r.Details = json.RawMessage(s.details)
	}
	if len(s.salt) > 0 {
		r.Salt = s.salt
	}
	faults := store.DecodeLists(r, s.personal, s.cs)
	if s.idHash != idHash(r.ID) {
		faults = append(faults, "id_hash does not match the id")
	}
	e.Fault = strings.Join(faults, "; ")
	return e, nil
}

// split sets the texts of the event from the joined column, and reports
// whether it held textCount of them. The strings share the column's.
func (s *eventScanner) split() bool {
	var texts [textCount]string
	rest := s.joined
	for i := range textCount - 1 {
		j := strings.IndexByte(rest, textSep)
		if j < 0 {
			return false
		}
		texts[i], rest = rest[:j], rest[j+1:]
	}
	if strings.IndexByte(rest, textSep) >= 0 {
		return false
	}
	texts[textCount-1] = rest
	r := &s.e.Record
	r.ID, r.Event, r.Category = texts[0], texts[1], texts[2]
	r.Actor.Type, r.Actor.ID, r.Actor.Email, r.Actor.Name = texts[3], texts[4], texts[5], texts[6]
	r.Target.Type, r.Target.ID, r.Target.Name = texts[7], texts[8], texts[9]
	r.IP, r.UserAgent = texts[10], texts[11]
	s.details = append(s.details[:0], texts[12]...)
	s.personal = append(s.personal[:0], texts[13]...)
	s.cs = append(s.cs[:0], texts[14]...)
	return true
}

// readTexts reads the texts of the event with the scanned key column by
// column.
func (s *eventScanner) readTexts(ctx context.Context) error {
	r := &s.e.Record
	err := s.texts.QueryRowContext(ctx, s.key).Scan(&r.ID, &r.Event, &r.Category,
		&r.Actor.Type, &r.Actor.ID, &r.Actor.Email, &r.Actor.Name,
		&r.Target.Type, &r.Target.ID, &r.Target.Name, &r.IP, &r.UserAgent,
		&s.details, &s.personal, &s.cs)
	if err != nil {
		return fmt.Errorf("couldn't read the texts of event %d: %w", s.e.Seq, err)
	}
	return nil
}

// Package event turns what a platform sends into records for the log: it
// decodes untrusted JSON strictly, checks each entry against the event
// catalog and the entry format, and says precisely what is wrong when
// something is (see Error).
//
// The entry format, one JSON object:
//
//	{
//	  "id": "optional idempotency key",
//	  "timestamp": "2026-01-03T14:30:00Z",
//	  "actor": "alice@example.com",
//	  "event": "finding.status_changed",
//	  "target": "finding-abc123",
//	  "details": {"old_status": "open", "new_status": "fixed"},
//	  "ip_address": "192.168.1.1",
//	  "user_agent": "Mozilla/5.0 ..."
//	}
//
// actor may be an object {"type","id","email","name"} and target an object
// {"type","id","name"}. Only event and actor are required; null is the same
// as absent for every other field and every member of actor and target,
// since many encoders write a missing value as null. Any other field is an
// error.
package event

import (
	"errors"
	"strconv"
	"time"

	"github.com/steleaudit/stele/verify"
)

// Limits on what ParseEvent and ParseBatch accept.
const (
	MaxBatchSize   = 5 << 20  // bytes of a batch body
	MaxBatchEvents = 1000     // events in one batch
	MaxEventSize   = 64 << 10 // bytes of one event's JSON
	MaxDetailsSize = 32 << 10 // bytes of the canonical JSON of details
	MaxStringSize  = 1024     // bytes of any one string or key, decoded
	MaxIDSize      = 128      // bytes of an id
	// MaxClockSkew is how far after the server's clock a timestamp may be.
	MaxClockSkew = 5 * time.Minute
)

// ParseEvent parses one entry, as the package documentation describes, into
// a record. now is the time of receipt: the default timestamp and the
// reference for MaxClockSkew. c is the catalog to check the event type
// against; nil means the built-in types. The record's Org, ReceivedAt, Salt
// and Commitments are left for the ledger to set. Errors are *Error.
func ParseEvent(data []byte, now time.Time, c *Catalog) (*verify.Record, error) {
	if len(data) > MaxEventSize {
		return nil, tooLarge("event", len(data), MaxEventSize)
	}
	d := newDecoder(data, MaxStringSize)
	d.ws()
	r, err := parseEntry(d, now, c)
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return r, nil
}

// errTooMany stops reading a batch at its first event too many.
var errTooMany = errors.New("too many events")

// ParseBatch parses a request body holding either one entry or an object
// {"events": [...]} of 1 to MaxBatchEvents entries; it tells them apart by
// the first key. It is all or nothing: the first error fails the batch, and
// its Field names the event, as in "events[3].timestamp". Ids are not
// checked for uniqueness within the batch: an id sent twice is the
// ledger's to answer once, whether in one batch or two (a queue that
// delivers at least once can put a retried event in either).
func ParseBatch(body []byte, now time.Time, c *Catalog) ([]*verify.Record, error) {
	if len(body) > MaxBatchSize {
		return nil, tooLarge("batch", len(body), MaxBatchSize)
	}
	if !atBatch(body) {
		r, err := ParseEvent(body, now, c)
		if err != nil {
			return nil, err
		}
		return []*verify.Record{r}, nil
	}
	d := newDecoder(body, MaxStringSize)
	d.ws()
	var recs []*verify.Record
	err := d.members(func(key string, at int) error {
		if key != "events" {
			return fieldError(CodeUnknownField, "unknown field; a batch is {\"events\": [...]}")
		}
		if recs != nil {
			return d.errAt(CodeDuplicateKey, at, "duplicate key")
		}
		if !d.peekIs('[') {
			return notA(d, "an array of events")
		}
		recs = make([]*verify.Record, 0, min(MaxBatchEvents, len(body)/256+1))
		err := d.elements(func(i int) error {
			if i == MaxBatchEvents {
				return errTooMany
			}
			start := d.pos
			r, err := parseEntry(d, now, c)
			if err != nil {
				return err
			}
			if n := d.pos - start; n > MaxEventSize {
				return tooLarge("event", n, MaxEventSize)
			}
			recs = append(recs, r)
			return nil
		})
		switch {
		case errors.Is(err, errTooMany):
			return fieldError(CodeTooManyEvents, "more than "+strconv.Itoa(MaxBatchEvents)+" events; split the batch")
		case err != nil:
			return err
		case len(recs) == 0:
			return fieldError(CodeInvalidField, "no events")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return recs, nil
}

// atBatch reports whether body is an object whose first key is "events".
func atBatch(body []byte) bool {
	d := decoder{data: body}
	d.ws()
	if !d.peekIs('{') {
		return false
	}
	d.pos++
	d.ws()
	if !d.peekIs('"') {
		return false
	}
	key, _, err := d.stringBytes()
	return err == nil && string(key) == "events"
}

func tooLarge(what string, n, limit int) *Error {
	return fieldError(CodeTooLarge, what+" of "+strconv.Itoa(n)+" bytes, the limit is "+strconv.Itoa(limit))
}

// notA reads the value at pos, to report a syntax error in it first, and
// else reports that it should have been what.
func notA(d *decoder, what string) error {
	at := d.pos
	if _, err := d.value(); err != nil {
		return err
	}
	return d.errAt(CodeInvalidField, at, "want %s", what)
}

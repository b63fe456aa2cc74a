package event

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/steleaudit/stele/verify"
)

// The fields of an entry, as bits of a set to catch duplicates.
const (
	fID = 1 << iota
	fTimestamp
	fActor
	fEvent
	fTarget
	fDetails
	fIP
	fUserAgent
)

func entryField(key string) int {
	switch key {
	case "id":
		return fID
	case "timestamp":
		return fTimestamp
	case "actor":
		return fActor
	case "event":
		return fEvent
	case "target":
		return fTarget
	case "details":
		return fDetails
	case "ip_address":
		return fIP
	case "user_agent":
		return fUserAgent
	}
	return 0
}

var unixEpoch = time.Unix(0, 0).UTC()

// parseEntry reads the entry object at pos into a record. Nesting is
// counted from the entry, so an entry has the same limits inside a batch
// as alone.
func parseEntry(d *decoder, now time.Time, c *Catalog) (*verify.Record, error) {
	if c == nil {
		c = defaultCatalog
	}
	if !d.peekIs('{') {
		return nil, notA(d, "an event object")
	}
	outer := d.depth
	d.depth = 0
	defer func() { d.depth = outer }()

	r := new(verify.Record)
	var (
		seen       int
		typ        *kind
		details    map[string]any
		detailsLen int
	)
	err := d.members(func(key string, at int) error {
		f := entryField(key)
		switch {
		case f == 0:
			return fieldError(CodeUnknownField, "unknown field; an entry has id, timestamp, actor, event, target, details, ip_address and user_agent")
		case seen&f != 0:
			return d.errAt(CodeDuplicateKey, at, "duplicate key")
		}
		seen |= f
		var err error
		switch f {
		case fID:
			r.ID, err = parseID(d)
		case fTimestamp:
			r.Timestamp, err = parseTimestamp(d, now)
		case fActor:
			r.Actor, err = parseActor(d)
		case fEvent:
			typ, err = parseEventName(d, c)
		case fTarget:
			r.Target, err = parseTarget(d)
		case fDetails:
			start := d.pos
			details, err = parseDetails(d)
			detailsLen = d.pos - start
		case fIP:
			r.IP, err = parseIP(d)
		case fUserAgent:
			r.UserAgent, err = parseUserAgent(d)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	switch {
	case typ == nil:
		return nil, &Error{Code: CodeMissingField, Field: "event", Reason: "an event type is required"}
	case r.Actor.Type == "":
		return nil, &Error{Code: CodeMissingField, Field: "actor", Reason: "an actor is required"}
	}
	r.Event, r.Category = typ.Name, typ.Category
	if r.Timestamp.IsZero() {
		r.Timestamp = now.UTC().Round(0)
	}
	if len(details) > 0 {
		b, err := verify.AppendCanonical(make([]byte, 0, detailsLen+16), details)
		if err != nil { // cannot happen: the decoder makes only what JCS encodes
			return nil, &Error{Code: CodeInvalidField, Field: "details", Reason: err.Error()}
		}
		if len(b) > MaxDetailsSize {
			return nil, &Error{Code: CodeTooLarge, Field: "details", Reason: tooLarge("details", len(b), MaxDetailsSize).Reason}
		}
		r.Details = b
	}
	r.Personal = personal(typ, r.Target, details)
	own(r)
	return r, nil
}

// own copies the strings of r that may be pieces of the input into one new
// string, so that r keeps none of the input alive, for one allocation
// instead of one per field.
func own(r *verify.Record) {
	fields := [...]*string{&r.ID, &r.Actor.ID, &r.Actor.Email, &r.Actor.Name,
		&r.Target.Type, &r.Target.ID, &r.Target.Name, &r.IP, &r.UserAgent}
	n := 0
	for _, f := range fields {
		n += len(*f)
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		b.WriteString(*f)
	}
	s := b.String()
	for _, f := range fields {
		*f, s = s[:len(*f)], s[len(*f):]
	}
}

// personal lists, sorted, what of a record must be committed to beyond the
// actor, IP address and user agent. A target is personal when its type says
// so, when it says it is a user, or when it looks like an email address.
func personal(typ *kind, t verify.Target, details map[string]any) []string {
	var p []string
	for i, k := range typ.PersonalDetails {
		if _, ok := details[k]; ok {
			p = append(p, typ.labels[i]) // "details.*" sorts before "target"
		}
	}
	if t != (verify.Target{}) && (typ.PersonalTarget || strings.EqualFold(t.Type, "user") ||
		strings.Contains(t.ID, "@") || strings.Contains(t.Name, "@")) {
		p = append(p, "target")
	}
	return p
}

// stringOrNull reads a string or null (ok false). Identifying strings
// refuse control characters. The string may be a piece of the input, which
// own copies once the record is complete.
func stringOrNull(d *decoder, identifying bool) (s string, ok bool, err error) {
	switch {
	case d.peekIs('"'):
		s, err = d.str()
		if err == nil && identifying {
			err = checkIdent(s)
		}
		return s, err == nil, err
	case d.peekIs('n'):
		return "", false, d.literal("null")
	}
	return "", false, notA(d, "a string")
}

// nonEmpty reads an optional, identifying, non-empty string.
func nonEmpty(d *decoder) (string, bool, error) {
	at := d.pos
	s, ok, err := stringOrNull(d, true)
	if err == nil && ok && s == "" {
		err = d.errAt(CodeInvalidField, at, "empty; leave the field out instead")
	}
	return s, ok, err
}

// CheckIdent returns an *Error if s may not name someone or something in
// a record (see checkIdent): a service that puts a name it accepted into
// an audit event checks the name with it first.
func CheckIdent(s string) error {
	if err := checkIdent(s); err != nil {
		return err
	}
	return nil
}

// checkIdent refuses, in strings that identify someone or something, the
// control characters (C0, DEL, C1) and the Unicode bidirectional controls:
// they can make one name print as another on a screen or in a terminal.
func checkIdent(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7F {
			return fieldError(CodeInvalidField, fmt.Sprintf("control character %U not allowed here", c))
		}
		if c >= utf8.RuneSelf {
			return checkIdentRunes(s[i:])
		}
	}
	return nil
}

func checkIdentRunes(s string) error {
	for _, r := range s {
		if r < 0x20 || r >= 0x7F && r < 0xA0 || r == 0x061C || r == 0x200E || r == 0x200F ||
			r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 {
			return fieldError(CodeInvalidField, fmt.Sprintf("control character %U not allowed here", r))
		}
	}
	return nil
}

// parseUserAgent reads a user agent or null: a string without the
// control characters HTTP keeps out of header values (all but tab), so
// that none reaches a log line, and no NUL a database can't store.
func parseUserAgent(d *decoder) (string, error) {
	s, _, err := stringOrNull(d, false)
	if err != nil {
		return "", err
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7F {
			return "", fieldError(CodeInvalidField, fmt.Sprintf("control character %U not allowed here", c))
		}
	}
	return s, nil
}

// parseID reads an idempotency key: 1 to MaxIDSize bytes of
// [A-Za-z0-9._:@/+=-]: room for UUIDs, ULIDs, URNs, base64 and
// "source:number" forms, with no space, quote, comma or control character
// to escape in a CSV cell, a header or a log line.
func parseID(d *decoder) (string, error) {
	at := d.pos
	s, ok, err := stringOrNull(d, true)
	if err != nil || !ok {
		return "", err
	}
	if s == "" || len(s) > MaxIDSize {
		return "", d.errAt(CodeInvalidField, at, "an id is 1 to %d characters", MaxIDSize)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._:@/+=-", c) >= 0) {
			return "", d.errAt(CodeInvalidField, at, "an id has only A-Z a-z 0-9 and . _ : @ / + = -, not %s", quote(string(c)))
		}
	}
	return s, nil
}

func parseTimestamp(d *decoder, now time.Time) (time.Time, error) {
	s, ok, err := nonEmpty(d)
	if err != nil || !ok {
		return time.Time{}, err
	}
	t, err := parseTime(s)
	switch {
	case err != nil:
		return time.Time{}, err
	case t.Before(unixEpoch):
		return time.Time{}, fieldError(CodeInvalidField, "before 1970-01-01")
	case t.After(now.Add(MaxClockSkew)):
		return time.Time{}, fieldError(CodeTimestampInFuture, "more than "+MaxClockSkew.String()+
			" after the time of receipt, "+now.UTC().Format(time.RFC3339))
	}
	return t, nil
}

func parseEventName(d *decoder, c *Catalog) (*kind, error) {
	s, ok, err := stringOrNull(d, false)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fieldError(CodeMissingField, "an event type is required")
	}
	k := c.lookup(s)
	if k == nil {
		return nil, fieldError(CodeUnknownEvent, "unknown event type "+quote(s))
	}
	return k, nil
}

func parseIP(d *decoder) (string, error) {
	s, ok, err := nonEmpty(d)
	if err != nil || !ok {
		return "", err
	}
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return "", fieldError(CodeInvalidField, "not an IP address: "+quote(s))
	case a.Zone() != "":
		return "", fieldError(CodeInvalidField, "an IP address with a zone: "+quote(s))
	}
	var buf [64]byte
	if canon := a.Unmap().AppendTo(buf[:0]); string(canon) != s {
		return string(canon), nil
	}
	return s, nil
}

// parseDetails reads the details object; null is none.
func parseDetails(d *decoder) (map[string]any, error) {
	switch {
	case d.peekIs('{'):
		return d.object()
	case d.peekIs('n'):
		return nil, d.literal("null")
	}
	return nil, notA(d, "an object")
}

package event

import (
	"strconv"
)

// Codes of an Error: the machine-readable part of Stele's answer to bad
// input.
const (
	CodeInvalidJSON       = "invalid_json"        // not JSON (RFC 8259)
	CodeInvalidUTF8       = "invalid_utf8"        // not UTF-8, or an unpaired surrogate escape
	CodeDuplicateKey      = "duplicate_key"       // an object names a key twice
	CodeUnknownField      = "unknown_field"       // a field the entry format does not have
	CodeMissingField      = "missing_field"       // a required field is absent or null
	CodeInvalidField      = "invalid_field"       // a field has the wrong type, form or range
	CodeUnknownEvent      = "unknown_event"       // the event type is not in the catalog
	CodeTimestampInFuture = "timestamp_in_future" // more than MaxClockSkew after now
	CodeTooLarge          = "too_large"           // beyond a size or nesting limit
	CodeTooManyEvents     = "too_many_events"     // a batch of more than MaxBatchEvents
)

// An Error says why input was refused. Its text is safe to show the
// client that sent the input: it quotes at most a short piece of it.
type Error struct {
	Code string // one of the Code constants
	// Field is the JSON path of the offending value, such as "actor.email",
	// "details.note" or "events[3].timestamp"; keys that are not plain words
	// are written ["like this"]. It is empty when the whole input is at fault.
	Field  string
	Reason string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// fieldError returns an Error about the value being parsed; the callers
// above it prefix its Field with their keys and indexes as it goes up.
func fieldError(code, reason string) *Error {
	return &Error{Code: code, Reason: reason}
}

// withKey prefixes err's Field with an object key. Building paths only on
// the way out of an error keeps the happy path free of path bookkeeping.
func withKey(err error, key string) error {
	if e, ok := err.(*Error); ok {
		e.Field = joinField(keySegment(key), e.Field)
	}
	return err
}

// withIndex prefixes err's Field with an array index.
func withIndex(err error, i int) error {
	if e, ok := err.(*Error); ok {
		e.Field = joinField("["+strconv.Itoa(i)+"]", e.Field)
	}
	return err
}

func joinField(seg, rest string) string {
	switch {
	case rest == "":
		return seg
	case rest[0] == '[':
		return seg + rest
	default:
		return seg + "." + rest
	}
}

// keySegment writes a key as a path segment: as is when it is a plain
// word, else quoted in brackets, so that "a.b" and a nested b stay apart
// and no control or bidirectional character reaches a log or a screen.
func keySegment(key string) string {
	plain := key != ""
	for _, c := range []byte(key) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			plain = false
			break
		}
	}
	if plain {
		return key
	}
	return "[" + strconv.QuoteToASCII(key) + "]"
}

// quote quotes a piece of client input for an error reason, shortened to
// keep reasons readable.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		i := max
		for i > 0 && s[i]&0xC0 == 0x80 { // don't split a UTF-8 sequence
			i--
		}
		return strconv.QuoteToASCII(s[:i]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

package verify

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// LeafVersion is the first line of every leaf this package encodes.
const LeafVersion = "stele-leaf/v1"

// SaltSize is the size of a record's commitment salt.
const SaltSize = 16

// A Record is one audit event as the log stores it: every field that enters
// its leaf, with personal fields in plaintext beside the salt that commits
// to them.
type Record struct {
	Org        string          `json:"org"`
	ID         string          `json:"id"`
	Timestamp  time.Time       `json:"timestamp"`
	ReceivedAt time.Time       `json:"received_at"`
	Event      string          `json:"event"`
	Category   string          `json:"category"`
	Actor      Actor           `json:"actor"`
	Target     Target          `json:"target"`
	IP         string          `json:"ip_address,omitempty"`
	UserAgent  string          `json:"user_agent,omitempty"`
	Details    json.RawMessage `json:"details,omitempty"` // a JSON object, or empty
	// Personal names the parts committed to rather than written in clear,
	// beyond the actor, IP address and user agent, which always are:
	// "target" and "details.<key>" for top-level detail keys.
	Personal []string `json:"personal,omitempty"`
	// Salt is the record's commitment salt. It is nil once the record's
	// personal data was erased; Commitments then holds what was committed,
	// and the personal plaintext (actor identity, IP address, user agent,
	// personal target and detail values) may be empty.
	Salt        []byte            `json:"salt,omitempty"`
	Commitments map[string][]byte `json:"commitments,omitempty"`
}

// An Actor is who did it. Type is one of user, api_key or system.
type Actor struct {
	Type  string `json:"type"`
	ID    string `json:"id,omitempty"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

// A Target is what it was done to.
type Target struct {
	Type string `json:"type,omitempty"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Commit returns SHA-256(salt ‖ label ‖ 0x00 ‖ value), the commitment to
// one personal value. The label (the field's name in the leaf) keeps equal
// values in different fields of one record from showing as equal.
func Commit(salt []byte, label string, value []byte) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write(value)
	return h.Sum(nil)
}

// personalValues returns the labels and canonical plaintext values of r's
// personal fields, and r's details without its personal keys.
func (r *Record) personalValues() ([]string, [][]byte, map[string]any, error) {
	var labels []string
	var values [][]byte
	add := func(label string, v any) error {
		b, err := AppendCanonical(nil, v)
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		labels = append(labels, label)
		values = append(values, b)
		return nil
	}
	if err := add("actor", objectOf("email", r.Actor.Email, "id", r.Actor.ID, "name", r.Actor.Name)); err != nil {
		return nil, nil, nil, err
	}
	// Once erased (no salt), the personal plaintext may be gone: the kept
	// commitments then say which personal fields the record had.
	erased := r.Salt == nil
	committed := func(label string) bool {
		_, ok := r.Commitments[label]
		return erased && ok
	}
	if r.IP != "" {
		if a, err := netip.ParseAddr(r.IP); err != nil || a.String() != r.IP {
			return nil, nil, nil, fmt.Errorf("verify: ip_address %q is not an address as netip.Addr.String writes it", r.IP)
		}
	}
	if r.IP != "" || committed("ip_address") {
		labels, values = append(labels, "ip_address"), append(values, []byte(r.IP))
	}
	if !utf8.ValidString(r.UserAgent) {
		return nil, nil, nil, fmt.Errorf("user_agent: %w", errInvalidUTF8)
	}
	if r.UserAgent != "" || committed("user_agent") {
		labels, values = append(labels, "user_agent"), append(values, []byte(r.UserAgent))
	}
	details, err := r.details()
	if err != nil {
		return nil, nil, nil, err
	}
	for i, p := range r.Personal {
		if slices.Contains(r.Personal[:i], p) {
			return nil, nil, nil, fmt.Errorf("verify: personal field %q listed twice", p)
		}
		switch {
		case p == "target":
			if err := add(p, r.Target.object()); err != nil {
				return nil, nil, nil, err
			}
		case strings.HasPrefix(p, "details."):
			k := strings.TrimPrefix(p, "details.")
			v, ok := details[k]
			if !ok && !erased {
				return nil, nil, nil, fmt.Errorf("verify: personal field %q is not in details", p)
			}
			if err := add(p, v); err != nil {
				return nil, nil, nil, err
			}
			delete(details, k)
		default:
			return nil, nil, nil, fmt.Errorf("verify: unknown personal field %q", p)
		}
	}
	return labels, values, details, nil
}

func (r *Record) details() (map[string]any, error) {
	details := map[string]any{}
	if len(r.Details) == 0 {
		return details, nil
	}
	if err := json.Unmarshal(r.Details, &details); err != nil {
		return nil, fmt.Errorf("verify: details: %w", err)
	}
	if details == nil {
		return nil, errors.New("verify: details: not an object")
	}
	return details, nil
}

func (t Target) object() map[string]any {
	return objectOf("id", t.ID, "name", t.Name, "type", t.Type)
}

// objectOf builds an object from name, value pairs, leaving out empty values.
func objectOf(kv ...string) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

// LeafData returns r's leaf: the line "stele-leaf/v1", a newline, and the
// RFC 8785 canonical JSON of the committed object described in the package
// documentation.
func LeafData(r *Record) ([]byte, error) {
	switch r.Actor.Type {
	case "user", "api_key", "system":
	default:
		return nil, fmt.Errorf("verify: actor type %q is not user, api_key or system", r.Actor.Type)
	}
	for _, t := range []time.Time{r.Timestamp, r.ReceivedAt} {
		if y := t.UTC().Year(); y < 0 || y > 9999 {
			return nil, fmt.Errorf("verify: time %v is outside RFC 3339's years", t)
		}
	}
	labels, values, details, err := r.personalValues()
	if err != nil {
		return nil, err
	}
	commitments := make(map[string]any, len(labels))
	for i, l := range labels {
		var c []byte
		switch {
		case r.Salt != nil:
			if len(r.Salt) != SaltSize {
				return nil, fmt.Errorf("verify: salt is %d bytes, want %d", len(r.Salt), SaltSize)
			}
			c = Commit(r.Salt, l, values[i])
		default:
			c = r.Commitments[l]
			if len(c) != sha256.Size {
				return nil, fmt.Errorf("verify: no salt and no commitment for %s", l)
			}
		}
		commitments[l] = base64.StdEncoding.EncodeToString(c)
	}
	leaf := map[string]any{
		"actor_type":  r.Actor.Type,
		"category":    r.Category,
		"commitments": commitments,
		"details":     details,
		"event":       r.Event,
		"id":          r.ID,
		"org":         r.Org,
		"received_at": formatTime(r.ReceivedAt),
		"timestamp":   formatTime(r.Timestamp),
	}
	if !slices.Contains(r.Personal, "target") {
		if t := r.Target.object(); len(t) > 0 {
			leaf["target"] = t
		}
	}
	b := make([]byte, 0, 512)
	b = append(b, LeafVersion+"\n"...)
	return AppendCanonical(b, leaf)
}

// LeafHash returns the RFC 6962 leaf hash of r: SHA-256(0x00 ‖ LeafData(r)).
func LeafHash(r *Record) ([32]byte, error) {
	data, err := LeafData(r)
	if err != nil {
		return [32]byte{}, err
	}
	return tlog.RecordHash(data), nil
}

// formatTime is the one textual form of a time in a leaf: RFC 3339 in UTC
// with as many fractional digits as needed (none when whole seconds).
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

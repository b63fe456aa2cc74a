package verify

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
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
	Type  string `json:"type,omitempty"` // absent in an entry: user
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
	c := commit(make([]byte, 0, 128), salt, label, value)
	return c[:]
}

// commit is Commit hashing in buf, to spare the hot path an allocation.
func commit(buf, salt []byte, label string, value []byte) [sha256.Size]byte {
	buf = append(buf, salt...)
	buf = append(buf, label...)
	buf = append(buf, 0)
	buf = append(buf, value...)
	return sha256.Sum256(buf)
}

// A commitment is the commitment to one personal field, by its label.
type commitment struct {
	label string
	sum   [sha256.Size]byte
	ok    bool // false for an erased record without one stored
}

// commitments appends to cs the commitments to r's personal fields in
// label order, and to details r's details members without its personal
// ones. Each value is hashed as soon as it is known, in room on the stack:
// the callers pass room for a typical record too, so that encoding a leaf
// allocates nothing.
func (r *Record) commitments(cs []commitment, details []member) ([]commitment, []member, error) {
	var value, buf [256]byte
	add := func(label string, v []byte) {
		c := commitment{label: label}
		if r.Salt != nil {
			c.sum, c.ok = commit(buf[:0], r.Salt, label, v), true
		} else if stored := r.Commitments[label]; len(stored) == sha256.Size {
			c.sum, c.ok = [sha256.Size]byte(stored), true
		}
		cs = append(cs, c)
	}
	actor, err := appendObject(value[:0], "email", r.Actor.Email, "id", r.Actor.ID, "name", r.Actor.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("actor: %w", err)
	}
	add("actor", actor)
	// Once erased (no salt), the personal plaintext may be gone: the kept
	// commitments then say which personal fields the record had.
	erased := r.Salt == nil
	committed := func(label string) bool {
		_, ok := r.Commitments[label]
		return erased && ok
	}
	if r.IP != "" {
		if a, err := netip.ParseAddr(r.IP); err != nil || string(a.AppendTo(value[:0])) != r.IP {
			return nil, nil, fmt.Errorf("verify: ip_address %q is not an address as netip.Addr.String writes it", r.IP)
		}
	}
	if r.IP != "" || committed("ip_address") {
		add("ip_address", append(value[:0], r.IP...))
	}
	if !utf8.ValidString(r.UserAgent) {
		return nil, nil, fmt.Errorf("user_agent: %w", errInvalidUTF8)
	}
	if r.UserAgent != "" || committed("user_agent") {
		add("user_agent", append(value[:0], r.UserAgent...))
	}
	if len(r.Details) > 0 {
		all, err := canonicalMembers(details, r.Details)
		if err != nil {
			// Not already canonical (Stele stores it canonical; an export
			// read back by other tools may not be): canonicalize first.
			c, cerr := Canonicalize(r.Details)
			if cerr != nil {
				return nil, nil, fmt.Errorf("details: %w", cerr)
			}
			if all, err = canonicalMembers(details, c); err != nil {
				return nil, nil, err
			}
		}
		details = all
	}
	for i, p := range r.Personal {
		if slices.Contains(r.Personal[:i], p) {
			return nil, nil, fmt.Errorf("verify: personal field %q listed twice", p)
		}
		switch {
		case p == "target":
			t, err := appendObject(value[:0], "id", r.Target.ID, "name", r.Target.Name, "type", r.Target.Type)
			if err != nil {
				return nil, nil, fmt.Errorf("target: %w", err)
			}
			add(p, t)
		case strings.HasPrefix(p, "details."):
			k := strings.TrimPrefix(p, "details.")
			j := slices.IndexFunc(details, func(m member) bool { return string(m.name) == k })
			if j < 0 && !erased {
				return nil, nil, fmt.Errorf("verify: personal field %q is not in details", p)
			}
			var v []byte
			if j >= 0 {
				v = details[j].value
				details = slices.Delete(details, j, j+1)
			}
			add(p, v)
		default:
			return nil, nil, fmt.Errorf("verify: unknown personal field %q", p)
		}
	}
	slices.SortFunc(cs, func(a, b commitment) int { return compareUTF16(a.label, b.label) })
	return cs, details, nil
}

// appendObject appends the canonical JSON object of name, value pairs,
// given in name order, leaving out empty values.
func appendObject(b []byte, kv ...string) ([]byte, error) {
	b = append(b, '{')
	first := true
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		var err error
		b = append(append(b, '"'), kv[i]...)
		if b, err = appendString(append(b, '"', ':'), kv[i+1]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// LeafData returns r's leaf: the line "stele-leaf/v1", a newline, and the
// RFC 8785 canonical JSON of the committed object described in the package
// documentation. r.Details is canonicalized first unless it already is.
func LeafData(r *Record) ([]byte, error) {
	return appendLeaf(make([]byte, 0, 1024), r)
}

// LeafHash returns the RFC 6962 leaf hash of r: SHA-256(0x00 ‖ LeafData(r)),
// as tlog.RecordHash computes it (here without allocating).
func LeafHash(r *Record) ([32]byte, error) {
	var buf [1024]byte
	b, err := appendLeaf(append(buf[:0], 0x00), r)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// appendLeaf appends r's leaf (see LeafData) to b.
func appendLeaf(b []byte, r *Record) ([]byte, error) {
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
	if r.Salt != nil && len(r.Salt) != SaltSize {
		return nil, fmt.Errorf("verify: salt is %d bytes, want %d", len(r.Salt), SaltSize)
	}
	var (
		csBuf      [8]commitment
		membersBuf [16]member
	)
	personal, details, err := r.commitments(csBuf[:0], membersBuf[:0])
	if err != nil {
		return nil, err
	}

	// The members of the leaf object, in canonical (here: byte) order.
	b = append(b, LeafVersion+"\n"...)
	b = append(b, `{"actor_type":`...)
	if b, err = appendString(b, r.Actor.Type); err != nil {
		return nil, err
	}
	b = append(b, `,"category":`...)
	if b, err = appendString(b, r.Category); err != nil {
		return nil, err
	}
	b = append(b, `,"commitments":{`...)
	for i, c := range personal {
		if !c.ok {
			return nil, fmt.Errorf("verify: no salt and no commitment for %s", c.label)
		}
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendString(b, c.label); err != nil {
			return nil, err
		}
		b = append(b, ':', '"')
		b = base64.StdEncoding.AppendEncode(b, c.sum[:])
		b = append(b, '"')
	}
	b = append(b, `},"details":{`...)
	for i, m := range details {
		if i > 0 {
			b = append(b, ',')
		}
		b, _ = appendString(b, string(m.name)) // valid: canonicalMembers checked it
		b = append(append(b, ':'), m.value...)
	}
	b = append(b, `},"event":`...)
	if b, err = appendString(b, r.Event); err != nil {
		return nil, err
	}
	b = append(b, `,"id":`...)
	if b, err = appendString(b, r.ID); err != nil {
		return nil, err
	}
	b = append(b, `,"org":`...)
	if b, err = appendString(b, r.Org); err != nil {
		return nil, err
	}
	b = append(b, `,"received_at":"`...)
	b = append(r.ReceivedAt.UTC().AppendFormat(b, time.RFC3339Nano), '"')
	if r.Target != (Target{}) && !slices.Contains(r.Personal, "target") {
		b = append(b, `,"target":`...)
		if b, err = appendObject(b, "id", r.Target.ID, "name", r.Target.Name, "type", r.Target.Type); err != nil {
			return nil, fmt.Errorf("target: %w", err)
		}
	}
	b = append(b, `,"timestamp":"`...)
	b = append(r.Timestamp.UTC().AppendFormat(b, time.RFC3339Nano), '"', '}')
	return b, nil
}

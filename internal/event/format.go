package event

import (
	"time"

	"github.com/steleaudit/stele/verify"
)

// FormatEvent returns r in the entry format, as RFC 8785 canonical JSON,
// with actor and target as objects and the timestamp in UTC. For a record
// made by ParseEvent, ParseEvent(FormatEvent(r)) gives back r, and
// formatting that gives back the same bytes. r.Details must be a JSON
// object or empty; Stele's own fields (org, seq, received_at, category)
// are not part of the entry format and are left out.
func FormatEvent(r *verify.Record) ([]byte, error) {
	e := map[string]any{
		"actor":     nonEmptyMembers("type", r.Actor.Type, "id", r.Actor.ID, "email", r.Actor.Email, "name", r.Actor.Name),
		"event":     r.Event,
		"timestamp": r.Timestamp.UTC().Format(time.RFC3339Nano),
	}
	if len(r.Details) > 0 {
		v, err := DecodeJSON(r.Details)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(map[string]any); !ok {
			return nil, &Error{Code: CodeInvalidField, Field: "details", Reason: "not an object"}
		}
		e["details"] = v
	}
	if t := nonEmptyMembers("type", r.Target.Type, "id", r.Target.ID, "name", r.Target.Name); len(t) > 0 {
		e["target"] = t
	}
	for k, v := range map[string]string{"id": r.ID, "ip_address": r.IP, "user_agent": r.UserAgent} {
		if v != "" {
			e[k] = v
		}
	}
	return verify.AppendCanonical(nil, e)
}

func nonEmptyMembers(kv ...string) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

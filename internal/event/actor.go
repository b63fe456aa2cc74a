package event

import (
	"strings"

	"github.com/steleaudit/stele/verify"
)

// Actor types.
const (
	ActorUser   = "user"
	ActorAPIKey = "api_key"
	ActorSystem = "system"
)

// parseActor reads the actor: a string, an object or null (absent). A
// string with an '@' is a user's email, any other a user's id.
func parseActor(d *decoder) (verify.Actor, error) {
	switch {
	case d.peekIs('"'):
		s, _, err := nonEmpty(d)
		if err != nil {
			return verify.Actor{}, err
		}
		if strings.Contains(s, "@") {
			return verify.Actor{Type: ActorUser, Email: s}, nil
		}
		return verify.Actor{Type: ActorUser, ID: s}, nil
	case d.peekIs('n'):
		return verify.Actor{}, d.literal("null")
	case !d.peekIs('{'):
		return verify.Actor{}, notA(d, "a string or an object")
	}
	var a verify.Actor
	var seen [4]bool
	err := d.members(func(key string, at int) error {
		var dst *string
		var i int
		switch key {
		case "type":
			dst, i = &a.Type, 0
		case "id":
			dst, i = &a.ID, 1
		case "email":
			dst, i = &a.Email, 2
		case "name":
			dst, i = &a.Name, 3
		default:
			return fieldError(CodeUnknownField, "unknown field; an actor has type, id, email and name")
		}
		if seen[i] {
			return d.errAt(CodeDuplicateKey, at, "duplicate key")
		}
		seen[i] = true
		s, ok, err := stringOrNull(d, true)
		switch {
		case err != nil || !ok:
			return err
		case i > 0:
			*dst = s
		default:
			if *dst = actorType(s); *dst == "" {
				return fieldError(CodeInvalidField, "an actor type is user, api_key or system, not "+quote(s))
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return verify.Actor{}, err
	case a.ID == "" && a.Email == "":
		return verify.Actor{}, fieldError(CodeMissingField, "an actor needs an id or an email")
	case a.Type == "":
		a.Type = ActorUser
	}
	return a, nil
}

// actorType returns the constant equal to s, or "": a record holds the
// constant, not a piece of the input (see own).
func actorType(s string) string {
	for _, t := range [...]string{ActorUser, ActorAPIKey, ActorSystem} {
		if s == t {
			return t
		}
	}
	return ""
}

// parseTarget reads the target: a string (its id), an object or null
// (absent). A target needs an id or a name: a type alone says nothing
// that the event type does not.
func parseTarget(d *decoder) (verify.Target, error) {
	switch {
	case d.peekIs('"'):
		s, _, err := nonEmpty(d)
		return verify.Target{ID: s}, err
	case d.peekIs('n'):
		return verify.Target{}, d.literal("null")
	case !d.peekIs('{'):
		return verify.Target{}, notA(d, "a string or an object")
	}
	var t verify.Target
	var seen [3]bool
	err := d.members(func(key string, at int) error {
		var dst *string
		var i int
		switch key {
		case "type":
			dst, i = &t.Type, 0
		case "id":
			dst, i = &t.ID, 1
		case "name":
			dst, i = &t.Name, 2
		default:
			return fieldError(CodeUnknownField, "unknown field; a target has type, id and name")
		}
		if seen[i] {
			return d.errAt(CodeDuplicateKey, at, "duplicate key")
		}
		seen[i] = true
		var err error
		*dst, _, err = stringOrNull(d, true)
		return err
	})
	switch {
	case err != nil:
		return verify.Target{}, err
	case t.ID == "" && t.Name == "":
		return verify.Target{}, fieldError(CodeMissingField, "a target needs an id or a name")
	}
	return t, nil
}

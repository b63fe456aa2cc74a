package web

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// categories names each category of the catalog as the page shows it,
// in the order of the category filter.
var categories = []struct{ ID, Name string }{
	{"auth", "Authentication"},
	{"member", "Members"},
	{"team", "Teams"},
	{"project", "Projects"},
	{"contract", "Contracts"},
	{"finding", "Findings"},
	{"settings", "Settings"},
	{"audit", "Stele"},
}

// categoryName is the name of category id, or id itself.
func categoryName(id string) string {
	for _, c := range categories {
		if c.ID == id {
			return c.Name
		}
	}
	return id
}

// visible makes text from an event safe to read: control characters and
// the invisible marks that reorder or hide text (bidirectional overrides,
// zero-width characters) are shown as ⟨U+XXXX⟩, so that a hostile event
// can neither hide what it says nor disguise it as something else. HTML
// escaping is the template's job.
func visible(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	clean := true
	for _, r := range s {
		if hidden(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) {
			fmt.Fprintf(&b, "⟨U+%04X⟩", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hidden reports whether r would not show as itself.
func hidden(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidirectional marks and overrides
	case r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff, r == 0x00ad:
		return true // zero-width and soft hyphen
	}
	return unicode.Is(unicode.Cf, r) && r > 0xffff // tags and other invisible formats
}

// initials are up to two letters for an avatar: of the name's words, or
// of the email.
func initials(name, email string) string {
	src := strings.Fields(name)
	if len(src) == 0 && email != "" {
		src = []string{email}
	}
	var out []rune
	for _, w := range src {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// A helpLine is one row of the search syntax help.
type helpLine struct{ Syntax, Meaning string }

// searchHelp lists every qualifier of the search language, with an
// example each.
var searchHelp = []helpLine{
	{"actor:bob@example.com", "Actor is bob@example.com (also *@example.com)"},
	{"actor_type:system", "Actor is the system (user, api_key, system)"},
	{"event:finding.assigned", "Event type; event:*.deleted for every deletion"},
	{"category:auth", "Category: auth, member, team, project, contract, finding, settings"},
	{"target:project-123", "Target id or name"},
	{"ip:10.0.0.0/8", "IP address, or any in a CIDR range"},
	{"user_agent:*curl*", "User agent"},
	{"details.new_status:fixed", "A member of the event's details"},
	{"timestamp:>-24h", "Time: >=2026-01-01, <2026-02-01, 2026-01-01..2026-01-31, >-7d"},
	{"-actor_type:system", "Exclude: not by the system"},
	{"event:auth.failed,auth.login", "Either value"},
	{`"quarterly report"`, "Words anywhere in actor, target and details"},
}

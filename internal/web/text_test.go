package web

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestVisible(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"<script>", "<script>"}, // escaping is the template's job
		{"a\x07b", "a⟨U+0007⟩b"},
		{"\x1b[31mred", "⟨U+001B⟩[31mred"},
		{"\u202egnp.exe", "⟨U+202E⟩gnp.exe"},
		{"\u2066x\u2069", "⟨U+2066⟩x⟨U+2069⟩"},
		{"zero\u200bwidth", "zero⟨U+200B⟩width"},
		{"soft\u00adhyphen", "soft⟨U+00AD⟩hyphen"},
		{"\xff\xfe", "\uFFFD"}, // a run of bad bytes is one mark
		{"tab\there", "tab⟨U+0009⟩here"},
		{"日本語 ok", "日本語 ok"},
		{"tag\U000E0041", "tag⟨U+E0041⟩"},
	} {
		if got := visible(tt.in); got != tt.want {
			t.Errorf("visible(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzVisible: whatever an event holds, what the page shows is valid
// UTF-8 with nothing hidden, and plain text passes unchanged.
func FuzzVisible(f *testing.F) {
	for _, s := range []string{"", "a", "\u202e", "\x00", "\xff", "<b>", "\U000E0041"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := visible(s)
		if !utf8.ValidString(got) {
			t.Fatalf("visible(%q) = %q: invalid UTF-8", s, got)
		}
		for _, r := range got {
			if hidden(r) {
				t.Fatalf("visible(%q) = %q keeps %U", s, got, r)
			}
		}
		clean := utf8.ValidString(s)
		for _, r := range s {
			clean = clean && !hidden(r)
		}
		if clean && got != s {
			t.Fatalf("visible(%q) = %q, want it unchanged", s, got)
		}
	})
}

func TestInitials(t *testing.T) {
	for _, tt := range []struct{ name, email, want string }{
		{"Olive Owner", "", "OO"},
		{"bob", "bob@example.com", "B"},
		{"", "carol@example.com", "C"},
		{"  ", "", "?"},
		{"<script>x", "", "S"},
		{"émile zola", "", "ÉZ"},
		{"Ann Bea Cat", "", "AB"},
	} {
		if got := initials(tt.name, tt.email); got != tt.want {
			t.Errorf("initials(%q, %q) = %q, want %q", tt.name, tt.email, got, tt.want)
		}
	}
}

func TestChanges(t *testing.T) {
	d := map[string]any{
		"old_status": "open", "new_status": "fixed",
		"new_role":          "admin", // no old: a change from nothing given
		"assignee":          "bob",
		"previous_assignee": "alice",
		"severity":          "high",
		"old_seats":         float64(5), "new_seats": float64(7),
	}
	got := changes(d)
	var b strings.Builder
	for _, c := range got {
		b.WriteString(c.Field + ":" + c.Old + ">" + c.New)
		if !c.HasOld {
			b.WriteString("(no old)")
		}
		b.WriteString(" ")
	}
	if want := "assignee:alice>bob role:>admin(no old) seats:5>7 status:open>fixed "; b.String() != want {
		t.Errorf("changes = %q, want %q", b.String(), want)
	}
}

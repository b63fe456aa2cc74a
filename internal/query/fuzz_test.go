package query

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"actor:bob@example.com event:finding.assigned",
		"event:auth.failed",
		"target:project-123",
		"event:*.deleted",
		"-event:auth.*",
		"actor:*@example.com",
		"details.new_status:fixed",
		"ip:192.168.0.0/16",
		"timestamp:>-24h",
	} {
		f.Add(s)
	}
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	for _, tt := range errorTests {
		f.Add(tt.in)
	}
	for _, tt := range timestampTests {
		f.Add("timestamp:" + tt.in)
	}
	for _, tt := range timestampErrors {
		f.Add(tt.in)
	}
	for _, tt := range matchTests {
		f.Add(tt.q)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s, now)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T, want *Error", s, err)
			}
			if n := utf8.RuneCountInString(s); e.Pos < 1 || e.Pos > n+1 {
				t.Fatalf("Parse(%q) error at position %d, outside 1..%d", s, e.Pos, n+1)
			}
			if q != nil {
				t.Fatalf("Parse(%q) = %v, %v; want no Query with an error", s, q, err)
			}
			return
		}
		checkQuery(t, s, q)
		checkRoundTrip(t, q, time.Unix(1e9, 0))
		for _, r := range records {
			q.Match(r)
		}
	})
}

// checkQuery checks the invariants of a parsed query.
func checkQuery(t *testing.T, s string, q *Query) {
	t.Helper()
	if len(q.Terms) > MaxTerms {
		t.Fatalf("Parse(%q) has %d terms", s, len(q.Terms))
	}
	last := 0
	for _, term := range q.Terms {
		if term.Pos <= last {
			t.Fatalf("Parse(%q): term %q at position %d after one at %d", s, term, term.Pos, last)
		}
		last = term.Pos
		switch term.Field {
		case FieldIP:
			if len(term.Prefixes) == 0 || len(term.Values) > 0 {
				t.Fatalf("Parse(%q): ip term %#v", s, term)
			}
			for _, p := range term.Prefixes {
				if !p.IsValid() || p != p.Masked() {
					t.Fatalf("Parse(%q): prefix %v not valid and masked", s, p)
				}
			}
		case FieldTimestamp:
			if term.Values != nil || term.Since.IsZero() && term.Until.IsZero() ||
				!term.Since.IsZero() && !term.Until.IsZero() && !term.Since.Before(term.Until) {
				t.Fatalf("Parse(%q): timestamp term %#v", s, term)
			}
		default:
			if len(term.Values) == 0 || len(term.Values) > MaxValues || term.Prefixes != nil {
				t.Fatalf("Parse(%q): term %#v", s, term)
			}
			for _, v := range term.Values {
				checkValue(t, s, term.Field, v)
			}
		}
		if (term.Field == FieldDetails) != (len(term.Path) > 0) {
			t.Fatalf("Parse(%q): term %#v has path %q", s, term, term.Path)
		}
	}
}

func checkValue(t *testing.T, s string, f Field, v Value) {
	t.Helper()
	n := len(v.Parts)
	if n == 0 || n == 1 && v.Parts[0] == "" {
		t.Fatalf("Parse(%q): empty value %#v", s, v)
	}
	for i, p := range v.Parts {
		if p == "" && i > 0 && i < n-1 {
			t.Fatalf("Parse(%q): value %#v has an empty part inside", s, v)
		}
		if f.Folded() && strings.ToLower(p) != p {
			t.Fatalf("Parse(%q): %v value %#v is not lowercase", s, f, v)
		}
	}
}

package event

import (
	"strings"
	"testing"
)

func TestValidOrg(t *testing.T) {
	for _, tt := range []struct {
		id string
		ok bool
	}{
		{"acme", true},
		{"a", true},
		{"0", true},
		{"acme-corp_2.eu", true},
		{"a--b", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"Acme", false},
		{"acme corp", false},
		{"acme+corp", false},
		{"acme/corp", false},
		{"-acme", false},
		{"acme-", false},
		{".acme", false},
		{"acme.", false},
		{"_", false},
		{"acmé", false},
		{"acme\n", false},
	} {
		err := ValidOrg(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ValidOrg(%q) = %v, want ok %v", tt.id, err, tt.ok)
		}
		if e, isErr := err.(*Error); err != nil && (!isErr || e.Code != CodeInvalidField || e.Field != "org") {
			t.Errorf("ValidOrg(%q) = %#v, want an *Error for field org", tt.id, err)
		}
	}
}

package password

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		pw   string
		want error
	}{
		{"correct horse battery staple", nil},
		{"123456789012", nil},
		{"  spaced out  ", nil},
		{strings.Repeat("é", 12), nil}, // 12 characters in 24 bytes
		{strings.Repeat("🔑", 12), nil},
		{strings.Repeat("a", MaxBytes), nil},
		{strings.Repeat("é", MaxBytes/2), nil},
		{"", ErrTooShort},
		{"12345678901", ErrTooShort},
		{strings.Repeat("é", 11), ErrTooShort}, // 22 bytes, but 11 characters
		{strings.Repeat("🔑", 11), ErrTooShort},
		{"e\u0301e\u0301e\u0301e\u0301e\u0301", ErrTooShort}, // 10 code points
		{strings.Repeat("a", MaxBytes+1), ErrTooLong},
		{strings.Repeat("é", MaxBytes/2+1), ErrTooLong},
		{strings.Repeat("\xff", 12), ErrNotUTF8},
		{"correct horse\xc3", ErrNotUTF8},
		{"\xed\xa0\x80 surrogate half", ErrNotUTF8},
		{strings.Repeat(" ", 12), ErrBlank},
		{" \t\n\r\v\f\u00a0\u2003\u3000   ", ErrBlank},
	} {
		if got := Check(tt.pw); got != tt.want {
			t.Errorf("Check(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

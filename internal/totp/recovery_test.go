package totp

import (
	"bytes"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

func TestNewRecoveryCodes(t *testing.T) {
	codes, err := NewRecoveryCodes(100)
	if err != nil || len(codes) != 100 {
		t.Fatalf("NewRecoveryCodes(100) = %d codes, %v, want 100", len(codes), err)
	}
	form := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$`)
	seen := map[string]bool{}
	for _, c := range codes {
		if !form.MatchString(c) {
			t.Errorf("recovery code %q is not xxxx-xxxx-xxxx in Crockford's base32", c)
		}
		if seen[c] {
			t.Errorf("recovery code %q twice", c)
		}
		seen[c] = true
	}
	// 1200 symbols: each of the 32 turns up unless the choice is biased
	// (the chance one is missing by luck is below 1e-18).
	all := strings.Join(codes, "")
	for _, r := range recoveryAlphabet {
		if !strings.ContainsRune(all, r) {
			t.Errorf("%q never appears in 100 recovery codes", r)
		}
	}
	for _, n := range []int{0, -1, 101} {
		if codes, err := NewRecoveryCodes(n); err == nil {
			t.Errorf("NewRecoveryCodes(%d) = %q, nil, want an error", n, codes)
		}
	}
}

func TestHashRecoveryCode(t *testing.T) {
	// The stored form, pinned: SHA-256 of the 12 characters, lower case,
	// without dashes.
	const code = "abcd-efgh-jkmn"
	want, _ := hex.DecodeString("ff25e0a8f930ea31f7d2fdefc87340e34d7f6849d0781d0cd87701a5301722c0")
	if got := HashRecoveryCode(code); !bytes.Equal(got, want) {
		t.Fatalf("HashRecoveryCode(%q) = %x, want %x", code, got, want)
	}
	for _, tt := range []struct {
		typed string
		same  bool
	}{
		{"abcdefghjkmn", true},
		{"ABCD-EFGH-JKMN", true},
		{" abcd efgh jkmn\n", true},
		{"ab-cd-ef-gh-jk-mn", true},
		{"abcd-efgh-jkm", false},
		{"abcd-efgh-jkmnp", false},
		{"abcd-efgh-jkmm", false},
		{"abcd_efgh_jkmn", false},
	} {
		if got := HashRecoveryCode(tt.typed); bytes.Equal(got, want) != tt.same {
			t.Errorf("HashRecoveryCode(%q) == HashRecoveryCode(%q) is %v, want %v", tt.typed, code, !tt.same, tt.same)
		}
	}
	// Crockford's misreadings: i and l for 1, o for 0.
	if a, b := HashRecoveryCode("1000-0111-2222"), HashRecoveryCode("lOoo-0IiL-2222"); !bytes.Equal(a, b) {
		t.Errorf("HashRecoveryCode does not read i, l, o as 1, 1, 0")
	}
}

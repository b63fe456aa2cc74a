package totp

import (
	"bytes"
	"encoding/base32"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rfcSecret is the SHA-1 key of RFC 4226 and RFC 6238's test vectors.
var rfcSecret = []byte("12345678901234567890")

func TestRFC6238(t *testing.T) {
	// RFC 6238 Appendix B, the SHA1 rows. Authenticator apps show the
	// last 6 of the 8 digits: the same number mod 10^6.
	for _, tt := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		tm := time.Unix(tt.unix, 0)
		if got := hotp(rfcSecret, uint64(stepAt(tm)), 8); got != tt.want {
			t.Errorf("hotp(%d, 8 digits) = %s, want %s", tt.unix, got, tt.want)
		}
		if got := Code(rfcSecret, tm); got != tt.want[2:] {
			t.Errorf("Code(%d) = %s, want %s", tt.unix, got, tt.want[2:])
		}
		if s, ok := Verify(rfcSecret, tt.want[2:], tm, 0); !ok || s != stepAt(tm) {
			t.Errorf("Verify(%s, %d, 0) = %d, %v, want %d, true", tt.want[2:], tt.unix, s, ok, stepAt(tm))
		}
	}
}

func TestRFC4226(t *testing.T) {
	// RFC 4226 Appendix D: HOTP for counters 0 to 9.
	for i, want := range []string{"755224", "287082", "359152", "969429", "338314",
		"254676", "287922", "162583", "399871", "520489"} {
		if got := hotp(rfcSecret, uint64(i), 6); got != want {
			t.Errorf("hotp(%d) = %s, want %s", i, got, want)
		}
	}
}

func TestVerifySkew(t *testing.T) {
	tm := time.Unix(1700000025, 0) // 15 s into a step
	now := stepAt(tm)
	for d := int64(-3); d <= 3; d++ {
		code := hotp(rfcSecret, uint64(now+d), digits)
		s, ok := Verify(rfcSecret, code, tm, 0)
		want := d >= -1 && d <= 1
		if ok != want || ok && s != now+d {
			t.Errorf("Verify(code of step now%+d) = now%+d, %v, want ok %v", d, s-now, ok, want)
		}
	}
	// An app 40 s behind or ahead is still accepted; 70 s is not.
	for _, tt := range []struct {
		skew time.Duration
		want bool
	}{
		{0, true}, {-40 * time.Second, true}, {40 * time.Second, true},
		{-70 * time.Second, false}, {70 * time.Second, false},
	} {
		if _, ok := Verify(rfcSecret, Code(rfcSecret, tm.Add(tt.skew)), tm, 0); ok != tt.want {
			t.Errorf("Verify(code of an app %v off) = %v, want %v", tt.skew, ok, tt.want)
		}
	}
}

func TestReplay(t *testing.T) {
	tm := time.Unix(1700000025, 0)
	code := Code(rfcSecret, tm)
	last, ok := Verify(rfcSecret, code, tm, 0)
	if !ok || last != stepAt(tm) {
		t.Fatalf("Verify(%s) = %d, %v, want %d, true", code, last, ok, stepAt(tm))
	}
	for _, tt := range []struct {
		name string
		code string
		at   time.Time
		want bool
	}{
		{"same code at once", code, tm, false},
		{"same code a step later", code, tm.Add(period * time.Second), false},
		{"previous step's code", hotp(rfcSecret, uint64(last-1), digits), tm, false},
		{"next step's code", hotp(rfcSecret, uint64(last+1), digits), tm, true},
		{"next step's code, on time", Code(rfcSecret, tm.Add(period*time.Second)), tm.Add(period * time.Second), true},
	} {
		if s, ok := Verify(rfcSecret, tt.code, tt.at, last); ok != tt.want || ok && s <= last {
			t.Errorf("%s: Verify(%s, lastStep %d) = %d, %v, want ok %v", tt.name, tt.code, last, s, ok, tt.want)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	tm := time.Unix(1111111109, 0)
	c := Code(rfcSecret, tm) // "081804"
	for _, tt := range []struct {
		code string
		want bool
	}{
		{c, true},
		{" " + c + " ", true},
		{c[:3] + " " + c[3:], true},
		{"\t" + c + "\r\n", true},
		{"", false},
		{"      ", false},
		{c[:5], false},
		{c + "0", false},
		{"0" + c, false},
		{c[:5] + "x", false},
		{c[:3] + "-" + c[3:], false},
		{"+" + c[1:], false},
		{"-" + c[1:], false},
		{c + "\x00", false},
		{c[:3] + "\u00a0" + c[3:], false}, // no-break space
		{"\uff10\uff18\uff11\uff18\uff10\uff14", false}, // full-width 081804
		{"\u0660\u0668\u0661\u0668\u0660\u0664", false}, // Arabic-Indic 081804
		{strings.Repeat(" ", maxCode) + c, false},
		{"0x" + c, false},
		{"81804", false},
	} {
		if _, ok := Verify(rfcSecret, tt.code, tm, 0); ok != tt.want {
			t.Errorf("Verify(%q) = %v, want %v", tt.code, ok, tt.want)
		}
	}
}

func TestURL(t *testing.T) {
	secret := []byte("12345678901234567890")
	const b32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if got, want := URL(secret, "Stele", "jane@example.com"),
		"otpauth://totp/Stele:jane%40example.com?secret="+b32+"&issuer=Stele&algorithm=SHA1&digits=6&period=30"; got != want {
		t.Errorf("URL() = %s\nwant %s", got, want)
	}
	if got, want := URL(secret, "", "jane"),
		"otpauth://totp/jane?secret="+b32+"&algorithm=SHA1&digits=6&period=30"; got != want {
		t.Errorf("URL() without issuer = %s\nwant %s", got, want)
	}

	for _, tt := range []struct{ issuer, account string }{
		{"Stele", "jane@example.com"},
		{"Acme Co: Audit & Logs", "jane+tag@example.com"},
		{"Ünïcode ✓", "a/b?c=d#e%20f"},
	} {
		s := URL(secret, tt.issuer, tt.account)
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("url.Parse(%s) error = %v", s, err)
		}
		if u.Scheme != "otpauth" || u.Host != "totp" {
			t.Errorf("URL(%q, %q) = %s: scheme and host %q, %q, want otpauth, totp", tt.issuer, tt.account, s, u.Scheme, u.Host)
		}
		// The one unescaped colon separates issuer and account.
		issuer, account, _ := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), ":")
		issuer, _ = url.PathUnescape(issuer)
		account, _ = url.PathUnescape(account)
		if issuer != tt.issuer || account != tt.account {
			t.Errorf("URL(%q, %q) = %s: label says %q, %q", tt.issuer, tt.account, s, issuer, account)
		}
		if strings.Contains(s, "+") || strings.Contains(s, " ") {
			t.Errorf("URL(%q, %q) = %s: has a space or a plus", tt.issuer, tt.account, s)
		}
		q := u.Query()
		got, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(q.Get("secret"))
		if err != nil || !bytes.Equal(got, secret) {
			t.Errorf("URL(%q, %q) = %s: secret %q, %v", tt.issuer, tt.account, s, got, err)
		}
		want := url.Values{"secret": {b32}, "issuer": {tt.issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
		for k := range want {
			if q.Get(k) != want.Get(k) || len(q[k]) != 1 {
				t.Errorf("URL(%q, %q) = %s: %s = %q, want %q", tt.issuer, tt.account, s, k, q[k], want.Get(k))
			}
		}
		if len(q) != len(want) {
			t.Errorf("URL(%q, %q) = %s: %d parameters, want %d", tt.issuer, tt.account, s, len(q), len(want))
		}
	}
}

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil || len(a) != 20 {
		t.Fatalf("NewSecret() = %x, %v, want 20 bytes", a, err)
	}
	if b, _ := NewSecret(); bytes.Equal(a, b) {
		t.Errorf("NewSecret() twice = %x both times", a)
	}
}

func FuzzVerify(f *testing.F) {
	tm := time.Unix(1111111109, 0)
	for _, s := range []string{"081804", " 081 804 ", "08180", "0818045", "08180x", "０８１８０４", "", "\t081804\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		digitsOnly := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, code)
		wellFormed := len(code) <= maxCode && len(digitsOnly) == digits &&
			strings.Trim(digitsOnly, "0123456789") == ""
		c, ok := parseCode(code)
		if ok != wellFormed || ok && string(c) != digitsOnly {
			t.Fatalf("parseCode(%q) = %q, %v, want %q, %v", code, c, ok, digitsOnly, wellFormed)
		}
		s, ok := Verify(rfcSecret, code, tm, 0)
		if ok && (!wellFormed || s < stepAt(tm)-1 || s > stepAt(tm)+1 || hotp(rfcSecret, uint64(s), digits) != digitsOnly) {
			t.Fatalf("Verify(%q) = %d, true, for step %d", code, s, stepAt(tm))
		}
	})
}

package password

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestHashVerify(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := Hash(pw)
	if err != nil {
		t.Fatalf("Hash(%q) error = %v", pw, err)
	}
	if want := "$argon2id$v=19$m=47104,t=1,p=1$"; !strings.HasPrefix(h, want) {
		t.Errorf("Hash(%q) = %q, want prefix %q", pw, h, want)
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{
		{pw, true},
		{"correct horse battery stapl", false},
		{"Correct horse battery staple", false},
		{pw + " ", false},
		{"", false},
		{strings.Repeat("a", MaxBytes+1), false},
	} {
		if ok, err := Verify(h, tt.pw); ok != tt.want || err != nil {
			t.Errorf("Verify(h, %q) = %v, %v, want %v, nil", tt.pw, ok, err, tt.want)
		}
	}
	if NeedsRehash(h) {
		t.Errorf("NeedsRehash(%q) = true, want false", h)
	}
	if h2, _ := Hash(pw); h2 == h {
		t.Errorf("Hash(%q) twice = %q both times, want fresh salts", pw, h)
	}
	if h, err := Hash(strings.Repeat("a", MaxBytes+1)); !errors.Is(err, ErrTooLong) {
		t.Errorf("Hash(%d bytes) = %q, %v, want ErrTooLong", MaxBytes+1, h, err)
	}
	if _, err := Hash(strings.Repeat("a", MaxBytes)); err != nil {
		t.Errorf("Hash(%d bytes) error = %v", MaxBytes, err)
	}
}

// TestKnownAnswers checks Verify against strings from the reference
// implementation, and that they come back unchanged through parse.
func TestKnownAnswers(t *testing.T) {
	f, err := os.Open("testdata/argon2id.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		encoded, quoted, _ := strings.Cut(line, " ")
		pw, err := strconv.Unquote(quoted)
		if err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		if ok, err := Verify(encoded, pw); !ok || err != nil {
			t.Errorf("Verify(%q, %q) = %v, %v, want true, nil", encoded, pw, ok, err)
		}
		if ok, err := Verify(encoded, pw+"!"); ok || err != nil {
			t.Errorf("Verify(%q, %q) = %v, %v, want false, nil", encoded, pw+"!", ok, err)
		}
		n++
	}
	if n < 4 {
		t.Fatalf("read %d known answers, want at least 4", n)
	}
}

// fixture returns a valid hash of "password" with the current
// parameters and a fixed salt, and its salt and hash in base64.
func fixture() (encoded, salt, key string) {
	s := []byte("0123456789abcdef")
	k := argon2.IDKey([]byte("password"), s, current.time, current.memory, current.threads, keyLen)
	return format(current, s, k), b64.EncodeToString(s), b64.EncodeToString(k)
}

func TestTampered(t *testing.T) {
	good, salt, key := fixture()
	if ok, err := Verify(good, "password"); !ok || err != nil {
		t.Fatalf("Verify(%q, password) = %v, %v, want true, nil", good, ok, err)
	}
	head := fmt.Sprintf("$argon2id$v=19$m=%d,t=1,p=1$", current.memory)
	flip := func(s string) string { // another canonical base64 string
		if s[0] == 'A' {
			return "B" + s[1:]
		}
		return "A" + s[1:]
	}
	for _, tt := range []struct {
		name, encoded string
		malformed     bool // else well-formed but not matching
	}{
		{"hash changed", head + salt + "$" + flip(key), false},
		{"salt changed", head + flip(salt) + "$" + key, false},
		{"more passes", strings.Replace(head, "t=1", "t=2", 1) + salt + "$" + key, false},
		{"more lanes", strings.Replace(head, "p=1", "p=2", 1) + salt + "$" + key, false},
		{"hash cut short", head + salt + "$" + key[:24], false},

		{"empty", "", true},
		{"argon2i", "$argon2i$v=19$m=65536,t=1,p=1$" + salt + "$" + key, true},
		{"argon2d", "$argon2d$v=19$m=65536,t=1,p=1$" + salt + "$" + key, true},
		{"upper case", "$ARGON2ID$v=19$m=65536,t=1,p=1$" + salt + "$" + key, true},
		{"version 16", "$argon2id$v=16$m=65536,t=1,p=1$" + salt + "$" + key, true},
		{"no version", "$argon2id$m=65536,t=1,p=1$" + salt + "$" + key, true},
		{"parameters reordered", "$argon2id$v=19$t=1,m=65536,p=1$" + salt + "$" + key, true},
		{"parameter missing", "$argon2id$v=19$m=65536,t=1$" + salt + "$" + key, true},
		{"keyid parameter", "$argon2id$v=19$m=65536,t=1,p=1,keyid=AA$" + salt + "$" + key, true},
		{"leading zero", "$argon2id$v=19$m=065536,t=1,p=1$" + salt + "$" + key, true},
		{"plus sign", "$argon2id$v=19$m=+65536,t=1,p=1$" + salt + "$" + key, true},
		{"space", "$argon2id$v=19$m=65536, t=1,p=1$" + salt + "$" + key, true},
		{"hex", "$argon2id$v=19$m=0x10000,t=1,p=1$" + salt + "$" + key, true},
		{"no salt", head + "$" + key, true},
		{"no hash", head + salt + "$", true},
		{"no hash field", head + salt, true},
		{"extra field", head + salt + "$" + key + "$" + key, true},
		{"trailing dollar", head + salt + "$" + key + "$", true},
		{"trailing newline", head + salt + "$" + key + "\n", true},
		{"line break in hash", head + salt + "$" + key[:10] + "\r\n" + key[10:], true},
		{"padded salt", head + salt + "==$" + key, true},
		{"padded hash", head + salt + "$" + key + "=", true},
		{"url-safe base64", head + salt + "$" + strings.NewReplacer("+", "-", "/", "_").Replace(key) + "-_", true},
		{"bad base64 character", head + salt + "$" + key[:5] + "*" + key[6:], true},
		{"non-canonical last character", head + salt[:len(salt)-1] + "h$" + key, true},
		{"salt too short", head + b64.EncodeToString([]byte("1234567")) + "$" + key, true},
		{"salt too long", head + b64.EncodeToString(make([]byte, maxSalt+1)) + "$" + key, true},
		{"hash too short", head + salt + "$" + b64.EncodeToString(make([]byte, minKey-1)), true},
		{"hash too long", head + salt + "$" + b64.EncodeToString(make([]byte, maxKey+1)), true},
		{"too long", head + salt + "$" + key + strings.Repeat("A", maxEncoded), true},
	} {
		ok, err := Verify(tt.encoded, "password")
		if tt.malformed && (ok || !errors.Is(err, ErrMalformed)) {
			t.Errorf("%s: Verify(%q) = %v, %v, want ErrMalformed", tt.name, tt.encoded, ok, err)
		}
		if !tt.malformed && (ok || err != nil) {
			t.Errorf("%s: Verify(%q) = %v, %v, want false, nil", tt.name, tt.encoded, ok, err)
		}
		if tt.malformed && !NeedsRehash(tt.encoded) {
			t.Errorf("%s: NeedsRehash(%q) = false, want true", tt.name, tt.encoded)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	good, salt, key := fixture()
	head := "$argon2id$v=19$m=47104,t=1,p=1$"
	for _, tt := range []struct {
		encoded string
		want    bool
	}{
		{good, false},
		{dummy, false},
		{head + "c29tZXNhbHRzb21lc2FsdA$7CtGrLb4rsaAS/jfiP7so2pEEt876o0syZwIqeiXenI", false},
		{"$argon2id$v=19$m=47104,t=2,p=1$" + salt + "$" + key, true},
		{"$argon2id$v=19$m=47104,t=1,p=2$" + salt + "$" + key, true},
		{"$argon2id$v=19$m=65536,t=1,p=1$" + salt + "$" + key, true},
		{head + salt[:12] + "$" + key, true},
		{head + salt + "$" + key + key, true},
		{head + salt + "$" + key + "=", true},
		{"", true},
	} {
		if got := NeedsRehash(tt.encoded); got != tt.want {
			t.Errorf("NeedsRehash(%q) = %v, want %v", tt.encoded, got, tt.want)
		}
	}
}

// TestBounds checks the limits on the work a stored string may ask for.
// It parses only: verifying at the limits would take seconds.
func TestBounds(t *testing.T) {
	_, salt, key := fixture()
	for _, tt := range []struct {
		m, t, p uint64
		ok      bool
	}{
		{65536, 1, 1, true},
		{maxMemory, maxTime, maxThreads, true},
		{8, 1, 1, true},
		{8 * maxThreads, 1, maxThreads, true},
		{maxMemory + 1, 1, 1, false},
		{1 << 32, 1, 1, false},
		{1<<32 + 65536, 1, 1, false},
		{65536, maxTime + 1, 1, false},
		{65536, 1, maxThreads + 1, false},
		{65536, 1, 256 + 1, false}, // would wrap around in a uint8
		{0, 1, 1, false},
		{65536, 0, 1, false},
		{65536, 1, 0, false},
		{7, 1, 1, false},
		{8*4 - 1, 1, 4, false},
		{1<<64 - 1, 1, 1, false},
	} {
		s := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", tt.m, tt.t, tt.p, salt, key)
		p, _, _, err := parse(s)
		if ok := err == nil; ok != tt.ok {
			t.Errorf("parse(%q) = %+v, %v, want ok %v", s, p, err, tt.ok)
		}
		if err == nil && (uint64(p.memory) != tt.m || uint64(p.time) != tt.t || uint64(p.threads) != tt.p) {
			t.Errorf("parse(%q) = %+v, want m=%d t=%d p=%d", s, p, tt.m, tt.t, tt.p)
		}
	}
}

func TestVerifyDummy(t *testing.T) {
	// Costing the same as a real login comes down to dummy having the
	// same parameters and lengths as what Hash writes.
	if NeedsRehash(dummy) {
		t.Fatalf("NeedsRehash(dummy %q) = true, want false", dummy)
	}
	if ok, err := Verify(dummy, ""); ok || err != nil {
		t.Errorf("Verify(dummy, \"\") = %v, %v, want false, nil", ok, err)
	}
	VerifyDummy("correct horse battery staple")
}

func FuzzParse(f *testing.F) {
	good, salt, key := fixture()
	f.Add(good)
	f.Add(dummy)
	f.Add("$argon2id$v=19$m=8,t=1,p=1$" + salt + "$" + key)
	f.Add("$argon2id$v=19$m=1024,t=1,p=1$TmFDbC1OYUNs$7rfpWCHg59tk1hshSjk/1BrQYa+DUGO4+Ux6f13GQDLPga5+bMQR0hTJbPjmxPvturug90DzXmu5CwYv3uP4ZA")
	f.Add("$argon2id$v=19$m=065536,t=1,p=1$" + salt + "==$" + key)
	f.Add("$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("parse(%q) error = %v, want ErrMalformed", s, err)
			}
			if !NeedsRehash(s) {
				t.Fatalf("NeedsRehash(%q) = false for a malformed hash", s)
			}
			return
		}
		// Only canonical strings are accepted.
		if f := format(p, salt, key); f != s {
			t.Fatalf("format(parse(%q)) = %q", s, f)
		}
		if p.memory > maxMemory || p.time > maxTime || p.threads > maxThreads || p.memory < 8*uint32(p.threads) ||
			p.time < 1 || len(salt) < minSalt || len(salt) > maxSalt || len(key) < minKey || len(key) > maxKey {
			t.Fatalf("parse(%q) = %+v, %d-byte salt, %d-byte hash: out of bounds", s, p, len(salt), len(key))
		}
		if p.memory*p.time <= 4096 { // cheap enough to run the whole of Verify
			if _, err := Verify(s, "password"); err != nil {
				t.Fatalf("Verify(%q) error = %v after parse accepted it", s, err)
			}
		}
	})
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h, _ := Hash("correct horse battery staple")
	for b.Loop() {
		if ok, err := Verify(h, "correct horse battery staple"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkVerifyDummy(b *testing.B) {
	for b.Loop() {
		VerifyDummy("correct horse battery staple")
	}
}

package verify_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/steleaudit/stele/verify"
	"golang.org/x/mod/sumdb/note"
)

const testOrigin = "stele.example/org/acme"

var testRoot = sha256.Sum256([]byte("root"))

func TestCheckpointFormat(t *testing.T) {
	c := verify.Checkpoint{Origin: testOrigin, Size: 42, Root: testRoot}
	want := testOrigin + "\n42\n" + base64.StdEncoding.EncodeToString(testRoot[:]) + "\n"
	if got := string(c.Format()); got != want {
		t.Errorf("Format() = %q, want %q", got, want)
	}
	for _, c := range []verify.Checkpoint{
		c,
		{Origin: "o", Size: 0},
		{Origin: "stele.example/org/ünïcode", Size: 1, Root: testRoot},
		{Origin: testOrigin, Size: math.MaxInt64, Root: [32]byte{0xff, 31: 0xff}},
	} {
		got, err := verify.ParseCheckpoint(c.Format())
		if err != nil || got != c {
			t.Errorf("ParseCheckpoint(%q) = %+v, %v, want %+v", c.Format(), got, err, c)
		}
	}
}

func TestParseCheckpointRejects(t *testing.T) {
	root := base64.StdEncoding.EncodeToString(testRoot[:])
	nonCanonical := nonCanonicalRoot()
	if b, err := base64.StdEncoding.DecodeString(nonCanonical); err != nil || !bytes.Equal(b, testRoot[:]) || nonCanonical == root {
		t.Fatalf("test bug: %q is not a lenient encoding of the root", nonCanonical)
	}
	for _, tt := range []struct{ name, text string }{
		{"empty", ""},
		{"no trailing newline", testOrigin + "\n5\n" + root},
		{"two lines", testOrigin + "\n5\n"},
		{"extension line", testOrigin + "\n5\n" + root + "\nextension\n"},
		{"blank extension line", testOrigin + "\n5\n" + root + "\n\n"},
		{"blank first line", "\n" + testOrigin + "\n5\n" + root + "\n"},
		{"CRLF", testOrigin + "\r\n5\r\n" + root + "\r\n"},
		{"empty origin", "\n5\n" + root + "\n"},
		{"space in origin", "stele.example/org/a b\n5\n" + root + "\n"},
		{"plus in origin", "stele.example+x\n5\n" + root + "\n"},
		{"tab in origin", "stele.example\t\n5\n" + root + "\n"},
		{"leading zero", testOrigin + "\n05\n" + root + "\n"},
		{"zero with leading zero", testOrigin + "\n00\n" + root + "\n"},
		{"plus sign", testOrigin + "\n+5\n" + root + "\n"},
		{"minus zero", testOrigin + "\n-0\n" + root + "\n"},
		{"negative", testOrigin + "\n-5\n" + root + "\n"},
		{"empty size", testOrigin + "\n\n" + root + "\n"},
		{"space after size", testOrigin + "\n5 \n" + root + "\n"},
		{"hex size", testOrigin + "\n0x5\n" + root + "\n"},
		{"size overflows int64", testOrigin + "\n9223372036854775808\n" + root + "\n"},
		{"non-canonical base64", testOrigin + "\n5\n" + nonCanonical + "\n"},
		{"unpadded base64", testOrigin + "\n5\n" + strings.TrimRight(root, "=") + "\n"},
		{"URL base64", testOrigin + "\n5\n" + base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff, 29: 0}) + "==\n"},
		{"root 31 bytes", testOrigin + "\n5\n" + base64.StdEncoding.EncodeToString(testRoot[:31]) + "\n"},
		{"root 33 bytes", testOrigin + "\n5\n" + base64.StdEncoding.EncodeToString(append(testRoot[:], 0)) + "\n"},
		{"root with space", testOrigin + "\n5\n " + root + "\n"},
		{"root in hex", testOrigin + "\n5\n" + strings.Repeat("ab", 32) + "\n"},
	} {
		if c, err := verify.ParseCheckpoint([]byte(tt.text)); err == nil {
			t.Errorf("%s: ParseCheckpoint(%q) = %+v, want error", tt.name, tt.text, c)
		}
	}
}

// nonCanonicalRoot returns testRoot in base64 with the unused low bits of
// its last character set: lenient decoders read the same 32 bytes.
func nonCanonicalRoot() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	s := base64.StdEncoding.EncodeToString(testRoot[:])
	return s[:42] + string(alphabet[strings.IndexByte(alphabet, s[42])|1]) + "="
}

func newKey(t *testing.T, name string) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func sign(t *testing.T, text string, signers ...note.Signer) []byte {
	t.Helper()
	b, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenCheckpoint(t *testing.T) {
	signer, vkey := newKey(t, "stele.example")
	other, otherVkey := newKey(t, "stele.example") // same name, another key
	stranger, _ := newKey(t, "witness.example")
	c := verify.Checkpoint{Origin: testOrigin, Size: 1000, Root: testRoot}
	text := string(c.Format())
	signed := sign(t, text, signer)

	for _, tt := range []struct {
		name   string
		signed []byte
		origin string
	}{
		{"expected origin", signed, testOrigin},
		{"any origin", signed, ""},
		{"cosigned by another key", sign(t, text, stranger, signer), testOrigin},
		{"cosigned by a key of the same name", sign(t, text, other, signer), testOrigin},
	} {
		got, err := verify.OpenCheckpoint(tt.signed, vkey, tt.origin)
		if err != nil || got != c {
			t.Errorf("%s: OpenCheckpoint = %+v, %v, want %+v", tt.name, got, err, c)
		}
	}

	root := base64.StdEncoding.EncodeToString(testRoot[:])
	tampered := bytes.Replace(signed, []byte("\n1000\n"), []byte("\n1001\n"), 1)
	badSig := bytes.Clone(signed)
	badSig[len(badSig)-10] ^= 1 // inside the signature's base64, clear of its padding bits
	for _, tt := range []struct {
		name   string
		signed []byte
		vkey   string
		origin string
	}{
		{"wrong key", signed, otherVkey, testOrigin},
		{"wrong origin", signed, vkey, "stele.example/org/acme2"},
		{"origin prefix", signed, vkey, "stele.example/org/acm"},
		{"another org's checkpoint", sign(t, "stele.example/org/evil\n1000\n"+root+"\n", signer), vkey, testOrigin},
		{"unknown key only", sign(t, text, stranger), vkey, testOrigin},
		{"same-name key only", sign(t, text, other), vkey, testOrigin},
		{"no signature", []byte(text + "\n"), vkey, testOrigin},
		{"text changed after signing", tampered, vkey, testOrigin},
		{"signature changed", badSig, vkey, testOrigin},
		{"missing final newline", signed[:len(signed)-1], vkey, testOrigin},
		{"extension line", sign(t, text+"extension\n", signer), vkey, testOrigin},
		{"blank extension line", sign(t, text+"\n", signer), vkey, testOrigin},
		{"leading zero in size", sign(t, testOrigin+"\n01000\n"+root+"\n", signer), vkey, testOrigin},
		{"non-canonical base64", sign(t, testOrigin+"\n1000\n"+nonCanonicalRoot()+"\n", signer), vkey, testOrigin},
		{"not a checkpoint", sign(t, "hello\n", signer), vkey, ""},
		{"bad verifier key", signed, "stele.example+00000000+AAAA", testOrigin},
		{"signer key as verifier key", signed, "PRIVATE+KEY+" + vkey, testOrigin},
		{"empty", nil, vkey, ""},
	} {
		got, err := verify.OpenCheckpoint(tt.signed, tt.vkey, tt.origin)
		if err == nil {
			t.Errorf("%s: OpenCheckpoint(%q) = %+v, want error", tt.name, tt.signed, got)
		}
		t.Logf("%s: %v", tt.name, err)
	}
	// A signature by an unknown key is reported as such, so a caller can
	// tell "not signed by this key" from "malformed".
	_, err := verify.OpenCheckpoint(sign(t, text, stranger), vkey, testOrigin)
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		t.Errorf("OpenCheckpoint(signed by an unknown key) = %v, want a note.UnverifiedNoteError", err)
	}
}

// FuzzParseCheckpoint checks that ParseCheckpoint never panics and accepts
// only the one text Format writes for what it returns.
func FuzzParseCheckpoint(f *testing.F) {
	root := base64.StdEncoding.EncodeToString(testRoot[:])
	for _, s := range []string{
		testOrigin + "\n5\n" + root + "\n",
		testOrigin + "\n0\n" + root + "\n",
		testOrigin + "\n9223372036854775807\n" + root + "\n",
		testOrigin + "\n05\n" + root + "\n",
		testOrigin + "\n5\n" + root + "\nextension\n",
		testOrigin + "\n5\n" + nonCanonicalRoot() + "\n",
		testOrigin + "\n5\n" + root,
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := verify.ParseCheckpoint(text)
		if err != nil {
			return
		}
		if got := c.Format(); !bytes.Equal(got, text) {
			t.Fatalf("ParseCheckpoint(%q) = %+v, which formats as %q", text, c, got)
		}
		if c.Size < 0 || c.Origin == "" || strings.ContainsAny(c.Origin, " +\n") {
			t.Fatalf("ParseCheckpoint(%q) = %+v", text, c)
		}
	})
}

func TestOrigin(t *testing.T) {
	_, vkey := newKey(t, "stele.example")
	if got, want := verify.Origin(vkey, "acme"), "stele.example/org/acme"; got != want {
		t.Errorf("Origin(%q, acme) = %q, want %q", vkey, got, want)
	}
}

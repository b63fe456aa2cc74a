// Package totp implements the one-time codes of authenticator apps, as
// they implement RFC 6238 (HMAC-SHA1, 6 digits, 30-second steps), and the
// recovery codes that stand in for a lost authenticator.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

const (
	secretLen = 20 // bytes: RFC 4226's recommended length, SHA-1's block of output
	digits    = 6
	period    = 30 // seconds per step
)

// NewSecret returns a new random secret to share with an authenticator
// app. The error is always nil: crypto/rand does not fail, it crashes.
func NewSecret() ([]byte, error) {
	secret := make([]byte, secretLen)
	rand.Read(secret)
	return secret, nil
}

// URL returns the otpauth:// URL that an authenticator app reads from a
// QR code, in the form of Google Authenticator's "Key Uri Format". The
// issuer appears both in the label, for apps that only read that, and as
// a parameter; it may be empty.
func URL(secret []byte, issuer, account string) string {
	label := escape(account)
	params := "secret=" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	if issuer != "" {
		label = escape(issuer) + ":" + label
		params += "&issuer=" + escape(issuer)
	}
	return "otpauth://totp/" + label + "?" + params + fmt.Sprintf("&algorithm=SHA1&digits=%d&period=%d", digits, period)
}

// escape percent-encodes s for a label or a parameter: a colon too, so
// that it cannot be taken for the one between issuer and account, and a
// space as %20, since some apps show a "+" as it is.
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// Code returns the code an authenticator app shows at time t.
func Code(secret []byte, t time.Time) string {
	return hotp(secret, uint64(stepAt(t)), digits)
}

// Verify reports whether code is the code for time t, or for the step
// before or after it, to allow for a clock that is a little off. To stop
// a code being used twice, it refuses steps not after lastStep: the
// caller stores the step returned and passes it the next time (0 for a
// secret no code was accepted for yet). Spaces in code are ignored, as
// apps show codes like "123 456"; anything else but 6 ASCII digits is
// refused.
func Verify(secret []byte, code string, t time.Time, lastStep int64) (step int64, ok bool) {
	c, ok := parseCode(code)
	if !ok {
		return 0, false
	}
	now := stepAt(t)
	// The latest step first, so that when two steps have the same code,
	// the later one is the one used up.
	for s := now + 1; s >= now-1 && s > lastStep && s >= 0; s-- {
		if subtle.ConstantTimeCompare([]byte(hotp(secret, uint64(s), digits)), c) == 1 {
			return s, true
		}
	}
	return 0, false
}

// maxCode bounds the length of a code with its spaces, so that hostile
// input costs no more than a short loop.
const maxCode = 32

// parseCode returns code's digits if it is 6 ASCII digits and spaces.
func parseCode(code string) ([]byte, bool) {
	if len(code) > maxCode {
		return nil, false
	}
	c := make([]byte, 0, digits)
	for i := 0; i < len(code); i++ {
		switch b := code[i]; {
		case b == ' ' || b == '\t' || b == '\r' || b == '\n':
		case '0' <= b && b <= '9' && len(c) < digits:
			c = append(c, b)
		default:
			return nil, false
		}
	}
	return c, len(c) == digits
}

// stepAt returns the number of the step t falls in, counted from 1970.
func stepAt(t time.Time) int64 {
	return t.Unix() / period
}

// hotp is RFC 4226's HOTP with n digits (at most 9). The length is a
// parameter so that RFC 6238's 8-digit test vectors can check it.
func hotp(secret []byte, counter uint64, n int) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write(binary.BigEndian.AppendUint64(nil, counter))
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	mod := uint32(1)
	for range n {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", n, v%mod)
}

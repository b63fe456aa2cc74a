package totp

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

// recoveryAlphabet is Crockford's base32 in lower case: digits and
// letters but i, l, o and u, which are easily misread or misheard.
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// NewRecoveryCodes returns n (1 to 100) random recovery codes such as
// "7k2m-q9xd-h4tw": 12 characters of 5 bits, 60 bits in all, enough that
// a fast hash of one can be stored instead of a password hash, and that
// guessing one is hopeless. Each can be used once instead of a TOTP code.
func NewRecoveryCodes(n int) (codes []string, err error) {
	if n < 1 || n > 100 {
		return nil, fmt.Errorf("totp: %d recovery codes asked for, want 1 to 100", n)
	}
	codes = make([]string, n)
	for i := range codes {
		var b [12]byte
		rand.Read(b[:])
		code := make([]byte, 0, 14)
		for j, x := range b {
			if j > 0 && j%4 == 0 {
				code = append(code, '-')
			}
			code = append(code, recoveryAlphabet[x%32]) // 256 is a multiple of 32: uniform
		}
		codes[i] = string(code)
	}
	return codes, nil
}

// HashRecoveryCode returns what to store for code, and to look up when a
// person types one in. It hashes code's normal form, so that how it was
// typed does not matter: case, dashes and spaces are ignored, and i, l
// and o are read as 1, 1 and 0, as Crockford's decoding does.
func HashRecoveryCode(code string) []byte {
	norm := make([]byte, 0, 12)
	for i := 0; i < len(code); i++ {
		c := code[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		switch c {
		case '-', ' ', '\t', '\r', '\n':
			continue
		case 'i', 'l':
			c = '1'
		case 'o':
			c = '0'
		}
		norm = append(norm, c)
	}
	sum := sha256.Sum256(norm)
	return sum[:]
}

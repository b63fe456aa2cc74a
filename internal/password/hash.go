// Package password stores and checks people's passwords: argon2id hashes
// in the PHC string format, and the policy a new password must meet.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformed means a stored hash is not an argon2id PHC string this
// package would write, or asks for more work than it allows. Its text
// is for logs, not for the person signing in.
var ErrMalformed = errors.New("password: malformed hash")

// params are argon2id's cost parameters, as a PHC string spells them.
type params struct {
	memory  uint32 // m: KiB of memory
	time    uint32 // t: passes over the memory
	threads uint8  // p: lanes, each hashed by its own goroutine
}

// current is what Hash uses: OWASP's first choice for argon2id, 46 MiB
// and one pass in one lane, which costs 40 to 60 ms of one core on our
// 2-core servers (BenchmarkHash), leaving the other core to serve. Each
// login in progress holds 46 MiB, which login throttling bounds. After a
// change, NeedsRehash reports the hashes made before it.
var current = params{memory: 46 * 1024, time: 1, threads: 1}

const (
	saltLen = 16 // bytes of random salt in a new hash
	keyLen  = 32 // bytes of hash in a new hash
)

// Bounds on what Verify accepts from a stored string, so that a tampered
// or foreign hash cannot make one login cost gigabytes or minutes: at
// most 256 MiB and 4 passes, about 22 times the work of current.
const (
	maxMemory        = 256 * 1024
	maxTime          = 4
	maxThreads       = 16
	minSalt, maxSalt = 8, 64
	minKey, maxKey   = 16, 64
	maxEncoded       = 256 // bytes; the longest valid string has 206
)

// phcPrefix names the algorithm and its version, 0x13, the only one
// x/crypto/argon2 implements.
const phcPrefix = "$argon2id$v=19$"

// Hash returns password's argon2id hash with a fresh random salt, as a
// PHC string such as "$argon2id$v=19$m=47104,t=1,p=1$<salt>$<hash>".
// It fails only for a password longer than MaxBytes; it does not apply
// the policy, which is Check's job.
func Hash(password string) (string, error) {
	if len(password) > MaxBytes {
		return "", ErrTooLong
	}
	salt := make([]byte, saltLen)
	rand.Read(salt) // never fails: it crashes the program instead
	key := argon2.IDKey([]byte(password), salt, current.time, current.memory, current.threads, keyLen)
	return format(current, salt, key), nil
}

// Verify reports whether password matches the PHC string encoded, in
// time that does not depend on where they differ. An error means encoded
// is malformed (ErrMalformed), never that the password is wrong.
func Verify(encoded, password string) (ok bool, err error) {
	p, salt, key, err := parse(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > MaxBytes {
		return false, nil // Hash refuses these, so none can match
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// dummy is a well-formed hash with current's cost that no password
// matches in practice (its hash is all zeros).
var dummy = format(current, make([]byte, saltLen), make([]byte, keyLen))

// VerifyDummy costs what Verify costs for a hash made by Hash and then
// forgets the answer. A login for an unknown email calls it, so that
// the response time does not tell which emails have accounts.
func VerifyDummy(password string) {
	_, _ = Verify(dummy, password)
}

// NeedsRehash reports whether encoded was not made with the current
// parameters (or is malformed), so that after a successful Verify the
// caller should store Hash(password) in its place.
func NeedsRehash(encoded string) bool {
	p, salt, key, err := parse(encoded)
	return err != nil || p != current || len(salt) != saltLen || len(key) != keyLen
}

var b64 = base64.RawStdEncoding.Strict()

func format(p params, salt, key []byte) string {
	return fmt.Sprintf(phcPrefix+"m=%d,t=%d,p=%d$%s$%s",
		p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parse is format's strict inverse: it accepts only what format writes
// for parameters and lengths within the bounds above.
func parse(s string) (p params, salt, key []byte, err error) {
	if len(s) > maxEncoded {
		return params{}, nil, nil, malformed("longer than %d bytes", maxEncoded)
	}
	rest, ok := strings.CutPrefix(s, phcPrefix)
	if !ok {
		return params{}, nil, nil, malformed("does not start with %q", phcPrefix)
	}
	f := strings.Split(rest, "$")
	if len(f) != 3 {
		return params{}, nil, nil, malformed("want parameters, salt and hash after %q", phcPrefix)
	}
	var m, t, threads uint32
	if kv := strings.Split(f[0], ","); len(kv) != 3 ||
		!number(kv[0], "m=", maxMemory, &m) || !number(kv[1], "t=", maxTime, &t) || !number(kv[2], "p=", maxThreads, &threads) {
		return params{}, nil, nil, malformed("parameters %q are not m=1..%d,t=1..%d,p=1..%d", f[0], maxMemory, maxTime, maxThreads)
	}
	if m < 8*threads {
		return params{}, nil, nil, malformed("m=%d is less than 8 KiB per lane", m)
	}
	p = params{memory: m, time: t, threads: uint8(threads)}
	if salt, err = b64.DecodeString(f[1]); err != nil || len(salt) < minSalt || len(salt) > maxSalt {
		return params{}, nil, nil, malformed("salt is not %d to %d bytes of unpadded base64", minSalt, maxSalt)
	}
	if key, err = b64.DecodeString(f[2]); err != nil || len(key) < minKey || len(key) > maxKey {
		return params{}, nil, nil, malformed("hash is not %d to %d bytes of unpadded base64", minKey, maxKey)
	}
	// What is left, such as leading zeros or the line breaks that the
	// base64 decoder skips, shows as a difference from the canonical form.
	if format(p, salt, key) != s {
		return params{}, nil, nil, malformed("not in canonical form")
	}
	return p, salt, key, nil
}

// number parses "<name><decimal>" into *n if the value is 1..max.
func number(s, name string, max uint32, n *uint32) bool {
	v, ok := strings.CutPrefix(s, name)
	if !ok {
		return false
	}
	u, err := strconv.ParseUint(v, 10, 32)
	if err != nil || u < 1 || u > uint64(max) {
		return false
	}
	*n = uint32(u)
	return true
}

func malformed(msg string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(msg, args...))
}

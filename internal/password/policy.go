package password

import (
	"errors"
	"strings"
	"unicode/utf8"
)

const (
	// MinChars is the fewest characters (Unicode code points) a new
	// password may have. Length is what makes a password hard to guess;
	// there are no rules about character classes.
	MinChars = 12
	// MaxBytes bounds a password's length in bytes, what argon2 reads, so
	// that no one can make a single hash expensive. It is generous for
	// passphrases and password managers alike.
	MaxBytes = 256
)

// The reasons Check gives. Their text is meant for the person choosing
// the password.
var (
	ErrTooShort = errors.New("password must be at least 12 characters long")
	ErrTooLong  = errors.New("password must be at most 256 bytes long (a character outside ASCII takes 2 to 4)")
	ErrNotUTF8  = errors.New("password must be valid UTF-8 text")
	ErrBlank    = errors.New("password must not be only spaces")
)

// Check reports why password may not be chosen, or nil if it may. It
// applies to new passwords only: Verify takes whatever was once accepted.
func Check(password string) error {
	switch {
	case len(password) > MaxBytes:
		return ErrTooLong
	case !utf8.ValidString(password):
		return ErrNotUTF8
	case utf8.RuneCountInString(password) < MinChars:
		return ErrTooShort
	case strings.TrimSpace(password) == "":
		return ErrBlank
	}
	return nil
}

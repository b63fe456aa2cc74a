package signin

import (
	"context"

	"github.com/steleaudit/stele/internal/password"
)

// Password hashing costs ~45 ms of a core and 46 MiB each: a flood of
// sign-ins would take every core and much memory. A Desk hashes as many
// passwords at once as there are cores, and the rest wait their turn (or
// their client gives up).

// slot waits for a turn to hash, and returns the function that ends it.
func (d *Desk) slot(ctx context.Context) (func(), error) {
	select {
	case d.hashing <- struct{}{}:
		return func() { <-d.hashing }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// verify is password.Verify, in turn; for an unknown account (encoded
// ""), password.VerifyDummy, answering false.
func (d *Desk) verify(ctx context.Context, encoded, pw string) (bool, error) {
	done, err := d.slot(ctx)
	if err != nil {
		return false, err
	}
	defer done()
	if encoded == "" {
		password.VerifyDummy(pw)
		return false, nil
	}
	return password.Verify(encoded, pw)
}

// HashPassword is password.Hash, in turn.
func (d *Desk) HashPassword(ctx context.Context, pw string) (string, error) {
	done, err := d.slot(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	return password.Hash(pw)
}

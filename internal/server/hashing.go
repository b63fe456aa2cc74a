package server

import (
	"context"

	"github.com/steleaudit/stele/internal/password"
)

// Password hashing costs ~45 ms of a core and 46 MiB each: a flood of
// sign-ins would take every core and much memory. The server hashes as
// many passwords at once as it has cores, and the rest wait their turn
// (or their client gives up).

// hashSlot waits for a turn to hash, and returns the function that ends
// it.
func (s *Server) hashSlot(ctx context.Context) (func(), error) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// verifyPassword is password.Verify, in turn; for an unknown account
// (encoded ""), password.VerifyDummy, answering false.
func (s *Server) verifyPassword(ctx context.Context, encoded, pw string) (bool, error) {
	done, err := s.hashSlot(ctx)
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

// hashPassword is password.Hash, in turn.
func (s *Server) hashPassword(ctx context.Context, pw string) (string, error) {
	done, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	return password.Hash(pw)
}

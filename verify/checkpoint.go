package verify

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// A Checkpoint is a signed statement of a log's size and root hash, in the
// C2SP tlog-checkpoint format.
type Checkpoint struct {
	Origin string   // names the log, e.g. "stele.example/org/acme"
	Size   int64    // number of leaves
	Root   [32]byte // RFC 6962 root hash of the first Size leaves
}

// Format returns c's note text: origin, size and base64 root, one a line.
func (c Checkpoint) Format() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseCheckpoint parses a checkpoint's note text strictly: exactly the
// three lines Format writes, a decimal size without leading zeros, and a
// 32-byte root. Extension lines are refused, since Stele never writes them.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	var c Checkpoint
	lines := strings.Split(string(text), "\n")
	if len(lines) != 4 || lines[3] != "" {
		return c, errors.New("verify: checkpoint is not three lines")
	}
	c.Origin = lines[0]
	if c.Origin == "" || strings.ContainsAny(c.Origin, " +\t\r") {
		return c, errors.New("verify: checkpoint origin is malformed")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return c, errors.New("verify: checkpoint size is malformed")
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return c, errors.New("verify: checkpoint root hash is malformed")
	}
	copy(c.Root[:], root)
	if !bytes.Equal(c.Format(), text) {
		return c, errors.New("verify: checkpoint is not in canonical form")
	}
	return c, nil
}

// OpenCheckpoint checks that signed is a signed note whose text is a
// checkpoint, signed by the key verifierKey names (as note.NewVerifier
// reads it), and whose origin is origin (when origin is not empty).
// Signatures by other keys are ignored, as C2SP signed-note requires.
func OpenCheckpoint(signed []byte, verifierKey, origin string) (Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("verify: bad verifier key: %w", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("verify: checkpoint signature: %w", err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if origin != "" && c.Origin != origin {
		return Checkpoint{}, fmt.Errorf("verify: checkpoint is for %q, not %q", c.Origin, origin)
	}
	return c, nil
}

// Origin returns the origin of org's checkpoints signed with the key whose
// verifier key is verifierKey: "<key name>/org/<org>".
func Origin(verifierKey, org string) string {
	name, _, _ := strings.Cut(verifierKey, "+")
	return name + "/org/" + org
}

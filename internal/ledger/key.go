package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// A Key signs the checkpoints of every organization's log.
type Key struct {
	Name        string // the note key name; origins are Name + "/org/" + org
	Signer      note.Signer
	VerifierKey string // what anyone needs to check checkpoints offline
}

// GenerateKey returns a new signing key named name, in the note private
// key form ("PRIVATE+KEY+name+hash+data").
func GenerateKey(name string) (string, error) {
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", fmt.Errorf("couldn't generate a signing key: %w", err)
	}
	return skey, nil
}

// ParseKey reads a note private key and derives its verifier key.
func ParseKey(skey string) (*Key, error) {
	skey = strings.TrimSpace(skey)
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("couldn't read the signing key: %w", err)
	}
	// PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>; the base64 may
	// itself hold '+', and the name never does.
	rest := strings.TrimPrefix(skey, "PRIVATE+KEY+")
	_, rest, _ = strings.Cut(rest, "+")
	_, data, _ := strings.Cut(rest, "+")
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("couldn't read the signing key: not an Ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(signer.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("couldn't derive the verifier key: %w", err)
	}
	return &Key{Name: signer.Name(), Signer: signer, VerifierKey: vkey}, nil
}

// LoadOrCreateKey reads the signing key at path, first writing a new one
// named name (mode 0600) if the file does not exist.
func LoadOrCreateKey(path, name string) (*Key, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := WriteNewKey(path, name); err != nil {
			return nil, err
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("couldn't read the signing key: %w", err)
	}
	return ParseKey(string(b))
}

// WriteNewKey writes a new signing key named name to path with mode 0600.
// It never overwrites an existing file.
func WriteNewKey(path, name string) error {
	skey, err := GenerateKey(name)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("couldn't create the signing key file: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("couldn't write the signing key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("couldn't write the signing key: %w", err)
	}
	return f.Close()
}

// Origin returns the checkpoint origin of org's log under this key.
func (k *Key) Origin(org string) string {
	return origin(k.Name, org)
}

// origin is the checkpoint origin of org's log under the key named name.
func origin(name, org string) string {
	return name + "/org/" + org
}

package ledger_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/verify"
	"golang.org/x/mod/sumdb/note"
)

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.key")
	k1, err := ledger.LoadOrCreateKey(path, "stele.example")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	k2, err := ledger.LoadOrCreateKey(path, "ignored")
	if err != nil {
		t.Fatal(err)
	}
	if k1.VerifierKey != k2.VerifierKey || k2.Name != "stele.example" {
		t.Errorf("reloaded key = %s (%s), want %s", k2.VerifierKey, k2.Name, k1.VerifierKey)
	}
	if err := ledger.WriteNewKey(path, "x"); err == nil {
		t.Error("WriteNewKey overwrote an existing key")
	}
	// The derived verifier key checks what the signer signs.
	text := verify.Checkpoint{Origin: k1.Origin("acme"), Size: 1}.Format()
	msg, err := note.Sign(&note.Note{Text: string(text)}, k1.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verify.OpenCheckpoint(msg, k1.VerifierKey, "stele.example/org/acme"); err != nil {
		t.Errorf("OpenCheckpoint with the derived verifier key: %v", err)
	}
	for _, bad := range []string{"", "PRIVATE+KEY+x", "stele.test+33f04db1+Afs8nVl0qX3ScjD3wHef28ltw/OnkZmn28hDdC460DPZ"} {
		if _, err := ledger.ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) succeeded", bad)
		}
	}
}

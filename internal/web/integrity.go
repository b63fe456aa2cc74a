package web

import (
	"encoding/base64"
	"net/http"
	"time"

	"github.com/steleaudit/stele/verify"
)

// integrityData is the Integrity page.
type integrityData struct {
	base
	Checkpoint string
	SignedAt   time.Time
	Size       int64
	Root       string
	Key        string
	KeyName    string
	Problem    string
}

func (h *Web) integrity(w http.ResponseWriter, r *http.Request) {
	o := h.orgPage(w, r, "integrity", "Integrity")
	if o == nil {
		return
	}
	d := integrityData{base: o.Base}
	ctx, org := r.Context(), o.Base.Org.ID
	key, err := o.api.VerifierKey(ctx)
	if err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	signed, err := o.api.LatestCheckpoint(ctx, org)
	if err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	d.Key, d.KeyName, d.Checkpoint, d.SignedAt = key, keyName(key), string(signed.Note), signed.SignedAt
	if cp, err := verify.OpenCheckpoint(signed.Note, key, verify.Origin(key, org)); err != nil {
		d.Problem = "The checkpoint does not verify with the server's key: " + err.Error()
	} else {
		d.Size, d.Root = cp.Size, encodeRoot(cp.Root)
	}
	h.render(w, r, http.StatusOK, "integrity", d)
}

// encodeRoot is a root hash as checkpoints write it.
func encodeRoot(root [32]byte) string { return base64.StdEncoding.EncodeToString(root[:]) }

package web

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/verify"
)

// detailData is the panel of one event: what happened, what changed,
// the context, the raw record and its place in the log.
type detailData struct {
	base
	Row       row
	Record    verify.Record
	Changes   []change
	Fields    []field // the details that are not changes
	Personal  []string
	Raw       string // the record as JSON, indented
	LeafHash  string
	Erased    bool // its personal data was erased
	Verify    string
	Close     string // the page without the panel
	Permalink string
	Around    string // the events of the minutes around it
}

type field struct{ Name, Value string }

func (h *Web) detailOf(o *orgView, e *client.Event, p logsParams) *detailData {
	self := orgPath(o.Base.Org.ID, "/audit-logs")
	d := &detailData{base: o.Base, Row: h.rowOf(o, e, p), Record: e.Record, LeafHash: hex.EncodeToString(e.LeafHash),
		Personal: e.Personal, Erased: e.Salt == nil && len(e.Commitments) > 0}
	d.Title = e.Event + " · " + o.Base.Org.Name
	dm := detailsMap(e.Details)
	d.Changes = changes(dm)
	changed := map[string]bool{}
	for _, c := range d.Changes {
		changed["new_"+c.Field], changed["old_"+c.Field], changed["previous_"+c.Field] = true, true, true
		changed[c.Field] = changed[c.Field] || dm["previous_"+c.Field] != nil
	}
	for k, v := range dm {
		if !changed[k] {
			d.Fields = append(d.Fields, field{k, valueText(v)})
		}
	}
	slices.SortFunc(d.Fields, func(a, b field) int { return strings.Compare(a.Name, b.Name) })
	raw, _ := json.MarshalIndent(e, "", "  ")
	d.Raw = string(raw)
	seq := strconv.FormatInt(e.Seq, 10)
	d.Verify = addViewer(self+"/events/"+seq+"/verify", o.Base.Viewer)
	d.Permalink = addViewer(self+"/events/"+seq, o.Base.Viewer)
	closed := p
	closed.Event = ""
	d.Close = closed.link(self, o.Base.Viewer)
	around := logsParams{Range: "custom", Limit: defaultLimit,
		From: e.Timestamp.Add(-5 * time.Minute).UTC().Format(localMinute), To: e.Timestamp.Add(5 * time.Minute).UTC().Format(localMinute)}
	d.Around = around.link(self, o.Base.Viewer)
	return d
}

// detail is the page of one event: a permalink, and the fragment the
// Audit Logs page's script shows in its panel (?part=1).
func (h *Web) detail(w http.ResponseWriter, r *http.Request) {
	o, seq := h.eventPage(w, r, "Event")
	if o == nil {
		return
	}
	e, err := o.api.Event(r.Context(), o.Base.Org.ID, seq)
	if err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	p := readLogsParams(r)
	p.Event = strconv.FormatInt(seq, 10)
	d := h.detailOf(o, e, p)
	if r.URL.Query().Get("part") == "1" {
		h.renderPart(w, r, "event", "detail", d)
		return
	}
	h.render(w, r, http.StatusOK, "event", d)
}

// A verification is the outcome of checking one event against the log,
// a step at a time, as anyone holding the verifier key could offline.
type verification struct {
	base
	Seq        int64
	Steps      []step
	OK         bool
	Pending    bool // not yet in a signed checkpoint: try again in a second
	Checkpoint string
	Key        string
}

type step struct {
	Name   string
	OK     bool
	Detail string
}

// verifyEvent recomputes the event's leaf hash from its record, opens the
// latest signed checkpoint with the verifier key, and checks the event's
// inclusion proof against it.
func (h *Web) verifyEvent(w http.ResponseWriter, r *http.Request) {
	o, seq := h.eventPage(w, r, "Verify event")
	if o == nil {
		return
	}
	v, err := h.verify(r, o, seq)
	if err != nil {
		h.fail(w, r, o.Base, err)
		return
	}
	if r.URL.Query().Get("part") == "1" {
		h.renderPart(w, r, "verify", "verification", v)
		return
	}
	h.render(w, r, http.StatusOK, "verify", v)
}

func (h *Web) verify(r *http.Request, o *orgView, seq int64) (*verification, error) {
	ctx, org := r.Context(), o.Base.Org.ID
	v := &verification{base: o.Base, Seq: seq}
	e, err := o.api.Event(ctx, org, seq)
	if err != nil {
		return nil, err
	}
	leaf, err := verify.LeafHash(&e.Record)
	if err != nil {
		v.Steps = append(v.Steps, step{"Leaf hash recomputed from the record", false, err.Error()})
		return v, nil
	}
	v.Steps = append(v.Steps, step{"Leaf hash recomputed from the record", true, hex.EncodeToString(leaf[:])})
	key, err := o.api.VerifierKey(ctx)
	if err != nil {
		return nil, err
	}
	v.Key = key
	signed, err := o.api.Checkpoint(ctx, org)
	if err != nil {
		return nil, err
	}
	v.Checkpoint = string(signed)
	cp, err := verify.OpenCheckpoint(signed, key, verify.Origin(key, org))
	if err != nil {
		v.Steps = append(v.Steps, step{"Checkpoint signature", false, err.Error()})
		return v, nil
	}
	v.Steps = append(v.Steps, step{"Checkpoint signature", true,
		fmt.Sprintf("signed by %s; tree of %d events, root %s", keyName(key), cp.Size, base64.StdEncoding.EncodeToString(cp.Root[:]))})
	if seq >= cp.Size {
		v.Pending = true
		v.Steps = append(v.Steps, step{"Inclusion in the checkpoint", false,
			"the event is newer than the latest checkpoint, which is signed within a second of an append: verify again"})
		return v, nil
	}
	proof, err := o.api.InclusionProof(ctx, org, seq, cp.Size)
	if err != nil {
		return nil, err
	}
	hashes := make([][32]byte, len(proof.Hashes))
	for i, hh := range proof.Hashes {
		if len(hh) != 32 {
			v.Steps = append(v.Steps, step{"Inclusion in the checkpoint", false, "a proof hash is not 32 bytes"})
			return v, nil
		}
		hashes[i] = [32]byte(hh)
	}
	if err := verify.Inclusion(hashes, seq, cp.Size, cp.Root, leaf); err != nil {
		v.Steps = append(v.Steps, step{"Inclusion in the checkpoint", false, err.Error()})
		return v, nil
	}
	v.Steps = append(v.Steps, step{"Inclusion in the checkpoint", true,
		fmt.Sprintf("event %d is leaf %d of the signed tree of %d, proved by %d hashes", seq, seq, cp.Size, len(hashes))})
	v.OK = true
	return v, nil
}

// eventPage starts a page of the path's event (orgPage) and reads its
// {seq}; it answers the request itself and returns nil when the page
// can't be shown.
func (h *Web) eventPage(w http.ResponseWriter, r *http.Request, title string) (*orgView, int64) {
	o := h.orgPage(w, r, "logs", title)
	if o == nil {
		return nil, 0
	}
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 0 || seq == math.MaxInt64 {
		h.fail(w, r, o.Base, errPageNotFound)
		return nil, 0
	}
	return o, seq
}

// keyName is the name part of a note verifier key, "name+hash+key".
func keyName(key string) string {
	name, _, _ := strings.Cut(key, "+")
	return name
}

package server

import (
	"context"
	"net/http"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/event"
	"github.com/steleaudit/stele/internal/ledger"
)

// appendTimeout bounds an append once its events are parsed. The append
// is detached from the client's cancellation: once queued it commits, and
// a client that hung up retries with the same ids.
const appendTimeout = 30 * time.Second

// waitTimeout bounds ?wait=checkpoint; checkpoints are signed within a
// second of an append.
const waitTimeout = 10 * time.Second

// sendEvents appends one event or a batch, all or nothing. The answer is
// 201 with a receipt per event, or 200 when every event was a duplicate;
// with ?wait=checkpoint, also the covering signed checkpoint and each
// event's inclusion proof in it.
func (s *Server) sendEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	wait, err := waitParam(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, event.MaxBatchSize)
	if err != nil {
		return err
	}
	recs, err := event.ParseBatch(body, s.cfg.Now(), s.cat)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), appendTimeout)
	defer cancel()
	receipts, size, err := s.led.Append(ctx, c.org, recs)
	if err != nil {
		return err
	}
	out := client.SendResult{Events: make([]client.Receipt, len(receipts)), TreeSize: size}
	status := http.StatusOK
	for i, rc := range receipts {
		out.Events[i] = client.Receipt{ID: rc.ID, Seq: rc.Seq, LeafHash: rc.LeafHash[:], ReceivedAt: rc.ReceivedAt, Duplicate: rc.Duplicate}
		if !rc.Duplicate {
			status = http.StatusCreated
		}
	}
	if wait {
		// The events are durable now: whatever happens while proving, the
		// answer carries their receipts. Without a checkpoint, the client
		// knows none was signed in time and can ask for proofs later.
		if err := s.prove(r.Context(), c.org, &out); err != nil {
			s.log.WarnContext(r.Context(), "appended, but couldn't prove", "org", c.org, "err", err)
			out.Checkpoint = ""
			for i := range out.Events {
				out.Events[i].Proof = nil
			}
		}
	}
	writeJSON(w, status, out)
	return nil
}

// waitParam reads the only query parameter of sendEvents.
func waitParam(r *http.Request) (bool, error) {
	if err := onlyParams(r, "wait"); err != nil {
		return false, err
	}
	switch r.URL.Query().Get("wait") {
	case "":
		return false, nil
	case "checkpoint":
		return true, nil
	}
	return false, invalid("wait", `wait may only be "checkpoint"`)
}

// prove waits for a checkpoint covering out's events and adds it and
// their inclusion proofs to out.
func (s *Server) prove(ctx context.Context, org string, out *client.SendResult) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	cp, err := s.led.WaitCheckpoint(ctx, org, out.TreeSize)
	if err != nil {
		return err
	}
	out.Checkpoint = string(cp.Note)
	for i := range out.Events {
		p, err := s.led.ProveInclusion(ctx, org, out.Events[i].Seq, cp.Size)
		if err != nil {
			return err
		}
		out.Events[i].Proof = proofJSON(p)
	}
	return nil
}

func proofJSON(p *ledger.InclusionProof) *client.InclusionProof {
	return &client.InclusionProof{Seq: p.Seq, TreeSize: p.TreeSize, LeafHash: p.LeafHash[:], Hashes: hashesJSON(p.Hashes)}
}

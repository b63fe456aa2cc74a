package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
)

// A Workload makes batches of realistic events for the backends'
// benchmarks and tests: about 500 bytes each, from organizations, actors,
// event types and targets picked with Zipf-like skew, each with a random
// UUID for an id. Organizations are named org-0, org-1...
type Workload struct {
	Rand                 *rand.Rand
	orgs, actors, events *rand.Zipf
	targets              *rand.Zipf
	Now                  time.Time // of the last event; each comes up to 100 µs later
	seqs                 map[string]int64
}

// workloadTypes is the event types the workload picks from, commonest first.
var workloadTypes = []string{
	"auth.login", "finding.status_changed", "auth.logout", "contract.scanned",
	"finding.commented", "auth.failed", "finding.assigned", "project.access_granted",
	"contract.uploaded", "member.joined", "team.member_added", "auth.mfa_enabled",
	"member.invited", "project.created", "member.role_changed", "team.created",
	"settings.api_key.created", "project.access_revoked", "auth.password_changed",
	"team.member_removed", "member.removed", "contract.deleted", "settings.org.settings_changed",
	"team.deleted", "project.deleted", "settings.api_key.revoked",
}

// workloadAgents are the user agents of the workload's events.
var workloadAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"stele-go/1.0 (+https://stele.example/sdk)",
}

// NewWorkload returns a workload over orgs organizations.
func NewWorkload(seed int64, orgs int) *Workload {
	r := rand.New(rand.NewSource(seed))
	return &Workload{
		Rand:    r,
		orgs:    rand.NewZipf(r, 1.1, 1, uint64(max(orgs-1, 0))),
		actors:  rand.NewZipf(r, 1.2, 1, 4999),
		events:  rand.NewZipf(r, 1.3, 1, uint64(len(workloadTypes)-1)),
		targets: rand.NewZipf(r, 1.05, 1, 99999),
		Now:     time.Date(2026, 1, 3, 14, 30, 0, 0, time.UTC),
		seqs:    map[string]int64{},
	}
}

// Batch returns n events grouped by organization, as the ledger appends
// them: each organization's events in seq order from its current size.
func (w *Workload) Batch(n int) map[string][]*store.Event {
	b := map[string][]*store.Event{}
	for range n {
		w.Now = w.Now.Add(time.Duration(w.Rand.Intn(100_000)))
		org := fmt.Sprintf("org-%d", w.orgs.Uint64())
		a, t := w.actors.Uint64(), w.targets.Uint64()
		typ := workloadTypes[w.events.Uint64()]
		cat, _, _ := strings.Cut(typ, ".")
		var uuid [16]byte
		w.Rand.Read(uuid[:])
		salt := make([]byte, verify.SaltSize)
		w.Rand.Read(salt)
		seq := w.seqs[org]
		w.seqs[org]++
		b[org] = append(b[org], &store.Event{Seq: seq, Record: verify.Record{
			Org:        org,
			ID:         fmt.Sprintf("%x-%x-%x-%x-%x", uuid[0:4], uuid[4:6], uuid[6:8], uuid[8:10], uuid[10:]),
			Timestamp:  w.Now.Add(-time.Duration(w.Rand.Intn(2e9))),
			ReceivedAt: w.Now,
			Event:      typ,
			Category:   cat,
			Actor: verify.Actor{
				Type:  "user",
				ID:    fmt.Sprintf("u_%010d", a),
				Email: fmt.Sprintf("user.%d@%s.example.com", a, org),
				Name:  fmt.Sprintf("User Number %d", a),
			},
			Target: verify.Target{
				Type: "finding",
				ID:   fmt.Sprintf("finding-%08x", t),
				Name: fmt.Sprintf("Reentrancy in Vault.withdraw #%d", t),
			},
			IP:        fmt.Sprintf("203.0.%d.%d", a%256, t%256),
			UserAgent: workloadAgents[a%uint64(len(workloadAgents))],
			Details: json.RawMessage(fmt.Sprintf(`{"new_status":"fixed","old_status":"open","project":"project-%d","reason":"reviewed by the security team, ticket SEC-%d"}`,
				t%100, w.Rand.Intn(100000))),
			Salt: salt,
		}})
	}
	return b
}

// AppendBatch writes b, a Batch, as the ledger would, minus hashing:
// lock every head and look up every id, each at once, then per
// organization, in order, append and set the head.
func AppendBatch(ctx context.Context, s store.Store, b map[string][]*store.Event) error {
	orgs := slices.Sorted(maps.Keys(b))
	return s.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		heads, err := tx.LockHeads(ctx, orgs)
		if err != nil {
			return err
		}
		ids := map[string][]string{}
		for org, events := range b {
			for _, e := range events {
				ids[org] = append(ids[org], e.ID)
			}
		}
		if _, err := tx.LookupAllIDs(ctx, ids); err != nil {
			return err
		}
		for _, org := range orgs {
			h := heads[org]
			if err := tx.Append(ctx, org, b[org]); err != nil {
				return err
			}
			h.Size += int64(len(b[org]))
			h.Root[0]++
			if err := tx.SetHead(ctx, org, h); err != nil {
				return err
			}
		}
		return nil
	})
}

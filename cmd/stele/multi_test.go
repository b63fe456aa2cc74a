package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/store/pgtest"
	"github.com/steleaudit/stele/verify"
)

// TestMultiInstance runs three servers on one PostgreSQL database with
// one signing key, and clients sending to the same organizations through
// all three, each id sent to two of them. Afterwards every log has seqs
// 0..n-1: the organization's creation, as registering it logged it,
// then one per id sent; every server serves the same checkpoint at each
// size; consistency proofs between the checkpoints served verify; and
// `stele verify --postgres` finds no problem.
func TestMultiInstance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := pgtest.Schema(t)
	keyFile, key := sharedKey(t)
	var clients [3]*client.Client
	for i := range clients {
		s := serverT(t, t.TempDir(), "", "--postgres", pg, "--signing-key", keyFile)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("server %d:\n%s", i, s.output())
			}
		})
		var err error
		if clients[i], err = client.New(s.URL, testToken); err != nil {
			t.Fatal(err)
		}
	}
	orgs := []string{"acme", "globex"}
	seqOf := map[string]int64{} // org/id → seq
	registered := map[string][]client.Event{}
	for _, org := range orgs {
		registered[org] = registerOrg(t, clients[0], org)
		for _, e := range registered[org] { // acknowledged to the platform
			seqOf[org+"/"+e.ID] = e.Seq
		}
	}

	const workers, each = 6, 40
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				org := orgs[i%len(orgs)]
				id := fmt.Sprintf("id-%d", (w*each+i)%(workers*each/2)) // sent twice, by workers w and w±3
				c := clients[(w+i)%len(clients)]
				res, err := c.Send(ctx, org, client.Entry{ID: id, Event: "auth.login", Actor: client.Actor{Email: "alice@example.com"}})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				k := org + "/" + id
				if seq, ok := seqOf[k]; ok && seq != res.Events[0].Seq {
					t.Errorf("%s got seqs %d and %d", k, seq, res.Events[0].Seq)
				}
				seqOf[k] = res.Events[0].Seq
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	for _, org := range orgs {
		seqs := map[int64]bool{}
		for k, seq := range seqOf {
			if k[:len(org)+1] == org+"/" {
				seqs[seq] = true
			}
		}
		n := int64(len(seqs))
		for seq := range n {
			if !seqs[seq] {
				t.Errorf("%s: seq %d missing of 0..%d", org, seq, n-1)
			}
		}
		checkRegistered(t, clients[1], org, registered[org])
		checkConsistent(t, clients[:], org, key.VerifierKey, n)
	}

	var out, errOut bytes.Buffer
	if err := runVerify(ctx, []string{"--postgres", pg, "--key", key.VerifierKey}, &out, &errOut); err != nil {
		t.Errorf("stele verify --postgres: %v\n%s%s", err, out.String(), errOut.String())
	}
}

// sharedKey writes a new signing key for several servers to share, and
// returns its file and the key.
func sharedKey(t *testing.T) (string, *ledger.Key) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "signing.key")
	if err := ledger.WriteNewKey(file, "stele.test"); err != nil {
		t.Fatal(err)
	}
	key, err := readKeyFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return file, key
}

// checkConsistent checks that every client's server serves the same
// checkpoint of org at each size its latest (covering size events) has,
// and that consistency proofs between them verify.
func checkConsistent(t *testing.T, clients []*client.Client, org, vkey string, size int64) {
	t.Helper()
	checkpoints := servedCheckpoints(t, clients, org, vkey, size)
	for i := 1; i < len(checkpoints); i++ {
		old, cur := checkpoints[i-1], checkpoints[i]
		p, err := clients[i%len(clients)].ConsistencyProof(context.Background(), org, old.Size, cur.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify.Consistency(hashes(p.Hashes), old.Size, cur.Size, old.Root, cur.Root); err != nil {
			t.Errorf("%s: consistency %d → %d: %v", org, old.Size, cur.Size, err)
		}
	}
}

// servedCheckpoints waits for each server's latest checkpoint of org to
// cover size events, and returns the checkpoints of distinct sizes the
// servers serve, smallest first, having checked that every server serves
// the same one at each size.
func servedCheckpoints(t *testing.T, clients []*client.Client, org, vkey string, size int64) []verify.Checkpoint {
	t.Helper()
	ctx := context.Background()
	origin := verify.Origin(vkey, org)
	var sizes []int64
	for _, c := range clients {
		note, err := waitCheckpoint(ctx, c, org, vkey, size)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := verify.OpenCheckpoint(note, vkey, origin)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, cp.Size)
	}
	slices.Sort(sizes)
	var cps []verify.Checkpoint
	for _, s := range slices.Compact(sizes) {
		var first []byte
		for i, c := range clients {
			note, err := c.CheckpointAt(ctx, org, s)
			if err != nil {
				t.Fatalf("server %d: checkpoint of %s at %d: %v", i, org, s, err)
			}
			if first == nil {
				first = note
			} else if !bytes.Equal(note, first) {
				t.Errorf("servers serve different checkpoints of %s at size %d", org, s)
			}
		}
		cp, err := verify.OpenCheckpoint(first, vkey, origin)
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, cp)
	}
	return cps
}

// waitCheckpoint returns the latest checkpoint c serves of org, signed
// by vkey, once it covers size events, polling for up to a minute.
func waitCheckpoint(ctx context.Context, c *client.Client, org, vkey string, size int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		note, err := c.Checkpoint(ctx, org)
		if err != nil {
			return nil, err
		}
		cp, err := verify.OpenCheckpoint(note, vkey, verify.Origin(vkey, org))
		if err == nil && cp.Size >= size {
			return note, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no checkpoint of %s covering %d events (the latest: %d, %v): %w", org, size, cp.Size, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// hashes converts a proof's hashes as the client has them.
func hashes(hs [][]byte) [][32]byte {
	out := make([][32]byte, len(hs))
	for i, h := range hs {
		out[i] = [32]byte(h)
	}
	return out
}

package client_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/verify"
	"golang.org/x/mod/sumdb/tlog"
)

// A tree of n events, built with tlog, to prove things about offline.
type tree struct {
	events []*client.Event
	hashes map[int64]tlog.Hash
}

func (t *tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = t.hashes[x]
	}
	return out, nil
}

func newTree(t *testing.T, n int) *tree {
	tr := &tree{hashes: map[int64]tlog.Hash{}}
	for i := range n {
		e := &client.Event{Seq: int64(i), Record: verify.Record{
			Org: "acme", ID: fmt.Sprint(i), Event: "auth.login", Category: "auth",
			Timestamp: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), ReceivedAt: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC),
			Actor: verify.Actor{Type: "user", Email: fmt.Sprintf("u%d@example.com", i)}, Salt: make([]byte, verify.SaltSize),
		}}
		leaf, err := verify.LeafHash(&e.Record)
		if err != nil {
			t.Fatal(err)
		}
		e.LeafHash = leaf[:]
		stored, err := tlog.StoredHashesForRecordHash(int64(i), leaf, tr)
		if err != nil {
			t.Fatal(err)
		}
		for j, h := range stored {
			tr.hashes[tlog.StoredHashIndex(0, int64(i))+int64(j)] = h
		}
		tr.events = append(tr.events, e)
	}
	return tr
}

func (tr *tree) checkpoint(t *testing.T, size int64) verify.Checkpoint {
	root, err := tlog.TreeHash(size, tr)
	if err != nil {
		t.Fatal(err)
	}
	return verify.Checkpoint{Origin: "stele.test/org/acme", Size: size, Root: root}
}

func (tr *tree) inclusion(t *testing.T, seq, size int64) *client.InclusionProof {
	p, err := tlog.ProveRecord(size, seq, tr)
	if err != nil {
		t.Fatal(err)
	}
	out := &client.InclusionProof{Seq: seq, TreeSize: size, LeafHash: tr.events[seq].LeafHash}
	for _, h := range p {
		out.Hashes = append(out.Hashes, h[:])
	}
	return out
}

func TestCheckInclusion(t *testing.T) {
	tr := newTree(t, 13)
	cp := tr.checkpoint(t, 13)
	for seq := range int64(13) {
		if err := client.CheckInclusion(tr.events[seq], tr.inclusion(t, seq, 13), cp); err != nil {
			t.Errorf("seq %d: %v", seq, err)
		}
	}
	e, p := tr.events[5], tr.inclusion(t, 5, 13)
	altered := *e
	altered.Actor.Email = "mallory@example.com"
	badHash := *p
	badHash.Hashes = append([][]byte{}, p.Hashes...)
	badHash.Hashes[0] = append([]byte{}, p.Hashes[0]...)
	badHash.Hashes[0][0] ^= 1
	short := *p
	short.Hashes = [][]byte{p.Hashes[0][:31]}
	other := tr.inclusion(t, 6, 13)
	for _, tt := range []struct {
		name string
		e    *client.Event
		p    *client.InclusionProof
		cp   verify.Checkpoint
		want string
	}{
		{"altered content", &altered, p, cp, "other than the proof's"},
		{"altered proof", e, &badHash, cp, "verify"},
		{"short hash", e, &short, cp, "32 bytes"},
		{"another event's proof", e, other, cp, "other than the proof's"},
		{"another checkpoint", e, p, tr.checkpoint(t, 12), "tree of 13"},
	} {
		if err := client.CheckInclusion(tt.e, tt.p, tt.cp); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: CheckInclusion = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckConsistency(t *testing.T) {
	tr := newTree(t, 20)
	for _, sizes := range [][2]int64{{1, 20}, {7, 13}, {8, 16}, {20, 20}} {
		old, cur := tr.checkpoint(t, sizes[0]), tr.checkpoint(t, sizes[1])
		hs, err := tlog.ProveTree(sizes[1], sizes[0], tr)
		if err != nil {
			t.Fatal(err)
		}
		p := &client.ConsistencyProof{From: sizes[0], To: sizes[1]}
		for _, h := range hs {
			p.Hashes = append(p.Hashes, h[:])
		}
		if err := client.CheckConsistency(p, old, cur); err != nil {
			t.Errorf("%v: %v", sizes, err)
		}
		forged := cur
		forged.Root[0] ^= 1
		if err := client.CheckConsistency(p, old, forged); err == nil {
			t.Errorf("%v: a forged new root is consistent", sizes)
		}
		if err := client.CheckConsistency(p, tr.checkpoint(t, sizes[0]+1), cur); err == nil && sizes[0] < sizes[1] {
			t.Errorf("%v: the proof checks for another old size", sizes)
		}
	}
}

func TestNew(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://x", "http://", "://x"} {
		if _, err := client.New(u, "t"); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	if _, err := client.New("http://127.0.0.1:8080/", "t"); err != nil {
		t.Errorf("New with a trailing slash: %v", err)
	}
}

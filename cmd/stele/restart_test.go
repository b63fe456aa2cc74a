package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/store/pgtest"
)

// TestPostgresRestart stops PostgreSQL under load, once as if it crashed
// and once as its operator does, and starts it again. While it is down
// every append fails with 503 (never a false success, never another
// error), and so do reads and /readyz; once it is back the same server takes
// appends again; and every event acknowledged, before, between or after,
// is in the log at the seq it was acknowledged with, once, after the
// organization's creation, which registering it logged.
func TestPostgresRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := pgtest.Private(t)
	keyFile, key := sharedKey(t)
	s := serverT(t, t.TempDir(), "", "--postgres", pg.URL, "--signing-key", keyFile)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server:\n%s\npostgres:\n%s", s.output(), pg.Log())
		}
	})
	c, registered := newOrg(t, s.URL, "acme")

	l := &restartLoad{c: c, acked: map[string]int64{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { l.work(t, w, stop) })
	}
	for _, mode := range []string{"immediate", "fast"} {
		l.waitAcks(t, 20)
		if err := pg.Stop(mode); err != nil {
			t.Fatal(err)
		}
		refused := l.refused.Load()
		waitFor(t, "appends refused with 503 while PostgreSQL is down", func() bool { return l.refused.Load() >= refused+8 })
		if code := readyz(s.URL); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz while PostgreSQL is down = %d, want 503", code)
		}
		var ce *client.Error
		if _, err := c.ListEvents(ctx, "acme", client.ListOptions{Limit: 10}); !errors.As(err, &ce) || ce.Status != http.StatusServiceUnavailable {
			t.Errorf("listing events while PostgreSQL is down: %v, want a 503", err)
		}
		if err := pg.Start(); err != nil {
			t.Fatal(err)
		}
		l.waitAcks(t, 20)
		if code := readyz(s.URL); code != http.StatusOK {
			t.Errorf("/readyz once PostgreSQL is back = %d, want 200", code)
		}
	}
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d events acknowledged, %d appends refused with 503", len(l.acked), l.refused.Load())

	// Sent again, every acknowledged event is a duplicate at its seq: one
	// lost by the restarts would be stored anew, at another.
	seqs := map[int64]string{}
	for _, e := range registered { // acknowledged to the platform
		seqs[e.Seq] = e.ID
	}
	checkRegistered(t, c, "acme", registered)
	for id, seq := range l.acked {
		if other, ok := seqs[seq]; ok {
			t.Errorf("ids %s and %s both acknowledged at seq %d", id, other, seq)
		}
		seqs[seq] = id
		res, err := c.Send(ctx, "acme", restartEntry(id))
		if err != nil {
			t.Fatal(err)
		}
		if rc := res.Events[0]; !rc.Duplicate || rc.Seq != seq {
			t.Errorf("%s, acknowledged at seq %d, sent again: seq %d, duplicate %v", id, seq, rc.Seq, rc.Duplicate)
		}
	}
	n := int64(len(seqs))
	for seq := range n {
		if _, ok := seqs[seq]; !ok {
			t.Errorf("seq %d of 0..%d acknowledged to no one", seq, n-1)
		}
	}
	if _, err := waitCheckpoint(ctx, c, "acme", key.VerifierKey, n); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := runVerify(ctx, []string{"--postgres", pg.URL, "--key", key.VerifierKey}, &out, &errOut); err != nil {
		t.Errorf("stele verify --postgres: %v\n%s%s", err, out.String(), errOut.String())
	}
}

// restartLoad is TestPostgresRestart's clients: each sends events of
// its own ids, two at a time, and sends them again until they are
// acknowledged.
type restartLoad struct {
	c       *client.Client
	refused atomic.Int64 // appends answered 503

	mu    sync.Mutex
	acked map[string]int64 // id → seq
}

func (l *restartLoad) work(t *testing.T, w int, stop <-chan struct{}) {
	for i := 0; ; i++ {
		batch := []client.Entry{restartEntry(fmt.Sprintf("w%d-%d-a", w, i)), restartEntry(fmt.Sprintf("w%d-%d-b", w, i))}
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := l.c.Send(context.Background(), "acme", batch...)
			var ce *client.Error
			if errors.As(err, &ce) && ce.Status == http.StatusServiceUnavailable {
				l.refused.Add(1)
				time.Sleep(20 * time.Millisecond)
				continue
			}
			if err != nil {
				t.Errorf("append: %v", err)
				return
			}
			l.mu.Lock()
			for _, rc := range res.Events {
				l.acked[rc.ID] = rc.Seq
			}
			l.mu.Unlock()
			break
		}
	}
}

// waitAcks waits until n more events are acknowledged.
func (l *restartLoad) waitAcks(t *testing.T, n int) {
	t.Helper()
	l.mu.Lock()
	want := len(l.acked) + n
	l.mu.Unlock()
	waitFor(t, fmt.Sprintf("%d events acknowledged", want), func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.acked) >= want
	})
}

func restartEntry(id string) client.Entry {
	return client.Entry{ID: id, Event: "auth.login", Actor: client.Actor{Email: "alice@example.com"}}
}

// waitFor polls cond for up to a minute, failing t if it stays false.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readyz returns the status of url's /readyz.
func readyz(url string) int {
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

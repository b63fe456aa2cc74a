package postgres

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
)

// testEvent returns a plain event of org at seq, happening at ts.
func testEvent(org string, seq int64, ts time.Time) *store.Event {
	return &store.Event{Seq: seq, Record: verify.Record{
		Org:        org,
		ID:         fmt.Sprintf("%s-%d", org, seq),
		Timestamp:  ts,
		ReceivedAt: ts,
		Event:      "auth.login",
		Category:   "auth",
		Actor:      verify.Actor{Type: "user", ID: "u_1", Email: "alice@example.com", Name: "Alice"},
		IP:         "192.0.2.1",
		Salt:       make([]byte, verify.SaltSize),
	}}
}

// appendEvents appends events to org's log in one transaction.
func appendEvents(t *testing.T, db *DB, org string, events ...*store.Event) {
	t.Helper()
	err := db.ReadWrite(t.Context(), func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockHead(ctx, org); err != nil {
			return err
		}
		return tx.Append(ctx, org, events)
	})
	if err != nil {
		t.Fatalf("appending: %v", err)
	}
}

// tableOf returns, for each seq of org, the partition of events its row
// is in.
func tableOf(t *testing.T, db *DB, org string) map[int64]string {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), `SELECT seq, tableoid::regclass::text FROM events WHERE org = $1`, org)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[int64]string{}
	for rows.Next() {
		var seq int64
		var table string
		if err := rows.Scan(&seq, &table); err != nil {
			t.Fatal(err)
		}
		m[seq] = table
	}
	return m
}

// listAll returns the seqs of org's events, newest first.
func listAll(t *testing.T, db *DB, org string, f store.Filter) []int64 {
	t.Helper()
	f.Limit = 1000
	var seqs []int64
	err := db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
		return r.List(ctx, org, f, func(e *store.Event) error {
			seqs = append(seqs, e.Seq)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return seqs
}

// TestPartitions checks that Append creates the partitions of months far
// apart, each batch's rows in their month's, and that a store opened
// later knows them.
func TestPartitions(t *testing.T) {
	u := newSchema(t)
	db := openTest(t, u)
	times := []time.Time{
		time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC),
		time.Date(2026, 3, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2100, 1, 1, 0, 0, 0, 0, time.FixedZone("UTC+1", 3600)), // December 2099 in UTC
		time.Date(1677, 9, 21, 1, 0, 0, 0, time.UTC),                     // the first month, cut short
		time.Date(2262, 4, 11, 0, 0, 0, 0, time.UTC),                     // the last
	}
	want := map[int64]string{0: "events_1969_07", 1: "events_2026_03", 2: "events_2026_04",
		3: "events_2099_12", 4: "events_1677_09", 5: "events_2262_04"}
	var events []*store.Event
	for i, ts := range times {
		events = append(events, testEvent("acme", int64(i), ts))
	}
	appendEvents(t, db, "acme", events[:3]...)
	appendEvents(t, db, "acme", events[3:]...)
	if got := tableOf(t, db, "acme"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("partitions of the events = %v, want %v", got, want)
	}
	if got, want := listAll(t, db, "acme", store.Filter{}), []int64{5, 3, 2, 1, 0, 4}; !slices.Equal(got, want) {
		t.Errorf("List(acme) = %v, want %v", got, want)
	}
	err := db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
		for i, e := range events {
			got, err := r.Event(ctx, "acme", int64(i))
			if err != nil || !got.Timestamp.Equal(e.Timestamp) {
				t.Errorf("Event(acme, %d) = %v, %v, want the one at %v", i, got, err, e.Timestamp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	again := openTest(t, u)
	for _, table := range want {
		var y, m int
		fmt.Sscanf(table, "events_%04d_%02d", &y, &m)
		if !again.parts.known[month(y*12+m-1)] {
			t.Errorf("reopened: %s is not known", table)
		}
	}
}

// TestDefaultPartition checks that events whose month's partition can't
// be created in time go to the default partition, and stay listed there.
func TestDefaultPartition(t *testing.T) {
	timeout := partitionLockTimeout
	partitionLockTimeout = 100 * time.Millisecond
	t.Cleanup(func() { partitionLockTimeout = timeout })
	db := openTest(t, newSchema(t))

	// A long read holds the default partition: attaching must wait.
	reading, done := make(chan struct{}), make(chan struct{})
	go func() {
		db.Read(t.Context(), func(ctx context.Context, r store.Reader) error {
			err := r.List(ctx, "nobody", store.Filter{Limit: 1}, func(*store.Event) error { return nil })
			close(reading)
			<-done
			return err
		})
	}()
	<-reading
	may := time.Date(2031, 5, 17, 0, 0, 0, 0, time.UTC)
	appendEvents(t, db, "acme", testEvent("acme", 0, may))
	close(done)
	if got := tableOf(t, db, "acme"); got[0] != "events_default" {
		t.Errorf("partitions = %v, want seq 0 in events_default", got)
	}
	// Trying again later finds the month's events in the default
	// partition, and leaves them, and the month's next ones, there.
	db.parts.retry = map[month]time.Time{}
	appendEvents(t, db, "acme", testEvent("acme", 1, may.Add(time.Hour)))
	if got := tableOf(t, db, "acme"); got[0] != "events_default" || got[1] != "events_default" {
		t.Errorf("partitions = %v, want seqs 0 and 1 in events_default", got)
	}
	if got, want := listAll(t, db, "acme", store.Filter{Since: may}), []int64{1, 0}; !slices.Equal(got, want) {
		t.Errorf("List(acme) = %v, want %v", got, want)
	}
}

package store

import (
	"testing"
	"time"
)

// TestPace checks that the indexer rests only while ingest outpaces it.
func TestPace(t *testing.T) {
	var p Pace
	at, appended := time.Unix(1_000_000, 0), int64(0)
	for _, tt := range []struct {
		name string
		grew int64         // events appended since the pass before
		dt   time.Duration // since the pass before
		n    int64         // events the pass indexed
		took time.Duration // and how long it took
		want bool
	}{
		{"first pass", 5000, 0, 1000, time.Second, false},
		{"ingest outpaces", 10000, time.Second, 1000, time.Second / 2, true},
		{"ingest slower than indexing", 1000, time.Second, 1000, time.Second / 2, false},
		{"as fast", 2000, time.Second, 1000, time.Second / 2, false},
		{"just faster", 2001, time.Second, 1000, time.Second / 2, true},
		{"no ingest", 0, time.Second, 1000, time.Second / 2, false},
		{"same instant", 10000, 0, 1000, time.Second / 2, false},
		{"nothing indexed, ingest", 10, time.Second, 0, time.Second, true},
		{"nothing indexed, no ingest", 0, time.Second, 0, time.Second, false},
		{"no time taken", 10, time.Second, 1000, 0, false},
		{"after a long rest, slow ingest", 100, time.Minute, 1000, time.Second, false},
	} {
		at, appended = at.Add(tt.dt), appended+tt.grew
		if got := p.Rests(appended, at, tt.n, tt.took); got != tt.want {
			t.Errorf("%s: Rests = %v, want %v", tt.name, got, tt.want)
		}
	}
}

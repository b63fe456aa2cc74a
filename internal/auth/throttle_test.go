package auth

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	th := NewThrottle(3, 10*time.Minute, func() time.Time { return now })
	allowed := func(key string, want bool, wantWait time.Duration) {
		t.Helper()
		ok, wait := th.Allow(key)
		if ok != want || wait != wantWait {
			t.Errorf("at %v: Allow(%s) = %v, %v; want %v, %v", now.Format("15:04"), key, ok, wait, want, wantWait)
		}
	}
	for i := range 3 {
		allowed("a", true, 0)
		th.Fail("a")
		if i < 2 {
			now = now.Add(time.Minute)
		}
	}
	// Failures at 0:00, 0:01, 0:02: locked until the first ages out.
	allowed("a", false, 8*time.Minute)
	allowed("b", true, 0)
	now = now.Add(8 * time.Minute) // 0:10
	allowed("a", true, 0)
	th.Fail("a") // 0:01, 0:02, 0:10
	allowed("a", false, time.Minute)
	// More failures while locked keep only the last three.
	th.Fail("a")
	th.Fail("a") // 0:10 ×3
	allowed("a", false, 10*time.Minute)
	th.Reset("a")
	allowed("a", true, 0)
	now = now.Add(time.Hour)
	th.Fail("b")
	if len(th.fails) != 1 {
		t.Errorf("remembers %d keys, want 1", len(th.fails))
	}
}

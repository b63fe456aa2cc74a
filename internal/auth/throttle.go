package auth

import (
	"sync"
	"time"
)

// A Throttle slows down password guessing: it counts the failed sign-ins
// of each key (an account, an address) over a sliding window and refuses
// a key that reached its limit until its oldest failure in the window has
// aged out. A success does not clear an address's failures, so one
// attacker can't reset their count by signing in to an account of their
// own between guesses at others.
//
// It counts in this process: several servers on one database each allow
// the limit, which still bounds guessing to a few tries a minute.
type Throttle struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	fails map[string][]time.Time // guarded by mu: failures in the window, oldest first
}

// maxThrottled bounds the keys a Throttle remembers; past it, it forgets
// those whose failures have all aged out.
const maxThrottled = 100_000

// NewThrottle returns a Throttle allowing limit failures per key within
// window.
func NewThrottle(limit int, window time.Duration, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{limit: limit, window: window, now: now, fails: map[string][]time.Time{}}
}

// Allow reports whether key may try again, and if not, how long until it
// may.
func (t *Throttle) Allow(key string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	fails := t.recent(key, now)
	if len(fails) < t.limit {
		return true, 0
	}
	return false, fails[len(fails)-t.limit].Add(t.window).Sub(now)
}

// Fail counts a failed try of key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.fails) >= maxThrottled {
		for k := range t.fails {
			if len(t.recent(k, now)) == 0 {
				delete(t.fails, k)
			}
		}
	}
	fails := append(t.recent(key, now), now)
	if len(fails) > t.limit {
		fails = fails[len(fails)-t.limit:] // only the last limit decide
	}
	t.fails[key] = fails
}

// Reset forgets key's failures, after it proved itself.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

// recent returns key's failures within the window, dropping older ones.
// t.mu is held.
func (t *Throttle) recent(key string, now time.Time) []time.Time {
	fails := t.fails[key]
	i := 0
	for i < len(fails) && !fails[i].Add(t.window).After(now) {
		i++
	}
	if i == len(fails) {
		delete(t.fails, key)
		return nil
	}
	fails = fails[i:]
	t.fails[key] = fails
	return fails
}

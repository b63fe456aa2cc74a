package server

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// A limiter keeps one token bucket per credential. Only authenticated
// callers get a bucket, so there are at most as many as there are keys.
type limiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter // guarded by mu
}

const maxBuckets = 100000

func newLimiter(perSecond float64, burst int, now func() time.Time) *limiter {
	l := &limiter{limit: rate.Limit(perSecond), burst: burst, now: now, buckets: map[string]*rate.Limiter{}}
	if perSecond < 0 {
		l.limit = rate.Inf
	}
	return l
}

// allow takes a token from who's bucket, or says how long until one is
// there.
func (l *limiter) allow(who string) (bool, time.Duration) {
	if l.limit == rate.Inf {
		return true, 0
	}
	l.mu.Lock()
	b, ok := l.buckets[who]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			clear(l.buckets)
		}
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[who] = b
	}
	l.mu.Unlock()
	now := l.now()
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// retryAfter rounds d up to whole seconds, as Retry-After wants.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

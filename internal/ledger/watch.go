package ledger

import "sync"

// growth wakes those watching logs for new events.
type growth struct {
	mu     sync.Mutex
	waits  map[string]chan struct{} // guarded by mu; closed when the log grows
	closed bool                     // guarded by mu: the ledger stopped
}

// Watch returns a channel that is closed once org's log grows past what is
// committed now, or the ledger closes. Read the new events from the store
// after it is closed, then Watch again.
func (l *Ledger) Watch(org string) <-chan struct{} {
	g := &l.growth
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.waits == nil {
		g.waits = map[string]chan struct{}{}
	}
	c, ok := g.waits[org]
	if !ok {
		c = make(chan struct{})
		if g.closed {
			close(c)
			return c
		}
		g.waits[org] = c
	}
	return c
}

// grew wakes the watchers of orgs, whose logs just grew durably.
func (g *growth) grew(orgs []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, org := range orgs {
		if c, ok := g.waits[org]; ok {
			close(c)
			delete(g.waits, org)
		}
	}
}

// closeAll wakes every watcher, when the ledger stops.
func (g *growth) closeAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	for org, c := range g.waits {
		close(c)
		delete(g.waits, org)
	}
}

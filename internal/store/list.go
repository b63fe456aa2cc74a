package store

import (
	"context"
	"time"

	"github.com/steleaudit/stele/internal/query"
)

// A Filter selects events of one organization for List. Its times may be
// any time.Time, even beyond what a backend can store, and After need not
// be the position of a stored event.
type Filter struct {
	// Since and Until bound the events' timestamps: Since <= t < Until.
	// A zero time leaves that side open.
	Since, Until time.Time
	// After, when set, lists only events after that position in List's
	// order: the keyset cursor of the next page.
	After *Position
	// Limit is the most events listed; it must be positive.
	Limit int
	// Query, when set, lists only the events matching it, with the
	// semantics its package documents. Its timestamp terms AND with Since
	// and Until.
	Query *query.Query
}

// A Position is an event's place in List's order.
type Position struct {
	Timestamp time.Time
	Seq       int64
}

// Lister lists events by filter.
type Lister interface {
	// List calls fn for org's events matching f, newest first: by
	// timestamp descending, then seq descending. Since the position of an
	// event never changes, pages cut by After neither repeat nor skip
	// events while others are appended. The *Event is only valid during
	// the call; an error from fn stops the listing and is returned.
	List(ctx context.Context, org string, f Filter, fn func(*Event) error) error
}

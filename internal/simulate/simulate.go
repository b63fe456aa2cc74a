// Package simulate makes the audit events of one customer organization of
// Stele's first platform, a smart-contract security product: members who
// sign in and out, are invited, join, change roles and leave; teams and
// projects; contracts that are uploaded and scanned; findings that are
// triaged, assigned, discussed and closed; API keys, settings and billing;
// and now and then someone trying passwords against an account.
//
// The events are a story, not a shuffle: they follow from the state of a
// simulated world and change it, so a finding moves from its current
// status to a valid next one, nobody acts before joining or after being
// removed, nothing happens to a deleted project, and people keep the
// hours of their time zones. History tells the story of a time range (the
// data of `stele server --dev`); Next goes on telling it, one event at a
// time, as a load generator wants. Both are deterministic given the seed.
//
// Only event types of the built-in catalog are used (package event).
package simulate

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/steleaudit/stele/client"
)

// Config says which organization to simulate and when.
type Config struct {
	// Seed picks the story: the same Config gives the same events.
	Seed uint64
	// Start and End bound the events of History, [Start, End). A zero
	// Start means 60 days before End; a zero End, 60 days after Start;
	// both zero, the 60 days from Monday 2026-01-05 00:00 UTC.
	Start, End time.Time
	// Members is how many members the organization has at Start; zero
	// means 40. Over time some are invited, join, and are removed.
	Members int
}

// A Sim is a simulated organization and the story of its events so far.
// It is not safe for concurrent use.
type Sim struct {
	rnd    *rand.Rand
	salt   uint32 // for ids made from counters
	prefix []byte // of entry ids: "sim-<seed>-"
	made   uint64 // entries made

	start, end time.Time
	told       bool      // History has run, or Next has
	clock      time.Time // the story's: Next's events happen at its pace
	week       [168]float64
	rate       float64   // events per second in an hour of weight 1
	nightly    time.Time // when the next nightly scans run
	queue      []pending // a heap by due time
	seq        uint64    // of pending events, to break ties

	members    []*member // invited and active
	teams      []*team
	projects   []*project
	keys       []*apiKey // live ones
	open       []*finding
	closed     []*finding // the last closedKept closed, a ring
	closedNext int
	settings   []int // the index of each setting's current value in settingKinds
	seats      int
	target     int // members the organization grows to
	counts     struct{ users, teams, projects, contracts, findings, comments uint64 }
}

// The default range, when Config sets none.
var (
	defaultStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	defaultRange = 60 * 24 * time.Hour
)

// New returns the organization of cfg as it is at cfg.Start.
func New(cfg Config) *Sim {
	start, end := cfg.Start.UTC(), cfg.End.UTC() // UTC drops monotonic readings
	switch {
	case cfg.Start.IsZero() && cfg.End.IsZero():
		start, end = defaultStart, defaultStart.Add(defaultRange)
	case cfg.Start.IsZero():
		start = end.Add(-defaultRange)
	case cfg.End.IsZero():
		end = start.Add(defaultRange)
	}
	if cfg.Members <= 0 {
		cfg.Members = 40
	}
	s := &Sim{
		rnd:    rand.New(rand.NewPCG(cfg.Seed, 0x5354454c45)),
		salt:   uint32(cfg.Seed) ^ uint32(cfg.Seed>>32),
		prefix: strconv.AppendUint([]byte("sim-"), cfg.Seed, 10),
		start:  start,
		end:    end,
		clock:  start,
		target: cfg.Members + max(2, cfg.Members/5),
	}
	s.prefix = append(s.prefix, '-')
	s.populate(cfg.Members)
	s.measureWeek()
	// The nightly scans run at two in the morning, New York time.
	s.nightly = start.Truncate(24 * time.Hour).Add(2*time.Hour - scheduleOffset*time.Minute)
	for s.nightly.Before(start) {
		s.nightly = s.nightly.Add(24 * time.Hour)
	}
	return s
}

// History returns n events stamped in [Start, End), in timestamp order,
// busier in working hours and on weekdays: the story of those days. It
// must be the first call on s, and made once: it panics otherwise, or if
// End is not after Start.
func (s *Sim) History(n int) []client.Entry {
	if s.told {
		panic("simulate: History called after History or Next")
	}
	if !s.end.After(s.start) {
		panic("simulate: History needs End after Start")
	}
	s.told = true
	entries := make([]client.Entry, n)
	for i, at := range s.skeleton(n, s.start, s.end) {
		entries[i] = s.step(at)
	}
	s.clock = s.end
	return entries
}

// Next returns the story's next event, stamped at. The story moves at the
// pace of an organization of this size (some 21 events a day a member, by
// the hours of its week), whatever the times given: the events of Next
// depend only on the Config and how many came before, so that a load
// generator's run can be repeated. After History, the story goes on from
// End.
func (s *Sim) Next(at time.Time) client.Entry {
	s.told = true
	s.clock = s.clock.Add(s.pace(s.clock))
	e := s.step(s.clock)
	e.Timestamp = at
	return e
}

// step makes the next event of the story with the story's clock at
// clock: the earliest pending event due by then (a session's next action,
// a burst's next attempt, a scan completing), stamped when it was due, or
// else something new, stamped at clock. Pending events fall due in order
// and are due after the event that scheduled them, so the stamps never go
// back in time.
func (s *Sim) step(clock time.Time) client.Entry {
	for !clock.Before(s.nightly) {
		s.scheduleNightly(s.nightly)
		s.nightly = s.nightly.Add(24 * time.Hour)
	}
	var e client.Entry
	for len(s.queue) > 0 && !s.queue[0].due.After(clock) {
		p := s.pop()
		if s.fire(&p, &e) {
			e.Timestamp = p.due
			return s.stamp(e)
		}
		e = client.Entry{}
	}
	s.fresh(clock, &e)
	e.Timestamp = clock
	return s.stamp(e)
}

// stamp gives e its id, unique and the same on every run of a seed, so
// that sending it again is harmless.
func (s *Sim) stamp(e client.Entry) client.Entry {
	s.made++
	e.ID = string(strconv.AppendUint(s.prefix, s.made, 10))
	return e
}

// A pending event is one the story has scheduled: the rest of something
// already begun.
type pending struct {
	due     time.Time
	seq     uint64
	kind    int
	n       int // actions left in a session, attempts in a burst
	m       *member
	c       *contract
	f       *finding
	k       *apiKey
	ip, ua  string // a CI run's, an intruder's
	trigger string // a scan's; recovery for a kLogin that cleans up
	email   string // the account a burst tries, when it is no member's
}

func (s *Sim) schedule(p pending) {
	s.seq++
	p.seq = s.seq
	s.queue = append(s.queue, p)
	for i := len(s.queue) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s.queue[i].before(&s.queue[parent]) {
			break
		}
		s.queue[i], s.queue[parent] = s.queue[parent], s.queue[i]
		i = parent
	}
}

func (s *Sim) pop() pending {
	q := s.queue
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = pending{}
	q = q[:last]
	for i := 0; ; {
		least, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q[l].before(&q[least]) {
			least = l
		}
		if r < len(q) && q[r].before(&q[least]) {
			least = r
		}
		if least == i {
			break
		}
		q[i], q[least] = q[least], q[i]
		i = least
	}
	s.queue = q
	return top
}

func (p *pending) before(q *pending) bool {
	if c := p.due.Compare(q.due); c != 0 {
		return c < 0
	}
	return p.seq < q.seq
}

package store

import "time"

// A Pace tells a store's text indexer, which indexes appended events
// outside the transactions that append them, when to rest so that ingest
// keeps the database. It rests while ingest outpaces it: while the logs
// grew faster, since it last looked, than it indexes. Ingest it can keep
// up with, it keeps up with; resting whenever events were appended, it
// fell behind under a steady load the database had room for, and searches
// read ever more unindexed events. Faster ingest it leaves the database
// to, and catches up once ingest slows. The zero Pace is ready; it is
// used by one goroutine.
type Pace struct {
	appended int64     // the logs' events at the last look
	at       time.Time // when that was
}

// Rests reports whether the indexer is to rest after a pass that began at
// start, when the logs held appended events, and indexed n of them in
// took: whether the logs grew faster, from the pass before to this one,
// than this one indexed.
func (p *Pace) Rests(appended int64, start time.Time, n int64, took time.Duration) bool {
	was, wasAt := p.appended, p.at
	p.appended, p.at = appended, start
	if wasAt.IsZero() || !start.After(wasAt) || appended <= was {
		return false
	}
	ingest := float64(appended-was) / start.Sub(wasAt).Seconds()
	return took > 0 && ingest > float64(n)/took.Seconds()
}

package simulate

import (
	"math"
	"time"
)

// The rhythm of the week: people work in their own time zones, mostly on
// weekdays from nine to six, a few of them at night and on weekends.

// Activity of a person by local hour, on weekdays and on weekends: 1 is a
// busy working hour.
var (
	weekdayHours = [24]float64{
		0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.15, 0.5, 0.9, 1, 1,
		0.7, 0.85, 1, 1, 0.95, 0.8, 0.45, 0.2, 0.15, 0.12, 0.08, 0.04,
	}
	weekendHours = [24]float64{
		0.01, 0.01, 0.005, 0.005, 0.005, 0.005, 0.01, 0.02, 0.04, 0.06, 0.09, 0.1,
		0.1, 0.1, 0.1, 0.09, 0.08, 0.07, 0.06, 0.06, 0.05, 0.04, 0.03, 0.02,
	}
)

// perMemberDay is how many events a member causes on an average day: the
// pace of Next, and of History when asked for about 50,000 events over 60
// days from 40 members.
const perMemberDay = 21.0

// monday is a Monday 00:00 UTC, as Unix seconds: hours of the week count
// from it.
const monday = 4 * 86400

// local returns the day of the week (0 is Sunday) and the hour at unix
// seconds in the time zone offset minutes east of UTC.
func local(unix int64, offset int) (weekday, hour int) {
	t := unix + int64(offset)*60
	day := floorDiv(t, 86400)
	return int((day + 4) % 7), int((t - day*86400) / 3600)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// activity is how likely m is to be at work at unix seconds, relative to
// a busy working hour.
func (m *member) activity(unix int64) float64 {
	wd, h := local(unix, m.tz)
	a := weekdayHours[h]
	if wd == 0 || wd == 6 {
		a = weekendHours[h]
	}
	if m.owl && (h >= 20 || h < 3 || wd == 0 || wd == 6) {
		a = max(a*4, 0.25)
	}
	return a
}

// hourOfWeek returns the hour of the week (0 is Monday 00:00 UTC) at unix
// seconds.
func hourOfWeek(unix int64) int {
	h := floorDiv(unix-monday, 3600) % 168
	if h < 0 {
		h += 168
	}
	return int(h)
}

// measureWeek sets s.week to how busy the organization is in each hour of
// the week, from its members' time zones and habits, scaled to a mean of
// 1. Machines (CI, nightly scans) keep a floor under it.
func (s *Sim) measureWeek() {
	var sum float64
	for h := range s.week {
		mid := int64(monday + h*3600 + 1800)
		v := 0.0
		for _, m := range s.members {
			v += m.weight * m.activity(mid)
		}
		s.week[h] = v
		sum += v
	}
	mean := sum / float64(len(s.week))
	for h := range s.week {
		s.week[h] = 0.03 + s.week[h]/mean
	}
	s.rate = float64(len(s.members)) * perMemberDay / 86400 / 1.03
}

// skeleton returns n times in [start, end), sorted, drawn from the
// week's rhythm: the clock History runs the story by. Times are whole
// milliseconds after start.
func (s *Sim) skeleton(n int, start, end time.Time) []time.Time {
	// The hours (or parts of hours at either end) of the range, and the
	// share of events each should get.
	type span struct {
		from time.Duration // after start
		len  time.Duration
		mass float64
	}
	var spans []span
	total := 0.0
	for at := start; at.Before(end); {
		next := at.Truncate(time.Hour).Add(time.Hour)
		if next.After(end) {
			next = end
		}
		sp := span{from: at.Sub(start), len: next.Sub(at)}
		sp.mass = s.week[hourOfWeek(at.Unix())] * sp.len.Seconds()
		spans = append(spans, sp)
		total += sp.mass
		at = next
	}
	// n sorted uniform draws, as normalized sums of exponential gaps:
	// sorted without sorting.
	u := make([]float64, n)
	acc := 0.0
	for i := range u {
		acc += s.rnd.ExpFloat64()
		u[i] = acc
	}
	acc += s.rnd.ExpFloat64()
	times := make([]time.Time, n)
	j, before := 0, 0.0 // span, and the mass of the spans before it
	for i, x := range u {
		x *= total / acc
		for j < len(spans)-1 && x >= before+spans[j].mass {
			before += spans[j].mass
			j++
		}
		sp := spans[j]
		frac := math.Min((x-before)/sp.mass, 1)
		off := (sp.from + time.Duration(frac*float64(sp.len))).Truncate(time.Millisecond)
		if max := end.Sub(start) - time.Millisecond; off > max {
			off = max
		}
		times[i] = start.Add(off)
	}
	return times
}

// pace returns how far the story clock moves for one event of Next: an
// exponential gap at the rate of the hour of the week at clock.
func (s *Sim) pace(clock time.Time) time.Duration {
	secs := s.rnd.ExpFloat64() / (s.rate * s.week[hourOfWeek(clock.Unix())])
	return time.Duration(secs * float64(time.Second)).Truncate(time.Millisecond)
}

// pickMember draws an active member not in a session, by how active each
// is at unix seconds and how busy they are in general; nil when none is.
func (s *Sim) pickMember(unix int64) *member {
	total := 0.0
	for _, m := range s.members {
		if m.state == active && !m.inSession {
			total += m.weight * m.activity(unix)
		}
	}
	if total == 0 {
		return nil
	}
	x := s.rnd.Float64() * total
	var last *member
	for _, m := range s.members {
		if m.state == active && !m.inSession {
			x -= m.weight * m.activity(unix)
			last = m
			if x < 0 {
				break
			}
		}
	}
	return last
}

// nextMorning returns a time in the first working hour, at least an hour
// after unix seconds, in m's time zone (a weekday at nine to ten).
func (s *Sim) nextMorning(m *member, unix int64) int64 {
	t := unix + 3600
	for range 24 * 8 {
		wd, h := local(t, m.tz)
		if wd != 0 && wd != 6 && h == 9 {
			break
		}
		t += 3600 - (t+int64(m.tz)*60)%3600
	}
	return t + int64(s.rnd.IntN(3600))
}

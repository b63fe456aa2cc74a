package query

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Times in a timestamp term lie in [minTime, endTime): Stele holds no
// events before the Unix epoch, and RFC 3339 has no years after 9999.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	endTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

const dateLayout = "2006-01-02"

// An instantKind is how a time in a range was written.
type instantKind int

const (
	dateKind     instantKind = iota // a whole UTC day
	datetimeKind                    // an RFC 3339 instant
	relativeKind                    // a duration before now
)

// An instant is a time in a range, as written.
type instant struct {
	t    time.Time // the start of the day for a date; in UTC
	kind instantKind
}

// end returns the first time after the instant: the next day for a date,
// the next nanosecond for a datetime, and the same moment for a relative
// time, which is a moment compared with >= and <.
func (i instant) end() time.Time {
	switch i.kind {
	case dateKind:
		return i.t.AddDate(0, 0, 1)
	case datetimeKind:
		return i.t.Add(time.Nanosecond)
	}
	return i.t
}

// timestamp sets t.Since and t.Until from the value of a timestamp: term.
func (p *parser) timestamp(t *Term, it item) error {
	if len(it.parts) > 1 {
		return p.errorf(it.pos, "wildcards don't apply to timestamp:; use a range, as in 2026-01-01..2026-01-31")
	}
	s := it.parts[0]
	// at returns the offset in the input of s[i], exactly when the value is
	// written without quotes or escapes.
	at := func(i int) int {
		if it.text == s {
			return it.pos + i
		}
		return it.pos
	}
	for _, op := range []string{">=", "<=", ">", "<"} {
		if !strings.HasPrefix(s, op) {
			continue
		}
		a, err := p.instant(s[len(op):], at(len(op)), op)
		if err != nil {
			return err
		}
		switch op {
		case ">=":
			t.Since = a.t
		case ">":
			t.Since = a.end()
		case "<=":
			t.Until = a.end()
		case "<":
			t.Until = a.t
		}
		return nil
	}
	if i := strings.Index(s, ".."); i >= 0 {
		a, err := p.instant(s[:i], at(0), "")
		if err != nil {
			return err
		}
		b, err := p.instant(s[i+2:], at(i+2), "..")
		if err != nil {
			return err
		}
		t.Since, t.Until = a.t, b.end()
		if !t.Since.Before(t.Until) {
			return p.errorf(it.pos, "the range %q ends before it starts", it.text)
		}
		return nil
	}
	a, err := p.instant(s, at(0), "timestamp:")
	if err != nil {
		return err
	}
	if a.kind == relativeKind {
		return p.errorf(it.pos, "a relative time needs a comparison, as in timestamp:>%s", s)
	}
	t.Since, t.Until = a.t, a.end()
	return nil
}

// instant parses s, a time at offset off that follows after: an operator,
// "..", "timestamp:" (for a lone date or time), or "" (a range's start).
func (p *parser) instant(s string, off int, after string) (instant, error) {
	var a instant
	switch {
	case s == "" && after == "":
		return a, p.errorf(off, `expected a date or a time before "..", as in 2026-01-01..2026-01-31`)
	case s == "":
		return a, p.errorf(off, "expected a date, a time or a relative time after %q, as in 2026-01-01, 2026-01-01T12:00:00Z or -24h", after)
	case s[0] == '-':
		d, ok := relative(s)
		if !ok {
			return a, p.errorf(off, `bad relative time %q: expected "-", a number and s, m, h, d or w, as in -24h`, s)
		}
		if d < 0 {
			return a, p.errorf(off, "relative time %q is too far back", s)
		}
		a = instant{p.now.Add(-d), relativeKind}
	case strings.ContainsRune(s, 'T'):
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return a, p.errorf(off, "bad time %q: expected an RFC 3339 time, as in 2026-01-01T12:00:00Z", s)
		}
		a = instant{t.UTC(), datetimeKind}
	case '0' <= s[0] && s[0] <= '9':
		t, err := time.Parse(dateLayout, s)
		if err != nil {
			return a, p.errorf(off, "bad date %q: expected YYYY-MM-DD, as in 2026-01-31", s)
		}
		a = instant{t, dateKind}
	case after == "timestamp:":
		return a, p.errorf(off, `expected a range after "timestamp:", as in >=2026-01-01, 2026-01-01..2026-01-31 or >-24h, not %q`, s)
	default:
		return a, p.errorf(off, "expected a date, a time or a relative time after %q, as in 2026-01-01, 2026-01-01T12:00:00Z or -24h, not %q", after, s)
	}
	switch {
	case a.t.Before(minTime):
		return a, p.errorf(off, "time %q is before 1970-01-01", s)
	case !a.t.Before(endTime):
		return a, p.errorf(off, "time %q is after 9999-12-31", s)
	}
	return a, nil
}

// units are the units of relative times.
var units = map[byte]time.Duration{
	's': time.Second,
	'm': time.Minute,
	'h': time.Hour,
	'd': 24 * time.Hour,
	'w': 7 * 24 * time.Hour,
}

// relative parses a relative time such as "-24h", returning its duration,
// or -1 if it is too long for a time.Duration.
func relative(s string) (time.Duration, bool) {
	if len(s) < 3 {
		return 0, false
	}
	digits, unit := s[1:len(s)-1], units[s[len(s)-1]]
	if unit == 0 || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/int64(unit) {
		return -1, true
	}
	return time.Duration(n) * unit, true
}

// formatRange returns the canonical text of the range [since, until), such
// that parsing it gives the same range back. It prefers dates, >= and <;
// ranges being inclusive as written, an end that isn't a whole day prints
// as the RFC 3339 time a nanosecond before until.
func formatRange(since, until time.Time) string {
	since, until = since.UTC(), until.UTC()
	switch {
	case since.IsZero() && until.IsZero():
		return ">=" + minTime.Format(dateLayout)
	case until.IsZero() && since.Equal(endTime):
		return ">9999-12-31"
	case until.IsZero():
		return ">=" + formatStart(since)
	case since.IsZero() && until.Equal(endTime):
		return "<=9999-12-31"
	case since.IsZero():
		return "<" + formatStart(until)
	case until.Sub(since) == time.Nanosecond:
		return since.Format(time.RFC3339Nano)
	case isDay(since) && until.Equal(since.AddDate(0, 0, 1)):
		return since.Format(dateLayout)
	case isDay(until):
		return formatStart(since) + ".." + until.AddDate(0, 0, -1).Format(dateLayout)
	}
	return since.Format(time.RFC3339Nano) + ".." + until.Add(-time.Nanosecond).Format(time.RFC3339Nano)
}

// formatStart returns t as a date if it starts a day, or else as a time.
func formatStart(t time.Time) string {
	if isDay(t) {
		return t.Format(dateLayout)
	}
	return t.Format(time.RFC3339Nano)
}

// isDay reports whether t is midnight UTC.
func isDay(t time.Time) bool {
	h, m, s := t.Clock()
	return h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0
}

package query

import (
	"reflect"
	"testing"
	"time"
)

// timestampTests are timestamp: values, the range they give with now and
// their canonical text ("" for the input itself).
var timestampTests = []struct {
	in           string
	since, until time.Time
	canon        string
}{
	// Comparisons with dates: a date is its whole day.
	{">=2026-01-01", day("2026-01-01"), time.Time{}, ""},
	{">2026-01-01", day("2026-01-02"), time.Time{}, ">=2026-01-02"},
	{"<2026-02-01", time.Time{}, day("2026-02-01"), ""},
	{"<=2026-01-31", time.Time{}, day("2026-02-01"), "<2026-02-01"},
	{"<=2028-02-28", time.Time{}, day("2028-02-29"), "<2028-02-29"},

	// Comparisons with times: a time is one instant.
	{"<2026-02-01T00:00:00Z", time.Time{}, day("2026-02-01"), "<2026-02-01"},
	{">=2026-01-01T12:00:00Z", at("2026-01-01T12:00:00Z"), time.Time{}, ""},
	{">2026-01-01T12:00:00Z", at("2026-01-01T12:00:00.000000001Z"), time.Time{}, ">=2026-01-01T12:00:00.000000001Z"},
	{"<=2026-01-01T12:00:00Z", time.Time{}, at("2026-01-01T12:00:00.000000001Z"), "<2026-01-01T12:00:00.000000001Z"},
	{">=2026-01-01T12:00:00.25+02:00", at("2026-01-01T10:00:00.25Z"), time.Time{}, ">=2026-01-01T10:00:00.25Z"},
	{">=2026-01-01T00:30:00-01:00", at("2026-01-01T01:30:00Z"), time.Time{}, ">=2026-01-01T01:30:00Z"},
	{"<2026-01-01T23:00:00-01:00", time.Time{}, day("2026-01-02"), "<2026-01-02"},

	// Single dates and times.
	{"2026-01-01", day("2026-01-01"), day("2026-01-02"), ""},
	{"2026-01-01T10:00:00Z", at("2026-01-01T10:00:00Z"), at("2026-01-01T10:00:00.000000001Z"), ""},
	{"2026-01-01T00:00:00Z", day("2026-01-01"), at("2026-01-01T00:00:00.000000001Z"), ""},

	// Ranges, inclusive of their end as written.
	{"2026-01-01..2026-01-31", day("2026-01-01"), day("2026-02-01"), ""},
	{"2026-01-01..2026-01-01", day("2026-01-01"), day("2026-01-02"), "2026-01-01"},
	{"2026-01-01T00:00:00Z..2026-01-01T12:00:00Z", day("2026-01-01"), at("2026-01-01T12:00:00.000000001Z"), "2026-01-01T00:00:00Z..2026-01-01T12:00:00Z"},
	{"2026-01-01T10:00:00Z..2026-01-01T10:00:00Z", at("2026-01-01T10:00:00Z"), at("2026-01-01T10:00:00.000000001Z"), "2026-01-01T10:00:00Z"},
	{"2026-01-01T10:00:00Z..2026-01-02", at("2026-01-01T10:00:00Z"), day("2026-01-03"), ""},
	{"2026-01-01..2026-01-02T10:00:00Z", day("2026-01-01"), at("2026-01-02T10:00:00.000000001Z"), "2026-01-01T00:00:00Z..2026-01-02T10:00:00Z"},
	{"2026-01-01T10:00:00Z..2026-01-01T23:59:59.999999999Z", at("2026-01-01T10:00:00Z"), day("2026-01-02"), "2026-01-01T10:00:00Z..2026-01-01"},

	// Relative times, from now: moments, whatever the comparison.
	{">-24h", now.Add(-24 * time.Hour), time.Time{}, ">=2026-11-25T10:30:00Z"},
	{">=-24h", now.Add(-24 * time.Hour), time.Time{}, ">=2026-11-25T10:30:00Z"},
	{">-7d", now.AddDate(0, 0, -7), time.Time{}, ">=2026-11-19T10:30:00Z"},
	{">-30m", now.Add(-30 * time.Minute), time.Time{}, ">=2026-11-26T10:00:00Z"},
	{">-90s", now.Add(-90 * time.Second), time.Time{}, ">=2026-11-26T10:28:30Z"},
	{">-2w", now.AddDate(0, 0, -14), time.Time{}, ">=2026-11-12T10:30:00Z"},
	{">-630m", day("2026-11-26"), time.Time{}, ">=2026-11-26"},
	{">-0h", now, time.Time{}, ">=2026-11-26T10:30:00Z"},
	{"<-1h", time.Time{}, now.Add(-time.Hour), "<2026-11-26T09:30:00Z"},
	{"<=-1h", time.Time{}, now.Add(-time.Hour), "<2026-11-26T09:30:00Z"},
	{"-7d..-1d", now.AddDate(0, 0, -7), now.AddDate(0, 0, -1), "2026-11-19T10:30:00Z..2026-11-25T10:29:59.999999999Z"},
	{"2026-11-01..-1d", day("2026-11-01"), now.AddDate(0, 0, -1), "2026-11-01T00:00:00Z..2026-11-25T10:29:59.999999999Z"},
	{"-1d..2026-11-30", now.AddDate(0, 0, -1), day("2026-12-01"), "2026-11-25T10:30:00Z..2026-11-30"},

	// The ends of time.
	{">=1970-01-01", minTime, time.Time{}, ""},
	{"<1970-01-01", time.Time{}, minTime, ""},
	{"1970-01-01T00:00:00Z", minTime, minTime.Add(1), ""},
	{">9999-12-31", endTime, time.Time{}, ""},
	{">9999-12-31T23:59:59.999999999Z", endTime, time.Time{}, ">9999-12-31"},
	{"<=9999-12-31", time.Time{}, endTime, ""},
	{"<=9999-12-31T23:59:59.999999999Z", time.Time{}, endTime, "<=9999-12-31"},
	{"9999-12-31", day("9999-12-31"), endTime, ""},
	{"2026-01-01..9999-12-31", day("2026-01-01"), endTime, ""},
	{"2026-01-01T01:00:00Z..9999-12-31T23:59:59.999999999Z", at("2026-01-01T01:00:00Z"), endTime, "2026-01-01T01:00:00Z..9999-12-31"},
}

func TestTimestamp(t *testing.T) {
	for _, tt := range timestampTests {
		in := "timestamp:" + tt.in
		q, err := Parse(in, now)
		if err != nil {
			t.Errorf("Parse(%q) = %v", in, err)
			continue
		}
		want := []Term{span(tt.since, tt.until)}
		if got := withoutPos(q.Terms); !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) = [%v, %v), want [%v, %v)", in, got[0].Since, got[0].Until, tt.since, tt.until)
		}
		canon := "timestamp:" + tt.canon
		if tt.canon == "" {
			canon = in
		}
		if got := q.String(); got != canon {
			t.Errorf("Parse(%q).String() = %q, want %q", in, got, canon)
		}
		checkRoundTrip(t, q, time.Date(2001, 2, 3, 4, 5, 6, 7, time.UTC))
	}
}

func TestTimestampNow(t *testing.T) {
	// Parse uses now in UTC, without its monotonic clock reading or zone.
	local := time.Now().In(time.FixedZone("X", 3600))
	q, err := Parse("timestamp:>-1h", local)
	if err != nil {
		t.Fatal(err)
	}
	want := local.UTC().Add(-time.Hour)
	if got := q.Terms[0].Since; !reflect.DeepEqual(got, want) || got.Location() != time.UTC {
		t.Errorf("Parse(timestamp:>-1h, %v).Since = %#v, want %#v", local, got, want)
	}
}

var timestampErrors = []struct {
	in, err string
}{
	{"timestamp:", `position 11: expected a value after "timestamp:"`},
	{"timestamp:yesterday", `position 11: expected a range after "timestamp:", as in >=2026-01-01, 2026-01-01..2026-01-31 or >-24h, not "yesterday"`},
	{"timestamp:=2026-01-01", `position 11: expected a range after "timestamp:", as in >=2026-01-01, 2026-01-01..2026-01-31 or >-24h, not "=2026-01-01"`},
	{"timestamp:>=", `position 13: expected a date, a time or a relative time after ">=", as in 2026-01-01, 2026-01-01T12:00:00Z or -24h`},
	{"timestamp:<now", `position 12: expected a date, a time or a relative time after "<", as in 2026-01-01, 2026-01-01T12:00:00Z or -24h, not "now"`},
	{"timestamp:>=2026-13-01", `position 13: bad date "2026-13-01": expected YYYY-MM-DD, as in 2026-01-31`},
	{"timestamp:>=2026-02-30", `position 13: bad date "2026-02-30": expected YYYY-MM-DD, as in 2026-01-31`},
	{"timestamp:>=2026-1-1", `position 13: bad date "2026-1-1": expected YYYY-MM-DD, as in 2026-01-31`},
	{"timestamp:2026", `position 11: bad date "2026": expected YYYY-MM-DD, as in 2026-01-31`},
	{"timestamp:2026-01-01T25:00:00Z", `position 11: bad time "2026-01-01T25:00:00Z": expected an RFC 3339 time, as in 2026-01-01T12:00:00Z`},
	{"timestamp:2026-01-01T00:00:00", `position 11: bad time "2026-01-01T00:00:00": expected an RFC 3339 time, as in 2026-01-01T12:00:00Z`},
	{"timestamp:-24h", `position 11: a relative time needs a comparison, as in timestamp:>-24h`},
	{"timestamp:>-24x", `position 12: bad relative time "-24x": expected "-", a number and s, m, h, d or w, as in -24h`},
	{"timestamp:>-h", `position 12: bad relative time "-h": expected "-", a number and s, m, h, d or w, as in -24h`},
	{"timestamp:>--1h", `position 12: bad relative time "--1h": expected "-", a number and s, m, h, d or w, as in -24h`},
	{"timestamp:>-1.5h", `position 12: bad relative time "-1.5h": expected "-", a number and s, m, h, d or w, as in -24h`},
	{"timestamp:>-24H", `position 12: bad relative time "-24H": expected "-", a number and s, m, h, d or w, as in -24h`},
	{"timestamp:>-99999999999999999999d", `position 12: relative time "-99999999999999999999d" is too far back`},
	{"timestamp:>-15251w", `position 12: relative time "-15251w" is too far back`},
	{"timestamp:>-15250w", `position 12: time "-15250w" is before 1970-01-01`},
	{"timestamp:>-100000d", `position 12: time "-100000d" is before 1970-01-01`},
	{"timestamp:<1969-12-31", `position 12: time "1969-12-31" is before 1970-01-01`},
	{"timestamp:0000-01-01", `position 11: time "0000-01-01" is before 1970-01-01`},
	{"timestamp:<9999-12-31T23:00:00-05:00", `position 12: time "9999-12-31T23:00:00-05:00" is after 9999-12-31`},
	{"timestamp:2026-01-31..2026-01-01", `position 11: the range "2026-01-31..2026-01-01" ends before it starts`},
	{"timestamp:2026-01-01T10:00:00Z..2026-01-01T09:00:00Z", `position 11: the range "2026-01-01T10:00:00Z..2026-01-01T09:00:00Z" ends before it starts`},
	{"timestamp:-1d..-7d", `position 11: the range "-1d..-7d" ends before it starts`},
	{"timestamp:-1d..-1d", `position 11: the range "-1d..-1d" ends before it starts`},
	{"timestamp:..2026-01-01", `position 11: expected a date or a time before "..", as in 2026-01-01..2026-01-31`},
	{"timestamp:2026-01-01..", `position 23: expected a date, a time or a relative time after "..", as in 2026-01-01, 2026-01-01T12:00:00Z or -24h`},
	{"timestamp:2026-01-01..2026-01-02..2026-01-03", `position 23: bad date "2026-01-02..2026-01-03": expected YYYY-MM-DD, as in 2026-01-31`},
	{"timestamp:2026-01-01,2026-01-02", `position 21: unexpected ","; timestamp: takes one range, not a list (AND two timestamp: terms instead)`},
	{"timestamp:2026-*", `position 11: wildcards don't apply to timestamp:; use a range, as in 2026-01-01..2026-01-31`},
	{`timestamp:">=2026-13-01"`, `position 11: bad date "2026-13-01": expected YYYY-MM-DD, as in 2026-01-31`},
	{`timestamp:2026-01-01T00:00:00Z,`, `position 32: expected a value after ","`},
}

func TestTimestampErrors(t *testing.T) {
	for _, tt := range timestampErrors {
		_, err := Parse(tt.in, now)
		if err == nil || err.Error() != tt.err {
			t.Errorf("Parse(%q) = %v\n                      want %s", tt.in, err, tt.err)
		}
	}
}

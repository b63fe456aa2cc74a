package event

import (
	"time"
)

// parseTime parses an RFC 3339 date-time (section 5.6) and returns it in
// UTC. It is written out rather than left to time.Parse, which accepts
// more than RFC 3339 (a comma before the fraction, and fractions beyond
// nanoseconds, silently truncated) and less (a lower-case 't' or 'z').
// Leap seconds (:60) are refused: a time.Time cannot hold one.
func parseTime(s string) (time.Time, error) {
	bad := func(what string) (time.Time, error) {
		return time.Time{}, fieldError(CodeInvalidField, what+" in "+quote(s)+"; want RFC 3339, e.g. 2026-01-03T14:30:00Z")
	}
	num := func(i, n int) int { // the n digits at i, or -1
		if i+n > len(s) {
			return -1
		}
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	sep := func(i int, a, b byte) bool { return i < len(s) && (s[i] == a || s[i] == b) }

	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || sec < 0 ||
		!sep(4, '-', '-') || !sep(7, '-', '-') || !sep(10, 'T', 't') || !sep(13, ':', ':') || !sep(16, ':', ':') {
		return bad("not a date and time")
	}
	switch {
	case month < 1 || month > 12:
		return bad("month out of range")
	case day < 1 || day > daysIn(year, month):
		return bad("day out of range")
	case hour > 23 || minute > 59:
		return bad("time out of range")
	case sec > 59:
		return bad("second out of range (no leap seconds)")
	}
	i, nsec := 19, 0
	if sep(i, '.', '.') {
		i++
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if n == 9 {
				return bad("more than 9 fractional digits")
			}
			nsec = nsec*10 + int(s[i]-'0')
			i, n = i+1, n+1
		}
		if n == 0 {
			return bad("no digits after '.'")
		}
		for ; n < 9; n++ {
			nsec *= 10
		}
	}
	offset := 0
	switch {
	case sep(i, 'Z', 'z'):
		i++
	case sep(i, '+', '-'):
		h, m := num(i+1, 2), num(i+4, 2)
		if h < 0 || m < 0 || !sep(i+3, ':', ':') {
			return bad("bad time zone offset")
		}
		if h > 23 || m > 59 {
			return bad("time zone offset out of range")
		}
		offset = (h*60 + m) * 60
		if s[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return bad("no time zone (Z or ±hh:mm)")
	}
	if i != len(s) {
		return bad("trailing characters")
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), nil
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

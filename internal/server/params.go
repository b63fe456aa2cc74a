package server

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/steleaudit/stele/internal/store"
)

// onlyParams refuses query parameters other than names, and repeated ones.
func onlyParams(r *http.Request, names ...string) error {
	for k, v := range r.URL.Query() {
		known := false
		for _, n := range names {
			known = known || k == n
		}
		if !known {
			return badRequest("unknown_parameter", k, "unknown query parameter")
		}
		if len(v) > 1 {
			return invalid(k, "given more than once")
		}
	}
	return nil
}

// intParam reads a non-negative integer parameter; def when absent.
func intParam(r *http.Request, name string, def, maxValue int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxValue {
		return 0, invalid(name, "want an integer from 0 to "+strconv.FormatInt(maxValue, 10))
	}
	return n, nil
}

// timeParam reads an RFC 3339 time parameter; zero when absent.
func timeParam(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 1678 || t.Year() > 2261 {
		return time.Time{}, invalid(name, "want an RFC 3339 time, such as 2026-01-02T15:04:05Z")
	}
	return t.UTC(), nil
}

// Cursors are opaque to clients: base64url of "<unix nanoseconds>.<seq>",
// the position of the last event of the page.
func formatCursor(p store.Position) string {
	s := strconv.FormatInt(p.Timestamp.UnixNano(), 10) + "." + strconv.FormatInt(p.Seq, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func parseCursor(s string) (*store.Position, error) {
	bad := invalid("cursor", "not a cursor this server handed out")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 64 {
		return nil, bad
	}
	ts, seq, ok := strings.Cut(string(b), ".")
	if !ok {
		return nil, bad
	}
	ns, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if err1 != nil || err2 != nil || n < 0 {
		return nil, bad
	}
	return &store.Position{Timestamp: time.Unix(0, ns).UTC(), Seq: n}, nil
}

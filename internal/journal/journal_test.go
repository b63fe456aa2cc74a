package journal

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestSource(t *testing.T) {
	proxies := Proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tt := range []struct {
		peer string
		xff  []string
		want string
	}{
		{"203.0.113.7:5000", nil, "203.0.113.7"},
		// An untrusted peer's X-Forwarded-For is its own claim: ignored.
		{"203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		// Behind a trusted proxy: the last hop that is not one.
		{"10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"10.1.2.3:5000", []string{"192.0.2.9, 198.51.100.1, 10.0.0.5"}, "198.51.100.1"},
		{"10.1.2.3:5000", []string{"192.0.2.9", "198.51.100.1"}, "198.51.100.1"},
		{"[::1]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
		// A malformed hop: nothing left of it is trusted.
		{"10.1.2.3:5000", []string{"198.51.100.1, garbage"}, "10.1.2.3"},
		// Only proxies: the first of them.
		{"10.1.2.3:5000", []string{"10.9.9.9"}, "10.9.9.9"},
		{"[::ffff:203.0.113.7]:1", nil, "203.0.113.7"},
		{"not an address", nil, ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := proxies.Source(r).IP; got != tt.want {
			t.Errorf("Source(%s, XFF %q).IP = %q, want %q", tt.peer, tt.xff, got, tt.want)
		}
	}
}

func TestHeaderText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"curl/8.0", 100, "curl/8.0"},
		{"a\x00b\x1fc\x7fd", 100, "abcd"},
		{"bad \xff utf8", 100, "bad \uFFFD utf8"},
		{"ééé", 3, "é"}, // cut on a rune boundary
		{strings.Repeat("x", 10), 4, "xxxx"},
	} {
		if got := HeaderText(tt.in, tt.n); got != tt.want {
			t.Errorf("HeaderText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

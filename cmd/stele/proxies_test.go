package main

import (
	"fmt"
	"testing"
)

func TestParsePrefixes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // fmt of the prefixes, or "error"
	}{
		{"", "[]"},
		{"10.0.0.1", "[10.0.0.1/32]"},
		{"10.0.0.0/8, 192.168.1.7/24 ,::1", "[10.0.0.0/8 192.168.1.0/24 ::1/128]"},
		{"10.0.0.0/33", "error"},
		{"lb.example.com", "error"},
		{"10.0.0.1,,", "[10.0.0.1/32]"},
	} {
		got, err := parsePrefixes(tt.in)
		s := fmt.Sprint(got)
		if err != nil {
			s = "error"
		}
		if s != tt.want {
			t.Errorf("parsePrefixes(%q) = %s (%v), want %s", tt.in, s, err, tt.want)
		}
	}
}

package web

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

// TestContrast checks the stylesheet's colour pairs against WCAG 2.1 AA:
// 4.5:1 for text, 3:1 for the histogram's bars against their ground.
func TestContrast(t *testing.T) {
	css, err := staticFS.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`).FindAllSubmatch(css, -1) {
		vars[string(m[1])] = string(m[2])
	}
	color := func(name string) string {
		if c, ok := vars[name]; ok {
			return c
		}
		if name[0] == '#' {
			return name
		}
		t.Fatalf("no colour --%s in app.css", name)
		return ""
	}
	text := [][2]string{
		{"fg", "bg"}, {"muted", "bg"}, {"muted", "soft"}, {"accent", "bg"}, {"accent", "soft"},
		{"accent-fg", "accent"}, {"accent-fg", "danger"}, {"accent-fg", "ok"},
		{"danger", "#fff0f0"}, {"ok", "#eefbf1"}, {"fg", "#fff8e5"}, {"fg", "#eef5fd"}, {"warn", "#fdf0d5"},
		{"#ffffff", "c-auth"}, {"#ffffff", "c-member"}, {"#ffffff", "c-team"}, {"#ffffff", "c-project"},
		{"#ffffff", "c-contract"}, {"#ffffff", "c-finding"}, {"#ffffff", "c-settings"}, {"#ffffff", "c-audit"},
		{"fg", "#dde4ec"}, {"fg", "mark"},
	}
	for _, p := range text {
		if r := contrast(color(p[0]), color(p[1])); r < 4.5 {
			t.Errorf("text %s on %s: contrast %.2f, want at least 4.5", p[0], p[1], r)
		}
	}
	for _, c := range []string{"c-auth", "c-member", "c-team", "c-project", "c-contract", "c-finding", "c-settings", "c-audit"} {
		if r := contrast(color(c), color("soft")); r < 3 {
			t.Errorf("bar %s on soft: contrast %.2f, want at least 3", c, r)
		}
	}
}

// contrast is the WCAG contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var rgb [3]float64
	for i := range rgb {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			rgb[i] = c / 12.92
		} else {
			rgb[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
}

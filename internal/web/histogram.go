package web

import (
	"fmt"
	"slices"
	"time"

	"github.com/steleaudit/stele/client"
)

// The histogram is drawn on the server as SVG: a bar per bucket, stacked
// by category, each a link narrowing the range to its bucket.

const (
	histWidth  = 1000 // the SVG's viewBox, scaled to the page's width
	histHeight = 120
)

type histogram struct {
	Bars          []bar
	Total         int64
	Bucket        string // hour or day
	Width, Height int
	From, To      time.Time
	Prev, Next    string // the same span earlier and later; Next "" at now
	Legend        []struct{ ID, Name string }
	Ticks         []tick
}

type bar struct {
	X, W  float64
	N     int64
	Segs  []seg
	Href  string
	Label string // "2026-03-04 14:00 UTC: 12 events"
}

type seg struct {
	Y, H     float64
	Category string
}

type tick struct {
	X     float64
	Label string
}

func (h *Web) histogramOf(hist *client.Histogram, p logsParams, self, viewer string) *histogram {
	out := &histogram{Bucket: hist.Bucket, Width: histWidth, Height: histHeight, From: hist.From, To: hist.To}
	width := time.Hour
	if hist.Bucket == "day" {
		width = 24 * time.Hour
	}
	var top int64 = 1
	seen := map[string]bool{}
	for _, b := range hist.Buckets {
		out.Total += b.Count
		top = max(top, b.Count)
		for c := range b.ByCategory {
			seen[c] = true
		}
	}
	n := len(hist.Buckets)
	if n == 0 {
		return out
	}
	bw := float64(histWidth) / float64(n)
	gap := min(bw*0.15, 2)
	span := hist.To.Sub(hist.From)
	every := max(1, n/6) // about six labels
	for i, b := range hist.Buckets {
		x := float64(i) * bw
		br := bar{X: x, W: bw - gap, N: b.Count}
		end := b.Start.Add(width)
		narrow := p
		narrow.Range, narrow.From, narrow.To = "custom", b.Start.UTC().Format(localMinute), end.Add(-time.Minute).UTC().Format(localMinute)
		narrow.Cursor, narrow.Event = "", ""
		br.Href = narrow.link(self, viewer)
		br.Label = fmt.Sprintf("%s UTC: %d events", b.Start.UTC().Format(labelFormat(hist.Bucket)), b.Count)
		y := float64(histHeight)
		for _, c := range categoryOrder(b.ByCategory) {
			hgt := float64(b.ByCategory[c]) / float64(top) * (histHeight - 4)
			y -= hgt
			br.Segs = append(br.Segs, seg{Y: y, H: hgt, Category: c})
		}
		out.Bars = append(out.Bars, br)
		if i%every == 0 {
			out.Ticks = append(out.Ticks, tick{X: x, Label: b.Start.UTC().Format(tickFormat(hist.Bucket, span))})
		}
	}
	for _, c := range categories {
		if seen[c.ID] {
			out.Legend = append(out.Legend, c)
		}
	}
	shift := func(by time.Duration) string {
		q := p
		q.Range, q.Cursor, q.Event = "custom", "", ""
		q.From = hist.From.Add(by).UTC().Format(localMinute)
		q.To = hist.To.Add(by).Add(-time.Minute).UTC().Format(localMinute)
		return q.link(self, viewer)
	}
	out.Prev = shift(-span)
	if hist.To.Before(h.cfg.Now().Add(-time.Minute)) {
		out.Next = shift(span)
	}
	return out
}

// categoryOrder is the order categories stack in: the filter's order,
// then any other, by name.
func categoryOrder(counts map[string]int64) []string {
	var out []string
	for _, c := range categories {
		if counts[c.ID] > 0 {
			out = append(out, c.ID)
		}
	}
	var rest []string
	for c, n := range counts {
		if n > 0 && categoryName(c) == c {
			rest = append(rest, c)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

func labelFormat(bucket string) string {
	if bucket == "hour" {
		return "2006-01-02 15:04"
	}
	return "2006-01-02"
}

func tickFormat(bucket string, span time.Duration) string {
	if bucket == "hour" && span <= 26*time.Hour {
		return "15:04"
	}
	if bucket == "hour" {
		return "Jan 2 15:04"
	}
	return "Jan 2"
}

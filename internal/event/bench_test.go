package event

import (
	"fmt"
	"strings"
	"testing"
)

// realisticBatch returns a batch of n events of about 500 bytes, each
// unlike the others in the ways real traffic is.
func realisticBatch(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"evt_%08d_6f1c2a9e","timestamp":"2026-01-03T14:%02d:%02d.%03dZ",`+
			`"actor":{"type":"user","id":"u_%d","email":"alice.martin%d@example.com","name":"Alice Martin"},`+
			`"event":"finding.status_changed","target":{"type":"finding","id":"finding-%06x"},`+
			`"details":{"old_status":"open","new_status":"fixed","project":"project-%d","severity":"high","line":%d,"note":"PR #%d \u2014 ok"},`+
			`"ip_address":"192.168.%d.%d","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 Safari/605.1.15"}`,
			i, i/60%60, i%60, i%1000, i%97, i%13, i*7919, i%50, 100+i%400, 1000+i, i/256%256, i%256)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func BenchmarkParseBatch(b *testing.B) {
	const n = 1000
	body := realisticBatch(n)
	if recs, err := ParseBatch(body, now, nil); err != nil || len(recs) != n {
		b.Fatalf("ParseBatch = %d records, %v", len(recs), err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseBatch(body, now, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
	b.ReportMetric(float64(len(body))/n, "bytes/event")
}

package event

import (
	"fmt"
	"strings"
	"testing"
)

// batch returns {"events":[...]} of n entries, each with id e<i>.
func batch(n int) string {
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"e%d","actor":"alice@example.com","event":"auth.login"}`, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

func TestParseBatch(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string // ids, in order
	}{
		{entry(`,"id":"one"`), []string{"one"}},
		{"\n " + entry(`,"id":"one"`) + " \n", []string{"one"}},
		{batch(1), []string{"e0"}},
		{batch(3), []string{"e0", "e1", "e2"}},
		{" {\n \"events\" : [ " + entry(`,"id":"a"`) + " , " + entry(`,"id":"b"`) + " ] } ", []string{"a", "b"}},
		{`{"\u0065vents":[` + entry(`,"id":"a"`) + `]}`, []string{"a"}},
		{`{"events":[` + entry(`,"id":"a"`) + `,` + entry(`,"id":"a"`) + `]}`, []string{"a", "a"}}, // the ledger's to collapse
	} {
		recs, err := ParseBatch([]byte(tt.in), now, nil)
		if err != nil {
			t.Errorf("ParseBatch(%.100s) error = %v", tt.in, err)
			continue
		}
		var ids []string
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
			t.Errorf("ParseBatch(%.100s) ids = %v, want %v", tt.in, ids, tt.want)
		}
	}
	recs, err := ParseBatch([]byte(batch(MaxBatchEvents)), now, nil)
	if err != nil || len(recs) != MaxBatchEvents || recs[MaxBatchEvents-1].ID != fmt.Sprint("e", MaxBatchEvents-1) {
		t.Errorf("ParseBatch(%d events) = %d records, %v, want %d", MaxBatchEvents, len(recs), err, MaxBatchEvents)
	}
}

func TestParseBatchErrors(t *testing.T) {
	ok := entry("")
	big := entry(`,"user_agent":"` + strings.Repeat("a", 1000) + `"`)
	for _, tt := range []struct {
		in          string
		code, field string
	}{
		{``, CodeInvalidJSON, ""},
		{`[` + ok + `]`, CodeInvalidField, ""},
		{`{}`, CodeMissingField, "event"},
		{`{"events":[]}`, CodeInvalidField, "events"},
		{`{"events":{}}`, CodeInvalidField, "events"},
		{`{"events":null}`, CodeInvalidField, "events"},
		{`{"events":[1]}`, CodeInvalidField, "events[0]"},
		{`{"events":[` + ok + `,[]]}`, CodeInvalidField, "events[1]"},
		{`{"events":[` + ok + `],"extra":1}`, CodeUnknownField, "extra"},
		{`{"extra":1,"events":[` + ok + `]}`, CodeUnknownField, "extra"},
		{`{"events":[` + ok + `],"events":[` + ok + `]}`, CodeDuplicateKey, "events"},
		{`{"events":[` + ok + `]} x`, CodeInvalidJSON, ""},
		{`{"events":[` + ok + `,]}`, CodeInvalidJSON, "events[1]"},
		{`{"events":[` + ok + ` ` + ok + `]}`, CodeInvalidJSON, "events"},
		{`{"events":[` + ok + `,` + ok + `,` + ok + `,` + entry(`,"timestamp":"soon"`) + `]}`, CodeInvalidField, "events[3].timestamp"},
		{`{"events":[` + ok + `,` + entry(`,"actor":"b"`) + `]}`, CodeDuplicateKey, "events[1].actor"},
		{`{"events":[` + ok + `,` + entry(`,"details":{"a":{"b":"\ud800"}}`) + `]}`, CodeInvalidUTF8, "events[1].details.a.b"},
		{`{"events":[` + ok + `,{"event":"auth.login"}]}`, CodeMissingField, "events[1].actor"},
		{`{"events":[` + entry(`,"timestamp":"2027-01-01T00:00:00Z"`) + `]}`, CodeTimestampInFuture, "events[0].timestamp"},
		{batch(MaxBatchEvents + 1), CodeTooManyEvents, "events"},
		// An entry's raw JSON is limited, not just its parts.
		{big + strings.Repeat(" ", MaxEventSize), CodeTooLarge, ""},
		{`{"events":[` + ok + `,{"actor":"a@example.com"` + strings.Repeat(" ", MaxEventSize) + `,"event":"auth.login"}]}`, CodeTooLarge, "events[1]"},
		{`{"events":[` + entry(`,"details":{`+manyStrings(70, 1000)+`}`) + `]}`, CodeTooLarge, "events[0].details"},
		// Strings are measured decoded: each here is 2 to 6 KB of JSON, 1000 bytes of text.
		{`{"events":[` + entry(`,"details":{"a":"`+strings.Repeat(`\u0000`, 1000)+`"},"user_agent":"`+strings.Repeat(`\t`, 1000)+`","target":{"name":"`+strings.Repeat(`\u00e9`, 500)+`"}`) + `]}`, "", ""},
		{`{"events":[` + strings.Repeat(" ", MaxBatchSize) + `]}`, CodeTooLarge, ""},
	} {
		_, err := ParseBatch([]byte(tt.in), now, nil)
		if tt.code == "" {
			if err != nil {
				t.Errorf("ParseBatch(%.100s) error = %v, want nil", tt.in, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != tt.code || e.Field != tt.field {
			t.Errorf("ParseBatch(%.100s) error = %#v, want code %s field %q", tt.in, err, tt.code, tt.field)
		}
	}
}

package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/steleaudit/stele/verify"
)

var codes = []string{CodeInvalidJSON, CodeInvalidUTF8, CodeDuplicateKey, CodeUnknownField, CodeMissingField,
	CodeInvalidField, CodeUnknownEvent, CodeTimestampInFuture, CodeTooLarge, CodeTooManyEvents}

func checkError(t *testing.T, err error) *Error {
	t.Helper()
	e, ok := err.(*Error)
	if !ok || !slices.Contains(codes, e.Code) || e.Reason == "" {
		t.Fatalf("error = %#v, want an *Error with a known code and a reason", err)
	}
	return e
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`null`, `true`, `-0`, `0.1`, `1e21`, `1e20`, `9007199254740992`, `9007199254740993`, `1e-400`, `1e400`,
		`"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"`, `"\ud800"`, "\"\xff\"", `{"a":[1,{"b":null}],"c":"d"}`,
		`{"a":1,"a":2}`, `[1,]`, `01`, nest("[", "]", MaxDepth+1), ` [ ] `, "\xef\xbb\xbf{}", `{"\u0000":"\u001f"}`,
		`[1.5e300,-2.5e-300,123456789012345,0.000001,1e-7]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeJSON(data)
		var want any
		jerr := json.Unmarshal(data, &want)
		if err != nil {
			e := checkError(t, err)
			// What encoding/json takes, only the extra rules may refuse.
			if jerr == nil && e.Code != CodeInvalidUTF8 && e.Code != CodeDuplicateKey && e.Code != CodeTooLarge && e.Code != CodeInvalidField {
				t.Fatalf("DecodeJSON(%q) error = %v, but encoding/json accepts it", data, err)
			}
			return
		}
		if jerr != nil || !json.Valid(data) {
			t.Fatalf("DecodeJSON(%q) = %#v, but encoding/json refuses it: %v", data, v, jerr)
		}
		if !reflect.DeepEqual(v, want) {
			t.Fatalf("DecodeJSON(%q) = %#v, encoding/json gives %#v", data, v, want)
		}
		// The canonical form of what is accepted is accepted, unchanged.
		c, err := verify.AppendCanonical(nil, v)
		if err != nil {
			t.Fatalf("AppendCanonical(DecodeJSON(%q)) error = %v", data, err)
		}
		v2, err := DecodeJSON(c)
		if err != nil || !reflect.DeepEqual(v2, v) {
			t.Fatalf("DecodeJSON(%s) = %#v, %v, want %#v", c, v2, err, v)
		}
		if c2, _ := verify.AppendCanonical(nil, v2); !bytes.Equal(c2, c) {
			t.Fatalf("canonical form %s became %s", c, c2)
		}
	})
}

func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		seed,
		entry(""),
		`{"id":"evt-1","timestamp":"2026-01-03T16:30:00.5+02:00","actor":{"type":"api_key","id":"k","name":"CI"},"event":"Member.Invited","target":{"type":"user","id":"u_7","name":"Bob"},"details":{"email":"bob@example.com","b":[1.0,{"c":null}],"a":"\u00e9"},"ip_address":"::ffff:10.0.0.1","user_agent":"x\u0000y"}`,
		`{"actor":"u_1","event":"finding.assigned","target":"finding-1","details":{"assignee":"u_2","n":-0,"f":1e-7,"g":1e21}}`,
		`{"actor":{"email":"a@b"},"event":"org.billing_updated","details":{},"ip_address":"2001:db8::1","timestamp":null}`,
		entry(`,"details":{"a":1,"a":2}`),
		entry(`,"details":{"s":"\ud800"}`),
		entry(`,"timestamp":"2026-01-03T15:05:01Z"`),
		entry(`,"details":{"html":"<script>","tmpl":"{{.}}","rlo":"\u202e"}`),
		`{"events":[` + entry("") + `]}`,
		// Values for the wrappings below.
		`{"email":"bob@example.com","b":[1,"\u00e9",{"c":null}]}`, `"alice"`, `{"type":"api_key","id":"k"}`,
		`{"type":"user","id":"u_7","name":"Bob"}`, `"2026-01-03T16:30:00.5+02:00"`, `null`,
	} {
		f.Add([]byte(s))
	}
	// Each input is tried as an entry and as the value of some fields of
	// an otherwise valid entry, so that more inputs reach the checks on
	// accepted entries.
	wrappings := []string{
		"%s",
		`{"actor":"a@example.com","event":"member.invited","details":%s}`,
		`{"actor":%s,"event":"auth.login","target":{"type":"user","id":"u"}}`,
		`{"actor":{"id":"x"},"event":"finding.assigned","target":%s,"details":{"assignee":1}}`,
		`{"actor":"x","event":"auth.login","timestamp":%s,"ip_address":"10.0.0.1"}`,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, w := range wrappings {
			checkParseEvent(t, fmt.Appendf(nil, w, data))
		}
	})
}

// checkParseEvent checks what ParseEvent makes of data.
func checkParseEvent(t *testing.T, data []byte) {
	r, err := ParseEvent(data, now, nil)
	if err != nil {
		checkError(t, err)
		return
	}
	if len(r.Details) > 0 {
		v, err := DecodeJSON(r.Details)
		if _, isObject := v.(map[string]any); err != nil || !isObject || !json.Valid(r.Details) || len(r.Details) > MaxDetailsSize {
			t.Fatalf("ParseEvent(%q).Details = %s, not a valid object (%v)", data, r.Details, err)
		}
		if c, _ := verify.AppendCanonical(nil, v); !bytes.Equal(c, r.Details) {
			t.Fatalf("ParseEvent(%q).Details = %s, not canonical: %s", data, r.Details, c)
		}
	}
	if !slices.IsSorted(r.Personal) || r.Timestamp.Location() != nil && r.Timestamp.Location().String() != "UTC" {
		t.Fatalf("ParseEvent(%q) = %+v: Personal not sorted or Timestamp not UTC", data, r)
	}
	leaf := *r
	leaf.Org, leaf.ReceivedAt, leaf.Salt = "acme", now, make([]byte, verify.SaltSize)
	if _, err := verify.LeafData(&leaf); err != nil {
		t.Fatalf("LeafData(ParseEvent(%q)) error = %v", data, err)
	}
	// Rebuilt from the record, the event parses to the same record.
	b, err := FormatEvent(r)
	if err != nil {
		t.Fatalf("FormatEvent(ParseEvent(%q)) error = %v", data, err)
	}
	r2, err := ParseEvent(b, now, nil)
	if err != nil || !reflect.DeepEqual(r2, r) {
		t.Fatalf("ParseEvent(%s) = %+v, %v, want %+v", b, r2, err, r)
	}
	if b2, _ := FormatEvent(r2); !bytes.Equal(b2, b) {
		t.Fatalf("FormatEvent changed %s to %s", b, b2)
	}
	// In a batch, the same entry makes the same record.
	recs, err := ParseBatch([]byte(`{"events":[`+string(data)+`]}`), now, nil)
	if err != nil || len(recs) != 1 || !reflect.DeepEqual(recs[0], r) {
		t.Fatalf("ParseBatch({\"events\":[%q]}) = %+v, %v, want [%+v]", data, recs, err, r)
	}
}

package verify_test

import (
	"bytes"
	"testing"

	"github.com/steleaudit/stele/verify"
)

// FuzzIsCanonical: IsCanonical accepts exactly the objects Canonicalize
// leaves unchanged, so LeafData's fast path (taking canonical details as
// they are) always agrees with its slow path (canonicalizing them).
func FuzzIsCanonical(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, `{"a":1,"b":[true,false,null,"x"]}`, `{"b":1,"a":2}`, `{"a":1.0}`, `{"a":1e21}`, `{"a":1e+21}`,
		`{"a":-0}`, `{"a":"\u0001"}`, `{"a":"\u001F"}`, `{"a":"\n"}`, `{"a":"\u000a"}`, `{"a":"\/"}`, `{ "a":1}`,
		`{"a":1,"a":1}`, `{"\ud83d\ude00":1,"\ufb33":2}`, `{"😀":1,"דּ":2}`, `{"דּ":2,"😀":1}`, `{"a":0.000001}`, `{"a":1e-7}`,
		`{"a":{"b":{"c":[[],{}]}}}`, `{"a":"\u00e9"}`, `{"a":"é"}`, `[1]`, `{"a":1}x`, `{"a":123456789012345680000}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := verify.Canonicalize(b)
		if verify.IsCanonical(b) {
			if err != nil || !bytes.Equal(c, b) {
				t.Fatalf("IsCanonical(%q) but Canonicalize = %q, %v", b, c, err)
			}
		} else if err == nil && bytes.Equal(c, b) && len(b) > 0 && b[0] == '{' {
			t.Fatalf("Canonicalize leaves %q unchanged but IsCanonical says no", b)
		}
		if err == nil && len(c) > 0 && c[0] == '{' && !verify.IsCanonical(c) {
			t.Fatalf("IsCanonical(Canonicalize(%q) = %q) = false", b, c)
		}
	})
}

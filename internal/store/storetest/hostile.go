package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/steleaudit/stele/internal/query"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/verify"
)

// Hostile text: events whose texts are hard on a free-text index, and
// words to search them for, which each backend's tests of its index run
// against what query.Match finds.

// hostileTexts are texts that fold, escape or quote in awkward ways, as the
// details, actor and target of events: JSON escapes, quotes, LIKE's
// wildcards and escape, letters whose lowercase is another length or
// ASCII (İ, the Kelvin sign), final sigma, ß, emoji, surrogates, a tab
// and a NUL, and trigrams across the lines of events_text.
var hostileTexts = []struct {
	details      string
	actor, email string
	target       string
}{
	{`{"note":"caf\u00e9 \"quoted\" 100% done_ok","emoji":"🙂 smile 🙂"}`, "Zoë İnce", "ZOE@EXAMPLE.COM", "\u212a Kelvin"},
	{`{"path":"C:\\Users\\ŞİŞLİ","tab":"a\tb","slash":"\/x\/y","nul":"a\u0000bcd"}`, "O'Brien", "", "report_2026%final"},
	{`{"greek":"ΣΊΣΥΦΟΣ","german":"STRASSE straße ẞ","deep":{"list":[1.50,true,false,null,"ＡＢＣ"]}}`, "", "", ""},
	{`{"surrogates":"\ud83d\ude00 grin","bad":"\udc00x","lone":"ÿÿÿ"}`, "Ǆemal", "ǆ@x.example", "ǅ"},
	{`[1, "top \"level\" array"]`, "", "", ""},
	{`not json at all, "caf\u00e9"`, "", "", ""},
	{`{"a":"ab","b":"cd","c":"abc","d":"def","key_not_value":1}`, "xy", "", "z\\y"},
	{`{"K":"\u212aELVIN","i":"İSTANBUL"}`, "", "", ""},
}

// hostileNeedles are words searched for among the hostile events: some
// match them, as package query says, and some look as if they might.
var hostileNeedles = []string{
	"café", `"quoted"`, `\"quoted`, "100%", "0% d", "done_ok", "_ok", "🙂 s", "🙂",
	"i̇nce", "ince", "zoë", "kelvin", "k k", "\u212a k", "zoe@example.com",
	`c:\users`, `\\users`, "şi̇şli̇", "a\tb", "/x/y", `\/x`, "bcd",
	"σίσυφοσ", "σίσυφος", "straße", "ß", "strasse", "1.50", "1.5", "true", "null", "ａｂｃ",
	"\U0001f600 grin", "\ufffdx", "ÿÿÿ", "ǆemal", "ǆ@x", "ǅ", "ǆ", `top "level"`, "u00e9",
	"caf", "ab", "é", "éé", "é1", "ÿÿ", "abcd", "ab\ncd", "abc\ndef", "key_not", "xy\nz", `z\y`, `y\`,
	"istanbul", "i̇stanbul", "kelvin", "report_2026%f", "2026%", "%fin",
}

// HostileEvents returns the events of one organization ("org-0"), the
// first of them with the hostile texts as details, actor and target.
func HostileEvents() []*store.Event {
	b := NewWorkload(1, 1).Batch(len(hostileTexts) + 20)["org-0"]
	for i, h := range hostileTexts {
		r := &b[i].Record
		r.Details = json.RawMessage(h.details)
		r.Actor = verify.Actor{Type: "user", Name: h.actor, Email: h.email, ID: fmt.Sprintf("u_%d", i)}
		r.Target = verify.Target{Type: "finding", ID: h.target, Name: h.target}
	}
	return b
}

// HostileNeedles returns the words to search HostileEvents for: the
// listed ones, and pieces of every hostile text, as written and
// lowercased, of 3 runes at every offset and of 6 at every other.
func HostileNeedles() []string {
	needles := slices.Clone(hostileNeedles)
	for _, h := range hostileTexts {
		for _, s := range []string{h.details, strings.ToLower(h.details), strings.ToLower(h.actor), strings.ToLower(h.email), strings.ToLower(h.target)} {
			runes := []rune(s)
			for i := 0; i+3 <= len(runes); i++ {
				needles = append(needles, string(runes[i:i+3]))
			}
			for i := 0; i+6 <= len(runes); i += 2 {
				needles = append(needles, string(runes[i:i+6]))
			}
		}
	}
	return needles
}

// Matching returns the seqs of the events of list that match q, newest
// first as List orders them.
func Matching(list []*store.Event, q *query.Query) []int64 {
	var found []*store.Event
	for _, e := range list {
		if q.Match(&e.Record) {
			found = append(found, e)
		}
	}
	slices.SortFunc(found, func(a, b *store.Event) int {
		if c := b.Timestamp.Compare(a.Timestamp); c != 0 {
			return c
		}
		return int(b.Seq - a.Seq)
	})
	seqs := []int64{}
	for _, e := range found {
		seqs = append(seqs, e.Seq)
	}
	return seqs
}

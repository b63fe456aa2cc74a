package store

import (
	"encoding/json"
	"strconv"
	"strings"
)

// FreeText returns what a backend's free-text index holds for an event
// of the JSON details and other texts: the texts free text matches, each
// lowercased as query.Match lowercases them (strings.ToLower; databases'
// own folding may differ), one a line. NULs, which PostgreSQL's text
// can't hold and a search never looks for, become line ends. The
// details' texts come from WalkScalars, which finds every text
// query.Match does, and more in details it can't decode.
func FreeText(details string, texts ...string) string {
	var b strings.Builder
	add := func(s string) bool {
		if s != "" {
			b.WriteString(strings.ReplaceAll(strings.ToLower(s), "\x00", "\n"))
			b.WriteByte('\n')
		}
		return true
	}
	for _, s := range texts {
		add(s)
	}
	WalkScalars(details, add)
	return b.String()
}

// WalkScalars calls fn with the text of each string, number and boolean
// in the JSON text doc but object keys, in order, until fn returns false.
// Numbers are their JSON text. If doc is not valid JSON, it stops where
// it goes wrong.
func WalkScalars(doc string, fn func(string) bool) {
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	// A frame is an open object or array.
	type frame struct{ object, key bool } // key: the next string is a key
	var open []frame
	for {
		tok, err := d.Token()
		if err != nil {
			return
		}
		if t, ok := tok.(json.Delim); ok && (t == '}' || t == ']') {
			open = open[:len(open)-1]
			continue
		}
		if n := len(open); n > 0 && open[n-1].object {
			if _, ok := tok.(string); ok && open[n-1].key {
				open[n-1].key = false // its value comes next
				continue
			}
			open[n-1].key = true // this is a value: a key comes next
		}
		var s string
		switch t := tok.(type) {
		case json.Delim:
			open = append(open, frame{object: t == '{', key: true})
			continue
		case string:
			s = t
		case json.Number:
			s = t.String()
		case bool:
			s = strconv.FormatBool(t)
		default:
			continue
		}
		if !fn(s) {
			return
		}
	}
}

package store

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
)

// A Known is a set of rows a backend's committed transactions wrote, or
// found written, so that it need not write them again: the rows of its
// tables of distinct values, say. It holds at most knownMax rows, as
// hashes, and forgets them all at once when there would be more. A row
// once written must stay; whatever comes to delete some (erasing a
// person) must make every process sharing the database forget its set. It
// is safe for concurrent use.
type Known struct {
	seeds [2]maphash.Seed

	mu   sync.Mutex // guards rows
	rows map[KnownRow]bool
}

// knownMax bounds a Known: some 10 MiB.
const knownMax = 1 << 18

// A KnownRow is a row, hashed twice with 64 bits: a collision, which would
// leave a row unwritten, is out of the question.
type KnownRow [2]uint64

func NewKnown() *Known {
	return &Known{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, rows: map[KnownRow]bool{}}
}

// Row returns the KnownRow of org's row of table with columns.
func (k *Known) Row(table int, org string, columns ...string) KnownRow {
	var r KnownRow
	for i, seed := range k.seeds {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteByte(byte(table))
		write := func(s string) {
			// Length first: texts can't run into each other.
			var n [8]byte
			binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
			h.Write(n[:])
			h.WriteString(s)
		}
		write(org)
		for _, c := range columns {
			write(c)
		}
		r[i] = h.Sum64()
	}
	return r
}

// Has reports whether r is known to be written.
func (k *Known) Has(r KnownRow) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rows[r]
}

// Add adds rows, once their transaction committed.
func (k *Known) Add(rows []KnownRow) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.rows)+len(rows) > knownMax {
		clear(k.rows)
	}
	for _, r := range rows {
		k.rows[r] = true
	}
}

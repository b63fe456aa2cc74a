package sqlite

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/store/storetest"
)

// searchFixture opens the search benchmarks' store (storetest's
// SearchFixture and BuildFixture), built in a temporary directory, or
// kept under $STELE_SEARCH_FIXTURE/<shape> (built there when missing) to
// spare later runs. Its text index holds all its events.
func searchFixture(b *testing.B) *DB {
	shape, keep := storetest.SearchFixture(b)
	dir := b.TempDir()
	if keep != "" {
		dir = filepath.Join(keep, shape.Name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(dir, "stele.db")
	_, err := os.Stat(path)
	built := err == nil
	db, err := Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	if !built {
		err := storetest.BuildFixture(b, db, shape)
		if err == nil {
			_, err = db.w.ExecContext(b.Context(), "PRAGMA optimize")
		}
		if err != nil {
			db.Close()
			os.Remove(path)
			b.Fatal(err)
		}
	}
	// The benchmarks measure neither an indexer at work nor searches of
	// events it has yet to index: it catches up here, and then rests.
	pauseText(db)
	start := time.Now()
	if err := catchUp(b.Context(), db); err != nil {
		db.Close()
		b.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		b.Logf("search fixture: text index caught up in %v", d.Round(time.Second))
	}
	return db
}

package sqlite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/steleaudit/stele/internal/store/storetest"
)

// searchFixture opens the search benchmarks' store (storetest's
// SearchFixture and BuildFixture), built in a temporary directory, or
// kept under $STELE_SEARCH_FIXTURE/<shape> (built there when missing) to
// spare later runs.
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
	return db
}

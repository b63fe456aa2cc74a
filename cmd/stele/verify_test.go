package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/steleaudit/stele/internal/ledger"
	"github.com/steleaudit/stele/internal/store/sqlite"
	"github.com/steleaudit/stele/verify"
)

// tamperOrg's log is built by makeStore with tamperSize events, signed at
// several sizes; a second org checks problems are pinned to the right one.
const (
	tamperOrg  = "acme"
	tamperSize = 600 // more than two full tiles, so tiles of level 1 exist
)

// makeStore writes a data directory with a signing key and two orgs' logs,
// checkpointed along the way, and returns its path.
func makeStore(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	key, err := ledger.LoadOrCreateKey(filepath.Join(dir, "signing.key"), "stele.test")
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "stele.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := ledger.Open(ctx, ledger.Config{Store: st, Key: key, CheckpointInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, org := range []string{tamperOrg, "globex"} {
		for b := 0; b < tamperSize; b += 100 {
			var recs []*verify.Record
			for i := range 100 {
				recs = append(recs, &verify.Record{
					Timestamp: time.Date(2026, 1, 3, 14, 30, i, 0, time.UTC),
					Event:     "member.invited", Category: "member",
					Actor:  verify.Actor{Type: "user", Email: "alice@example.com", Name: "Alice"},
					Target: verify.Target{Type: "user", ID: fmt.Sprintf("user-%d", b+i)},
					IP:     "192.168.1.1", UserAgent: "Mozilla/5.0",
					Details:  []byte(`{"email":"bob@example.com","role":"admin"}`),
					Personal: []string{"details.email", "target"},
				})
			}
			if _, size, err := l.Append(ctx, org, recs); err != nil {
				t.Fatal(err)
			} else if _, err := l.WaitCheckpoint(ctx, org, size); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// runVerifyCmd runs `stele verify --data dir` and returns its exit code and
// what it printed.
func runVerifyCmd(t *testing.T, dir string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"verify", "--data", dir}, &out, &errOut)
	return code, out.String() + errOut.String()
}

// copyStore copies a data directory, so each tamper case starts clean.
func copyStore(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range []string{"stele.db", "signing.key"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func rawDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "stele.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	res, err := db.Exec(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s changed nothing", query)
	}
}

func TestVerifyUntouched(t *testing.T) {
	dir := makeStore(t)
	code, out := runVerifyCmd(t, dir)
	if code != 0 || !strings.Contains(out, "0 problems") {
		t.Fatalf("verify of an untouched store: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, fmt.Sprintf("%d events", 2*tamperSize)) {
		t.Errorf("verify did not check every event:\n%s", out)
	}
}

// TestVerifyTamper changes the stored log in every way an insider with the
// database file could, and expects verify to fail naming the org and seq.
func TestVerifyTamper(t *testing.T) {
	base := makeStore(t)
	org := orgNum(t, base, tamperOrg)
	at := "WHERE org = " + fmt.Sprint(org) + " AND seq = "

	// One case per stored column of an event: change it at seq 417. The
	// rowid (key) only orders rows on disk; it carries nothing.
	for _, col := range eventColumns(t, base) {
		if col == "key" {
			continue
		}
		t.Run("column/"+col, func(t *testing.T) {
			dir := copyStore(t, base)
			db := rawDB(t, dir)
			exec(t, db, fmt.Sprintf("UPDATE events SET %s = %s %s417", col, mutation(t, db, col, at+"417"), at))
			db.Close()
			expectProblem(t, dir, `org acme seq 417: `)
		})
	}

	cases := []struct {
		name  string
		sql   []string
		wants []string
	}{
		{"delete a row", []string{"DELETE FROM events " + at + "5"}, []string{`org acme seq 5: event is missing`}},
		{"swap two rows' seqs", []string{
			"UPDATE events SET seq = -1 " + at + "10",
			"UPDATE events SET seq = 10 " + at + "11",
			"UPDATE events SET seq = 11 " + at + "-1",
		}, []string{`org acme seq 10: `, `org acme seq 11: `}},
		{"insert a forged row", []string{forgeRow(t, base, at+"3", tamperSize)}, []string{fmt.Sprintf(`org acme seq %d: event beyond the tree`, tamperSize)}},
		{"truncate the tail", []string{"DELETE FROM events WHERE org = " + fmt.Sprint(org) + " AND seq >= 590"},
			[]string{`org acme seq 590: event is missing`, `org acme seq 599: event is missing`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyStore(t, base)
			db := rawDB(t, dir)
			for _, q := range c.sql {
				exec(t, db, q)
			}
			db.Close()
			for _, w := range c.wants {
				expectProblem(t, dir, regexp.QuoteMeta(w))
			}
		})
	}
}

// TestVerifyTamperTree changes the stored tree, head and checkpoints.
func TestVerifyTamperTree(t *testing.T) {
	base := makeStore(t)
	org := orgNum(t, base, tamperOrg)
	cases := []struct {
		name   string
		tamper func(db *sql.DB)
		want   string
	}{
		{"leaf hash in a tile", func(db *sql.DB) { flipTileByte(t, db, org, 0, 1, 5*32) }, `org acme seq 261: leaf hash does not match`},
		{"interior hash", func(db *sql.DB) { flipTileByte(t, db, org, 1, 0, 0) }, `org acme seq 0: stored tree hash over seqs 0\.\.255 does not match`},
		{"tree head root", func(db *sql.DB) {
			exec(t, db, "UPDATE orgs SET tree_root = zeroblob(32) WHERE num = ?", org)
		}, `org acme: stored tree head \(size 600\) does not match`},
		{"tree head size cut back", func(db *sql.DB) {
			exec(t, db, "UPDATE orgs SET tree_size = 500 WHERE num = ?", org)
		}, `org acme seq 500: event beyond the tree`},
		{"checkpoint signature", func(db *sql.DB) {
			exec(t, db, "UPDATE checkpoints SET note = CAST(replace(CAST(note AS TEXT), '\n600\n', '\n601\n') AS BLOB) WHERE org = ? AND size = 600", org)
		}, `org acme: checkpoint at size 600: verify: checkpoint signature`},
		{"tile deleted", func(db *sql.DB) {
			exec(t, db, "DELETE FROM tiles WHERE org = ? AND level = 0 AND n = 1", org)
		}, `org acme seq 256: stored tree hashes tile/8/0/001 are missing`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyStore(t, base)
			db := rawDB(t, dir)
			c.tamper(db)
			db.Close()
			expectProblem(t, dir, c.want)
		})
	}
}

func expectProblem(t *testing.T, dir, pattern string) {
	t.Helper()
	code, out := runVerifyCmd(t, dir)
	if code == 0 {
		t.Fatalf("verify passed a tampered store:\n%s", out)
	}
	if !regexp.MustCompile("(?m)^" + pattern).MatchString(out) {
		t.Fatalf("verify output lacks %q:\n%s", pattern, out)
	}
	if strings.Contains(out, "org globex") {
		t.Errorf("verify blamed the untouched org:\n%s", out)
	}
}

func orgNum(t *testing.T, dir, org string) int64 {
	var n int64
	if err := rawDB(t, dir).QueryRow("SELECT num FROM orgs WHERE id = ?", org).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// eventColumns lists the stored columns of events; every one must be
// covered by the leaf or by the checks around it.
func eventColumns(t *testing.T, dir string) []string {
	rows, err := rawDB(t, dir).Query("SELECT name FROM pragma_table_info('events')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if len(cols) < 10 {
		t.Fatalf("events has only columns %v", cols)
	}
	return cols
}

// mutation returns an SQL expression that changes col's value in the row
// where selects to a different value of the same kind.
func mutation(t *testing.T, db *sql.DB, col, where string) string {
	var typ string
	if err := db.QueryRow(fmt.Sprintf("SELECT typeof(%s) FROM events %s", col, where)).Scan(&typ); err != nil {
		t.Fatal(err)
	}
	switch typ {
	case "integer":
		return col + " + 1000000" // clear of other rows' org and seq
	case "text":
		return "CASE WHEN " + col + " = '' THEN 'x' ELSE substr(" + col + ", 1, length(" + col + ") - 1) || char(unicode(substr(" + col + ", -1)) + 1) END"
	case "blob":
		return "CAST(" + col + " || x'00' AS BLOB)"
	case "null":
		return "'x'"
	}
	t.Fatalf("column %s has type %s", col, typ)
	return ""
}

// forgeRow returns an INSERT that copies the row where selects to seq.
func forgeRow(t *testing.T, dir, where string, seq int) string {
	var cols, vals []string
	for _, c := range eventColumns(t, dir) {
		cols = append(cols, c)
		switch c {
		case "key":
			vals = append(vals, "NULL")
		case "seq":
			vals = append(vals, fmt.Sprint(seq))
		default:
			vals = append(vals, c)
		}
	}
	return fmt.Sprintf("INSERT INTO events (%s) SELECT %s FROM events %s", strings.Join(cols, ","), strings.Join(vals, ","), where)
}

func flipTileByte(t *testing.T, db *sql.DB, org int64, level, n, at int) {
	var data []byte
	if err := db.QueryRow("SELECT data FROM tiles WHERE org = ? AND level = ? AND n = ?", org, level, n).Scan(&data); err != nil {
		t.Fatal(err)
	}
	data[at] ^= 1
	exec(t, db, "UPDATE tiles SET data = ? WHERE org = ? AND level = ? AND n = ?", data, org, level, n)
}

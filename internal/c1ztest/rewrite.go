package c1ztest

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	_ "modernc.org/sqlite" // the database/sql driver RewriteDB opens
)

// Decompress returns the SQLite database inside a v1 c1z.
func Decompress(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	db, err := dec.DecodeAll(raw[5:], nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// RewriteDB returns a copy of a v1 c1z with SQL statements run on its
// database: files no honest writer makes, for tests of hostile input.
func RewriteDB(t testing.TB, src string, stmts ...string) string {
	t.Helper()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "db")
	if err := os.WriteFile(dbPath, Decompress(t, src), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	plain, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := zstd.NewWriter(nil)
	out := filepath.Join(dir, "rewritten.c1z")
	if err := os.WriteFile(out, append([]byte("C1ZF\x00"), enc.EncodeAll(plain, nil)...), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

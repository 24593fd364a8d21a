package cli_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	_ "modernc.org/sqlite"
)

// corruptRow rewrites a c1z with the data of one grant row replaced by
// bytes that are not a protobuf message.
func corruptRow(t *testing.T, src string, row int) string {
	t.Helper()
	return rewriteDB(t, src, fmt.Sprintf("update v1_grants set data = x'ffffffffff' where id = %d", row))
}

// rewriteDB returns a copy of a c1z with SQL statements run on its
// database: files no honest writer makes, for tests of hostile input.
func rewriteDB(t *testing.T, src string, stmts ...string) string {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := zstd.NewReader(bytes.NewReader(raw[5:]))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "db")
	f, _ := os.Create(dbPath)
	if _, err := dec.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
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
	plain, _ := os.ReadFile(dbPath)
	enc, _ := zstd.NewWriter(nil)
	out := filepath.Join(dir, "corrupt.c1z")
	if err := os.WriteFile(out, append([]byte("C1ZF\x00"), enc.EncodeAll(plain, nil)...), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// A corrupt row in the middle of a listing is named (table, row, id);
// --skip-invalid prints everything else and counts what it skipped.
func TestCorruptRowIsNamedAndSkippable(t *testing.T) {
	good, want := grantsFile(t)
	path := corruptRow(t, good, 150)
	for _, args := range [][]string{{"grants"}, {"-o", "json", "grants"}, {"export", "json"}} {
		_, stderr, code := run(t, append([]string{"-f", path}, args...)...)
		if code != 4 || !strings.Contains(stderr, "v1_grants row 150") || !strings.Contains(stderr, "--skip-invalid") {
			t.Fatalf("%v: exit %d, stderr %q; want exit 4 naming v1_grants row 150", args, code, stderr)
		}
	}
	out, stderr, code := run(t, "-f", path, "--skip-invalid", "grants")
	if code != 0 || !strings.Contains(stderr, "skipped 1 object") {
		t.Fatalf("--skip-invalid: exit %d, stderr %q", code, stderr)
	}
	if lines := strings.Count(out, "\n"); lines != len(want) { // header + every grant but one
		t.Fatalf("--skip-invalid printed %d lines, want %d", lines, len(want))
	}
	if !strings.Contains(stderr, `id "team:`) {
		t.Fatalf("the skipped object is not named by id: %q", stderr)
	}
}

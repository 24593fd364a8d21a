package c1ztest

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/batonkit/batonkit/internal/testkit"
)

// Upstream is the path of one of Baton's fixture files (name without
// .c1z) in ../shared/fixtures/upstream; the test is skipped without it.
func Upstream(t testing.TB, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(moduleRoot(t), "..", "shared", "fixtures", "upstream"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("upstream fixtures not found at %s (../shared missing): %v", dir, err)
	}
	return filepath.Join(dir, name+".c1z")
}

// moduleRoot is the directory of go.mod, above the test's directory.
func moduleRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "pkg", "c1z")); err == nil {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("module root not found")
		}
		dir = parent
	}
}

// Schema describes the tables, columns and indexes of a c1z's database
// in a form that ignores whitespace in the original DDL: two files whose
// schemas are equal are laid out alike for every reader.
func Schema(t testing.TB, c1zPath string) []string {
	t.Helper()
	dbPath := DecodeDB(t, c1zPath)
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	testkit.Must(t, err)
	defer db.Close()
	var out []string
	rows, err := db.Query("select type, name, tbl_name from sqlite_master where name not like 'sqlite_%' order by name")
	testkit.Must(t, err)
	type obj struct{ typ, name, tbl string }
	var objs []obj
	for rows.Next() {
		var o obj
		testkit.Must(t, rows.Scan(&o.typ, &o.name, &o.tbl))
		objs = append(objs, o)
	}
	rows.Close()
	for _, o := range objs {
		switch o.typ {
		case "table":
			cr, err := db.Query("select name, type, \"notnull\", coalesce(dflt_value, ''), pk from pragma_table_info(?)", o.name)
			testkit.Must(t, err)
			for cr.Next() {
				var name, typ, dflt string
				var notnull, pk int
				testkit.Must(t, cr.Scan(&name, &typ, &notnull, &dflt, &pk))
				out = append(out, fmt.Sprintf("table %s column %s %s notnull=%d default=%s pk=%d", o.name, name, strings.ToLower(typ), notnull, dflt, pk))
			}
			cr.Close()
		case "index":
			var unique, partial int
			testkit.Must(t, db.QueryRow("select \"unique\", partial from pragma_index_list(?) where name = ?", o.tbl, o.name).Scan(&unique, &partial))
			cr, err := db.Query("select name from pragma_index_info(?) order by seqno", o.name)
			testkit.Must(t, err)
			var cols []string
			for cr.Next() {
				var c string
				testkit.Must(t, cr.Scan(&c))
				cols = append(cols, c)
			}
			cr.Close()
			out = append(out, fmt.Sprintf("index %s on %s (%s) unique=%d partial=%d", o.name, o.tbl, strings.Join(cols, ","), unique, partial))
		}
	}
	sort.Strings(out)
	return out
}

// DecodeDB extracts the SQLite database of a v1 c1z for inspection.
func DecodeDB(t testing.TB, c1zPath string) string {
	t.Helper()
	f, err := os.Open(c1zPath)
	testkit.Must(t, err)
	defer f.Close()
	if _, err := f.Seek(5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	dec, err := zstd.NewReader(f)
	testkit.Must(t, err)
	defer dec.Close()
	out := filepath.Join(t.TempDir(), "db.sqlite")
	o, err := os.Create(out)
	testkit.Must(t, err)
	_, err = io.Copy(o, dec)
	testkit.Must(t, err)
	testkit.Must(t, o.Close())
	return out
}

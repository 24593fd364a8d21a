// Package duckdb_test reads batonkit's Parquet export with an engine
// nobody here wrote: DuckDB, through its Go module (cgo). It is a module
// of its own so that the product never imports DuckDB; make test runs it.
package duckdb_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/cli"
)

func baton(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := cli.Execute(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("baton %v: exit %d\n%s", args, code, errb.String())
	}
	return out.String()
}

// queries are docs/parquet.md's, by their <!-- query: NAME --> marker.
func queries(t *testing.T) map[string]string {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "parquet.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile("(?s)<!-- query: (\\w+) -->\\s*```sql\\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	if len(out) < 2 {
		t.Fatalf("docs/parquet.md has %d marked queries", len(out))
	}
	return out
}

// The documented queries, run by DuckDB on an exported fleet, answer
// what baton fleet answers.
func TestDuckDBReadsTheExport(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir, tables := t.TempDir(), t.TempDir()
	idp, _, _ := c1ztest.Fleet(t, dir)
	baton(t, "fleet", "export", "--idp", idp, "--out", tables, dir)
	q := queries(t)
	// DuckDB resolves 'accounts.parquet' against its working directory.
	t.Chdir(tables)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var reach []string
	rows, err := db.Query(q["reach"])
	if err != nil {
		t.Fatalf("the reach query: %v", err)
	}
	for rows.Next() {
		var app, ent string
		var direct bool
		var through any
		if err := rows.Scan(&app, &ent, &direct, &through); err != nil {
			t.Fatal(err)
		}
		reach = append(reach, app+" "+ent)
	}
	rows.Close()
	var who struct {
		Accounts []struct {
			App          string
			Entitlements []struct{ ID string }
		}
	}
	if err := json.Unmarshal([]byte(baton(t, "-o", "json", "fleet", "who", "--idp", idp, "ada@example.com", dir)), &who); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range who.Accounts {
		for _, e := range a.Entitlements {
			want = append(want, a.App+" "+e.ID)
		}
	}
	slices.Sort(want)
	if !slices.Equal(reach, want) || len(want) == 0 {
		t.Errorf("DuckDB's reach of Ada:\n%v\nbaton fleet who:\n%v", reach, want)
	}

	var orphans []string
	rows, err = db.Query(q["orphans"])
	if err != nil {
		t.Fatalf("the orphans query: %v", err)
	}
	for rows.Next() {
		var app, account, name, kind string
		if err := rows.Scan(&app, &account, &name, &kind); err != nil {
			t.Fatal(err)
		}
		orphans = append(orphans, kind+" "+app+" "+account)
	}
	rows.Close()
	var fleet struct {
		Orphans []struct{ Kind, App, ID string }
	}
	if err := json.Unmarshal([]byte(baton(t, "-o", "json", "fleet", "orphans", "--idp", idp, dir)), &fleet); err != nil {
		t.Fatal(err)
	}
	var wantOrphans []string
	for _, o := range fleet.Orphans {
		wantOrphans = append(wantOrphans, o.Kind+" "+o.App+" "+o.ID)
	}
	slices.Sort(wantOrphans)
	slices.Sort(orphans)
	if !slices.Equal(orphans, wantOrphans) || len(orphans) != 2 {
		t.Errorf("DuckDB's orphans:\n%v\nbaton fleet orphans:\n%v", orphans, wantOrphans)
	}

	// Every table is there, with its rows.
	for table, want := range map[string]int{"apps": 3, "accounts": 9, "people": 3, "resources": 13, "entitlements": 4, "grants": 7} {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM '" + table + ".parquet'").Scan(&n); err != nil || n != want {
			t.Errorf("%s.parquet: %d rows (%v), want %d", table, n, err, want)
		}
	}
}

package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/internal/cli"
	"github.com/batonkit/batonkit/internal/s3test"
)

// baton fleet on three apps' files (one of them v3): one person in every
// app with the path of each grant, everyone, the orphans an IdP reveals,
// and the errors a user meets.
func TestFleetCommands(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	idp, _, _ := c1ztest.Fleet(t, dir)

	out, stderr, code := run(t, "fleet", "who", "ada@example.com", dir)
	for _, want := range []string{"idp   user:00u1", "wiki  user:w1", "hr    user:e17", "group:admins:member", "group:payroll:member", "granted by the connector"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("who: exit %d, missing %q:\n%s%s", code, want, out, stderr)
		}
	}
	if strings.Contains(out, "w4") {
		t.Errorf("who merged the service account:\n%s", out)
	}

	out, _, code = run(t, "-o", "json", "fleet", "people", "--idp", idp, dir)
	var people struct {
		People []struct {
			Name      string
			EnabledIn []string `json:"enabled_in"`
			Grants    int
			Left      bool
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &people) != nil || len(people.People) != 3 {
		t.Fatalf("people -o json: exit %d\n%s", code, out)
	}
	for _, p := range people.People {
		if p.Name == "Ada Lovelace" && (p.Grants != 4 || strings.Join(p.EnabledIn, ",") != "hr,idp,wiki") {
			t.Errorf("Ada: %+v", p)
		}
		if p.Name == "Bob Marley" && !p.Left {
			t.Errorf("Bob has not left: %+v", p)
		}
	}

	out, _, code = run(t, "fleet", "orphans", "--idp", idp, dir)
	lines := strings.Split(out, "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[1], "no person") || !strings.Contains(lines[1], "user:w3") ||
		!strings.HasPrefix(lines[2], "person left") || !strings.Contains(lines[2], "user:w2") || !strings.Contains(lines[2], "Bob Marley") {
		t.Errorf("orphans: exit %d\n%s", code, out)
	}

	if out, _, code = run(t, "fleet", "stats", "--app", "people="+idp, dir); code != 0 || !strings.Contains(out, "3     9") {
		t.Errorf("stats: exit %d\n%s", code, out)
	}

	// Errors: an unknown person (exit 8, with the closest), orphans
	// without an IdP (2), a damaged file (a warning; --strict: an error).
	if _, stderr, code = run(t, "fleet", "who", "ada@exampel.com", dir); code != cli.ExitUnknown || !strings.Contains(stderr, `no person "ada@exampel.com" in the fleet; did you mean`) || !strings.Contains(stderr, "ada@example.com") {
		t.Errorf("an unknown person: exit %d, %s", code, stderr)
	}
	if _, _, code = run(t, "fleet", "orphans", dir); code != cli.ExitUsage {
		t.Errorf("orphans without --idp: exit %d", code)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.c1z"), []byte("not a sync file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code = run(t, "fleet", "stats", dir); code != 0 || !strings.Contains(stderr, "skipped") || !strings.Contains(stderr, "broken.c1z") {
		t.Errorf("a damaged file: exit %d, %s", code, stderr)
	}
	if _, _, code = run(t, "fleet", "stats", "--strict", dir); code == 0 {
		t.Error("--strict accepted a damaged file")
	}
}

// A fleet in object storage: every .c1z under a prefix, the IdP named by
// its URL.
func TestFleetInS3(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	s := s3test.Start(t, "syncs")
	s3test.SetEnv(t, s3test.AccessKey)
	dir := t.TempDir()
	c1ztest.Fleet(t, dir)
	for _, name := range []string{"idp.c1z", "wiki.c1z", "hr.c1z"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Backend.PutObject("syncs", "fleet/"+name, nil, bytes.NewReader(b), int64(len(b)), nil); err != nil {
			t.Fatal(err)
		}
	}
	s3 := []string{"--s3-endpoint", s.URL, "--s3-path-style"}
	out, stderr, code := run(t, append(s3, "fleet", "orphans", "--idp", "s3://syncs/fleet/idp.c1z", "s3://syncs/fleet/")...)
	if code != 0 || !strings.Contains(out, "user:w3") || !strings.Contains(out, "Bob Marley") {
		t.Fatalf("orphans of an S3 fleet: exit %d\n%s%s", code, out, stderr)
	}
	if _, stderr, code = run(t, append(s3, "fleet", "stats", "s3://syncs/none/")...); code == 0 || !strings.Contains(stderr, "no .c1z") {
		t.Errorf("an empty prefix: exit %d, %s", code, stderr)
	}
}

// holders names the people behind an entitlement's holders; -o csv gives
// every fleet answer as CSV.
func TestFleetHoldersAndCSV(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	idp, _, _ := c1ztest.Fleet(t, dir)
	out, stderr, code := run(t, "fleet", "holders", "--idp", idp, "wiki", "admins member", dir)
	if code != 0 || !strings.Contains(out, "user:w1") || !strings.Contains(out, "Ada Lovelace") || !strings.Contains(out, "user:w4") || !strings.Contains(out, "user:w3") {
		t.Fatalf("holders: exit %d\n%s%s", code, out, stderr)
	}
	if _, stderr, code = run(t, "fleet", "holders", "wik", "group:admins:member", dir); code != cli.ExitUnknown || !strings.Contains(stderr, `"wiki"`) {
		t.Errorf("an unknown app: exit %d, %s", code, stderr)
	}
	out, _, code = run(t, "-o", "csv", "fleet", "people", "--idp", idp, dir)
	if code != 0 || !strings.HasPrefix(out, "PERSON,KEY,ENABLED IN,DISABLED IN,GRANTS\n") || !strings.Contains(out, `Ada Lovelace,email:ada@example.com,"hr, idp, wiki",,4`) {
		t.Errorf("people -o csv: exit %d\n%s", code, out)
	}
	if _, stderr, code = run(t, "-o", "yaml", "fleet", "stats", dir); code != cli.ExitUsage || !strings.Contains(stderr, "csv") {
		t.Errorf("-o yaml: exit %d, %s", code, stderr)
	}
}

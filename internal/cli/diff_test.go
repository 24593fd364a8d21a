package cli_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/cli"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// Two files compare as the two syncs of one file do; --exit-code tells
// "changes" from "none"; modified rows name their changed fields.
func TestDiffTwoFiles(t *testing.T) {
	two := filepath.Join(fixtureDir(t), "demo-v1-two-syncs.c1z")
	out, stderr, code := run(t, "-f", two, "-o", "json", "syncs")
	if code != 0 {
		t.Fatalf("syncs: %s", stderr)
	}
	var syncs struct {
		Syncs []struct {
			ID string `json:"id"`
		} `json:"syncs"`
	}
	if err := json.Unmarshal([]byte(out), &syncs); err != nil || len(syncs.Syncs) < 2 {
		t.Fatalf("syncs: %v %s", err, out)
	}
	dir := t.TempDir()
	var files []string
	for i, s := range syncs.Syncs[len(syncs.Syncs)-2:] {
		f := filepath.Join(dir, []string{"old.c1z", "new.c1z"}[i])
		if _, stderr, code := run(t, "-f", two, "--sync-id", s.ID, "export", "c1z", "--out", f); code != 0 {
			t.Fatalf("export %s: %s", s.ID, stderr)
		}
		files = append(files, f)
	}
	oneFile, _, code := run(t, "-f", two, "-o", "json", "diff")
	if code != 0 {
		t.Fatal("diff of one file failed")
	}
	twoFiles, stderr, code := run(t, "-o", "json", "diff", files[0], files[1])
	if code != 0 {
		t.Fatalf("diff of two files: exit %d: %s", code, stderr)
	}
	if oneFile != twoFiles {
		t.Fatalf("two files differ from two syncs of one file:\n%s\n%s", oneFile, twoFiles)
	}

	// A user disabled and renamed between two files.
	ada := func(name string, st connectorv2.UserTrait_Status_Status) func(context.Context, *c1z.SyncWriter) error {
		return func(ctx context.Context, w *c1z.SyncWriter) error {
			if err := w.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: "User"}); err != nil {
				return err
			}
			return w.PutResources(ctx, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "u1"}, DisplayName: name,
				Annotations: annotations.New(&connectorv2.UserTrait{Login: "ada", Status: &connectorv2.UserTrait_Status{Status: st}})})
		}
	}
	before, after := syncFile(t, ada("Ada", connectorv2.UserTrait_Status_STATUS_ENABLED)), syncFile(t, ada("Ada L.", connectorv2.UserTrait_Status_STATUS_DISABLED))
	console, _, _ := run(t, "diff", before, after)
	if !strings.Contains(console, "FIELDS") || !strings.Contains(console, "displayName,annotations.UserTrait.status") {
		t.Errorf("console diff does not name the changed fields:\n%s", console)
	}
	js, _, _ := run(t, "-o", "json", "diff", before, after)
	if !strings.Contains(js, `"modifiedFields":{"resource:user:u1":["displayName","annotations.UserTrait.status"]}`) {
		t.Errorf("the JSON diff does not name the changed fields:\n%s", js)
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"diff", files[0], files[1], "--exit-code"}, cli.ExitChanges, ""},
		{[]string{"diff", files[0], files[0], "--exit-code"}, cli.ExitOK, "no changes"},
		{[]string{"diff", files[0]}, cli.ExitUsage, "two files"},
		{[]string{"diff", files[0], filepath.Join(dir, "missing.c1z")}, cli.ExitNoFile, "missing.c1z"},
		{[]string{"diff", files[0], files[1], "--base", "nosuch"}, cli.ExitNoSync, "nosuch"},
		{[]string{"-f", two, "diff", "--exit-code"}, cli.ExitChanges, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, stderr, code := run(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Fatalf("exit %d (want %d): %s", code, tc.code, stderr)
			}
		})
	}
}

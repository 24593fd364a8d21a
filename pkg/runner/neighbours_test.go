package runner_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/batonkit/batonkit/internal/controlplanetest"
	"github.com/batonkit/batonkit/internal/neighbour"
	"github.com/batonkit/batonkit/internal/s3test"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// Another local user plants files, links and directories where the
// victim (this test's user, root in CI) syncs, exports and keeps caches;
// the victim's real programs refuse every one of them, say why, and
// leave what they found untouched. SECURITY.md, "other local users".
func TestNeighboursPlantsAreRefused(t *testing.T) {
	mallory := neighbour.Get(t)
	home := t.TempDir() // the victim's own, closed to others
	backdoor := neighbour.Handout(t, unfinishedSyncWithBackdoor(t, filepath.Join(home, "backdoor.c1z")))
	own := filepath.Join(home, "own.c1z")
	ok(t, runIn(t, home, nil, bins.testapp, "--file", own))
	ownBytes, err := os.ReadFile(own)
	testkit.Must(t, err)
	uid := os.Geteuid()

	for _, tc := range []struct {
		name   string
		sticky bool
		plant  string                            // the neighbour's script, in the shared directory
		run    func(shared string) result        // the victim's command
		want   string                            // in its error
		after  func(t *testing.T, shared string) // what must be unchanged
	}{{
		name: "another user's unfinished sync", sticky: true,
		plant: "cp " + backdoor + " sync.c1z && chmod 666 sync.c1z",
		run:   func(shared string) result { return runIn(t, shared, nil, bins.testapp, "--file", "sync.c1z") },
		want:  "belongs to another user",
		after: func(t *testing.T, shared string) {
			sameFile(t, filepath.Join(shared, "sync.c1z"), backdoor, 0o666, mallory.UID)
		},
	}, {
		name:  "another user's file in a shared directory without the sticky bit",
		plant: "cp " + backdoor + " sync.c1z && chmod 666 sync.c1z",
		run:   func(shared string) result { return runIn(t, shared, nil, bins.testapp, "--file", "sync.c1z") },
		want:  "without the sticky bit",
		after: func(t *testing.T, shared string) {
			sameFile(t, filepath.Join(shared, "sync.c1z"), backdoor, 0o666, mallory.UID)
		},
	}, {
		name: "a link to the victim's other sync file", sticky: true,
		plant: "ln -s " + own + " sync.c1z",
		run:   func(shared string) result { return runIn(t, shared, nil, bins.testapp, "--file", "sync.c1z") },
		want:  "is a symbolic link",
		after: func(t *testing.T, shared string) { sameBytes(t, own, ownBytes) },
	}, {
		name: "a directory of the neighbour's", sticky: true,
		plant: "mkdir d && chmod 1777 d",
		run:   func(shared string) result { return runIn(t, shared, nil, bins.testapp, "--file", "d/sync.c1z") },
		want:  "directory of another user",
		after: func(t *testing.T, shared string) { empty(t, filepath.Join(shared, "d")) },
	}, {
		name: "an export onto the neighbour's file", sticky: true,
		plant: "echo planted > out.json && chmod 666 out.json",
		run: func(shared string) result {
			return runIn(t, shared, nil, bins.baton, "-f", own, "export", "json", "--out", "out.json")
		},
		want: "belongs to another user",
		after: func(t *testing.T, shared string) {
			sameBytes(t, filepath.Join(shared, "out.json"), []byte("planted\n"))
		},
	}, {
		name: "an export through a link", sticky: true,
		plant: "ln -s " + own + " out.c1z",
		run: func(shared string) result {
			return runIn(t, shared, nil, bins.baton, "-f", own, "export", "json", "--out", "out.c1z")
		},
		want:  "is a symbolic link",
		after: func(t *testing.T, shared string) { sameBytes(t, own, ownBytes) },
	}, {
		name: "a credentials file through a link", sticky: true,
		plant: "ln -s " + filepath.Join(home, "creds") + " creds.txt",
		run: func(shared string) result {
			return runIn(t, shared, nil, bins.sqlapp, "--db", filepath.Join(home, "app.db"), "--provisioning",
				"--rotate-credentials", "u-ada", "--rotate-credentials-type", "user", "--credentials-file", "creds.txt")
		},
		want: "nothing was changed",
		after: func(t *testing.T, shared string) {
			if _, err := os.Lstat(filepath.Join(home, "creds")); !os.IsNotExist(err) {
				t.Fatal("the credentials went where the link points")
			}
		},
	}, {
		name: "the S3 working copy under a shared TMPDIR with HOME unset", sticky: true,
		// The neighbour prepares the victim's fallback cache: a link to a
		// root-only file as the local copy, marked as a failed upload.
		plant: fmt.Sprintf("mkdir -p batonkit-%d/baton/s3/syncs/team && chmod -R 777 batonkit-%d && "+
			"ln -s %s batonkit-%d/baton/s3/syncs/team/t.c1z && touch batonkit-%d/baton/s3/syncs/team/t.c1z.upload-pending",
			uid, uid, own, uid, uid),
		run: func(shared string) result {
			s := s3test.Start(t, "syncs")
			t.Cleanup(func() {
				if _, err := s.Backend.HeadObject("syncs", "team/t.c1z"); err == nil {
					t.Error("the planted link's target was uploaded to the bucket")
				}
			})
			env := append(s3test.Env(t, s3test.AccessKey), "HOME=", "XDG_CACHE_HOME=", "TMPDIR="+shared,
				"BATON_FILE=s3://syncs/team/t.c1z", "BATON_S3_ENDPOINT="+s.URL, "BATON_S3_PATH_STYLE=true")
			return runIn(t, shared, env, bins.testapp)
		},
		want:  "belongs to another user",
		after: func(t *testing.T, shared string) { sameBytes(t, own, ownBytes) },
	}, {
		name: "the service directory under a shared TMPDIR with HOME unset", sticky: true,
		plant: fmt.Sprintf("mkdir batonkit-%d && chmod 777 batonkit-%d", uid, uid),
		run: func(shared string) result {
			cp := controlplanetest.Start(t)
			env := append(serviceEnv(cp, cp.ClientSecret), "HOME=", "XDG_CACHE_HOME=", "TMPDIR="+shared)
			return runIn(t, shared, env, bins.sqlapp, "--client-id", cp.ClientID, "--db", filepath.Join(home, "svc.db"))
		},
		want:  "belongs to another user",
		after: func(t *testing.T, shared string) { empty(t, filepath.Join(shared, fmt.Sprintf("batonkit-%d", uid))) },
	}} {
		t.Run(tc.name, func(t *testing.T) {
			shared := neighbour.SharedDir(t, tc.sticky)
			mallory.Sh(t, shared, tc.plant)
			r := tc.run(shared)
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, want a refusal saying %q:\n%s", r.code, tc.want, r.stderr)
			}
			tc.after(t, shared)
		})
	}
}

// The victim's own file that others can write is refused too: anyone
// could have put the grants in it.
func TestWorldWritableSyncFileIsRefused(t *testing.T) {
	shared := neighbour.SharedDir(t, true)
	path := filepath.Join(shared, "sync.c1z")
	ok(t, runIn(t, shared, nil, bins.testapp, "--file", path))
	testkit.Must(t, os.Chmod(path, 0o666))
	if r := runIn(t, shared, nil, bins.testapp, "--file", path); r.code == 0 || !strings.Contains(r.stderr, "writable by other users") {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	// Its owner's narrower mode is kept, never widened; exec bits are not.
	testkit.Must(t, os.Chmod(path, 0o750))
	ok(t, runIn(t, shared, nil, bins.testapp, "--file", path))
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode after a sync: %04o, want 0640", fi.Mode().Perm())
	}
}

// unfinishedSyncWithBackdoor writes a c1z whose unfinished sync grants
// the neighbour membership of admins: what a victim must never resume.
func unfinishedSyncWithBackdoor(t *testing.T, path string) string {
	ctx := context.Background()
	st, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	testkit.Must(t, err)
	admins := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "group", Resource: "admins"}, DisplayName: "Admins"}
	ent := &connectorv2.Entitlement{Id: "group:admins:member", Resource: admins, Slug: "member"}
	testkit.Must(t, run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "group", DisplayName: "Group"}))
	testkit.Must(t, run.PutResources(ctx, admins))
	testkit.Must(t, run.PutEntitlements(ctx, ent))
	testkit.Must(t, run.PutGrants(ctx, &connectorv2.Grant{Id: "group:admins:member:user:mallory", Entitlement: ent,
		Principal: &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "mallory"}}}))
	testkit.Must(t, run.Checkpoint(ctx, "{}"))
	testkit.Must(t, st.Close(ctx))
	return path
}

func sameBytes(t *testing.T, path string, want []byte) {
	t.Helper()
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s changed (%v)", path, err)
	}
}

// sameFile checks path still holds the planted content, mode and owner.
func sameFile(t *testing.T, path, content string, mode os.FileMode, uid int) {
	t.Helper()
	want, err := os.ReadFile(content)
	testkit.Must(t, err)
	sameBytes(t, path, want)
	fi, err := os.Lstat(path)
	testkit.Must(t, err)
	if fi.Mode().Perm() != mode {
		t.Fatalf("%s: mode %04o, want the planted %04o kept", path, fi.Mode().Perm(), mode)
	}
	if got := fileOwner(fi); got != uid {
		t.Fatalf("%s: owner %d, want %d", path, got, uid)
	}
}

func fileOwner(fi os.FileInfo) int { return int(fi.Sys().(*syscall.Stat_t).Uid) }

func empty(t *testing.T, dir string) {
	t.Helper()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("%s: the victim wrote into it: %v", dir, entries)
	}
}

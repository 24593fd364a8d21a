package c1z_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// The next open of a file (holding its lock) removes the temporary files
// a killed save or unpack of ours left beside it, and nothing else.
func TestStaleTempFilesAreRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.c1z")
	writeSmall(t, path)
	stale := []string{".s.c1z.tmp-123456", ".s.c1z.work.tmp-98765"}
	keep := []string{".other.c1z.tmp-1", "s.c1z.notes"}
	for _, n := range append(append([]string{}, stale...), keep...) {
		testkit.Must(t, os.WriteFile(filepath.Join(dir, n), make([]byte, 1<<20), 0o600))
	}
	st, err := c1z.Open(context.Background(), path)
	testkit.Must(t, err)
	testkit.Must(t, st.Close(context.Background()))
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived the next open", n)
		}
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s, not ours, was removed", n)
		}
	}
}

// A link where a sync file should be is refused for writing, whoever
// planted it: following it would replace the file it points to (here the
// user's own other sync file). Reading through a link is fine.
func TestSymlinkedSyncFileIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	real := filepath.Join(dir, "real.c1z")
	writeSmall(t, real)
	before, err := os.ReadFile(real)
	testkit.Must(t, err)
	link := filepath.Join(dir, "link.c1z")
	testkit.Must(t, os.Symlink("real.c1z", link))
	dangling := filepath.Join(dir, "dangling.c1z")
	testkit.Must(t, os.Symlink("new.c1z", dangling))
	for _, path := range []string{link, dangling} {
		if _, err := c1z.Open(ctx, path); !errors.Is(err, c1z.ErrUnsafeFile) || !strings.Contains(err.Error(), "symbolic link") {
			t.Fatalf("open %s for writing: err = %v, want the link refused", filepath.Base(path), err)
		}
	}
	if after, _ := os.ReadFile(real); !bytes.Equal(before, after) {
		t.Fatal("the file behind the link changed")
	}
	if _, err := os.Lstat(filepath.Join(dir, "new.c1z")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file was created where the dangling link points")
	}
	ro, err := c1z.OpenReader(ctx, link)
	testkit.Must(t, err)
	testkit.Must(t, ro.Close(ctx))
}

// Files we create are private whatever the umask; a mode the owner set is
// kept, never widened.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "s.c1z")
	st, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	testkit.Must(t, err)
	testkit.Must(t, run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: "User"}))
	testkit.Must(t, run.Checkpoint(ctx, "{}"))
	for _, suffix := range []string{".work", ".work-wal", ".work-shm", ".lock"} {
		if fi, err := os.Stat(path + suffix); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", suffix, fi.Mode().Perm(), err)
		}
	}
	testkit.Must(t, st.Close(ctx))
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("new sync file mode %v, want 0600", fi.Mode().Perm())
	}
	testkit.Must(t, os.Chmod(path, 0o640))
	st, err = c1z.Open(ctx, path)
	testkit.Must(t, err)
	_, err = st.StartSync(ctx, c1z.SyncFull, "")
	testkit.Must(t, err)
	testkit.Must(t, st.Close(ctx))
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Fatalf("re-saved file mode %v, want the owner's 0640 kept", fi.Mode().Perm())
	}
}

// A full disk fails with ErrNoSpace and says how much a sync needs; the
// working file it keeps lets the next run finish once space is freed.
func TestFullDiskThenSpaceFreed(t *testing.T) {
	ctx := context.Background()
	dir := smallFS(t, 24<<20)
	filler := filepath.Join(dir, "filler")
	testkit.Must(t, os.WriteFile(filler, make([]byte, 20<<20), 0o600))
	path := filepath.Join(dir, "s.c1z")
	st, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	testkit.Must(t, err)
	testkit.Must(t, run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: "User"}))
	put := func(run *c1z.SyncWriter, from, to int) error {
		for i := from; i < to; i += 500 {
			var rs []*connectorv2.Resource
			for j := i; j < min(i+500, to); j++ {
				rs = append(rs, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: fmt.Sprintf("u%06d", j)},
					DisplayName: strings.Repeat("x", 200)})
			}
			if err := run.PutResources(ctx, rs...); err != nil {
				return err
			}
			if err := run.Checkpoint(ctx, fmt.Sprintf(`{"done":%d}`, min(i+500, to))); err != nil {
				return err
			}
		}
		return nil
	}
	err = put(run, 0, 40_000)
	if !errors.Is(err, c1z.ErrNoSpace) || !strings.Contains(err.Error(), "needs") {
		t.Fatalf("writing into a full disk: err = %v, want ErrNoSpace saying what a sync needs", err)
	}
	if err := st.Close(ctx); err == nil || !strings.Contains(err.Error(), "kept") {
		t.Fatalf("Close after a full disk: %v, want an error saying the work is kept", err)
	}
	testkit.Must(t, os.Remove(filler))
	st, err = c1z.Open(ctx, path)
	testkit.Must(t, err)
	unfinished, err := st.UnfinishedSync(ctx, c1z.SyncFull)
	testkit.Must(t, err)
	var done int
	fmt.Sscanf(unfinished.Token, `{"done":%d}`, &done)
	run, err = st.ResumeSync(ctx, unfinished.ID)
	testkit.Must(t, err)
	testkit.Must(t, put(run, done, 20_000))
	_, err = run.End(ctx)
	testkit.Must(t, err)
	testkit.Must(t, st.Close(ctx))
	ro, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer ro.Close(ctx)
	stats, err := ro.Stats(ctx, "")
	testkit.Must(t, err)
	if stats.Resources != 20_000 {
		t.Fatalf("%d resources after the retry, want 20000", stats.Resources)
	}
}

// In a shared directory, lock and working files planted by someone else
// (a symlink, another user's file, a file others may write) are refused,
// saying why; the victim's sync never adopts their content.
func TestPlantedFilesAreRefused(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, path string)
	}{
		{"symlinked lock", func(t *testing.T, path string) { testkit.Must(t, os.Symlink("/tmp/elsewhere", path+".lock")) }},
		{"world-writable lock", func(t *testing.T, path string) { plant(t, path+".lock", 0o666, -1) }},
		{"another user's lock", func(t *testing.T, path string) { plant(t, path+".lock", 0o600, 65534) }},
		{"world-writable work", func(t *testing.T, path string) { plant(t, c1z.WorkPath(path), 0o666, -1) }},
		{"another user's work", func(t *testing.T, path string) { plant(t, c1z.WorkPath(path), 0o600, 65534) }},
		{"symlinked work", func(t *testing.T, path string) { testkit.Must(t, os.Symlink("/tmp/elsewhere", c1z.WorkPath(path))) }},
		{"planted wal", func(t *testing.T, path string) { plant(t, c1z.WorkPath(path)+"-wal", 0o666, -1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testkit.Must(t, os.Chmod(dir, 0o1777))
			path := filepath.Join(dir, "s.c1z")
			tc.plant(t, path)
			_, err := c1z.Open(ctx, path)
			if !errors.Is(err, c1z.ErrUnsafeFile) {
				t.Fatalf("err = %v, want the planted file refused", err)
			}
		})
	}
}

// plant writes a file with mode and, when uid >= 0, another owner (the
// tests run as root on this machine's kind).
func plant(t *testing.T, path string, mode os.FileMode, uid int) {
	t.Helper()
	testkit.Must(t, os.WriteFile(path, []byte("planted"), 0o600))
	testkit.Must(t, os.Chmod(path, mode))
	if uid >= 0 {
		if err := os.Chown(path, uid, uid); err != nil {
			t.Fatalf("chown to another user (needs root): %v", err)
		}
	}
}

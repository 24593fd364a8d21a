package cli_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/batonkit/batonkit/internal/cli"
	"github.com/batonkit/batonkit/internal/testconnector/planted"
)

var (
	buildOnce sync.Map // package -> func() (string, error)
	binDir    string   // where built puts them, removed when the tests end
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "baton-cli-test-bin-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// built compiles a connector program once per test binary.
func built(t *testing.T, pkg string) string {
	t.Helper()
	f, _ := buildOnce.LoadOrStore(pkg, sync.OnceValues(func() (string, error) {
		bin := filepath.Join(binDir, filepath.Base(pkg))
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			return "", &buildError{pkg, string(out), err}
		}
		return bin, nil
	}))
	bin, err := f.(func() (string, error))()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

type conformanceJSON struct {
	Connector string
	Passed    bool
	Checks    []struct {
		ID       string
		Status   string
		Problems []string
	}
}

func conformance(t *testing.T, args ...string) (conformanceJSON, string, int) {
	t.Helper()
	out, stderr, code := run(t, append([]string{"conformance", "-o", "json"}, args...)...)
	var rep conformanceJSON
	if code == cli.ExitOK || code == cli.ExitNotConform {
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("conformance -o json printed %q: %v (stderr %s)", out, err, stderr)
		}
	}
	return rep, stderr, code
}

func failedChecks(rep conformanceJSON) []string {
	var ids []string
	for _, c := range rep.Checks {
		if c.Status == "fail" {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// Over the child-process link, as built binaries: the connector without a
// defect passes, and each planted defect fails its check and only that.
func TestConformanceCatchesEachPlantedDefect(t *testing.T) {
	bin := built(t, "github.com/batonkit/batonkit/internal/testconnector/cmd/baton-planted")
	rep, stderr, code := conformance(t, "--connector", bin)
	if code != cli.ExitOK || !rep.Passed {
		t.Fatalf("no defect: exit %d, failed %v: %s", code, failedChecks(rep), stderr)
	}
	for _, c := range rep.Checks {
		if c.ID == "restart" && c.Status != "pass" {
			t.Errorf("over the child link the restart check runs; it is %s", c.Status)
		}
	}
	for _, defect := range slices.Sorted(maps.Keys(planted.Defects)) {
		t.Run(defect, func(t *testing.T) {
			rep, stderr, code := conformance(t, "--connector", bin, "--", "--defect", defect)
			if code != cli.ExitNotConform {
				t.Fatalf("exit %d, want %d: %s", code, cli.ExitNotConform, stderr)
			}
			if got := failedChecks(rep); !slices.Equal(got, []string{planted.Defects[defect]}) {
				t.Fatalf("failed %v, want only %s", got, planted.Defects[defect])
			}
		})
	}
}

// The bundled SQLite app passes everything, provisioning included, on a
// scratch copy of its database.
func TestConformanceOfTheSQLApp(t *testing.T) {
	bin := built(t, "github.com/batonkit/batonkit/examples/sqlapp/cmd/baton-sqlapp")
	rep, stderr, code := conformance(t, "--connector", bin, "--provisioning", "--", "--db", filepath.Join(t.TempDir(), "app.db"))
	if code != cli.ExitOK {
		t.Fatalf("exit %d, failed %v: %s", code, failedChecks(rep), stderr)
	}
	for _, c := range rep.Checks {
		if c.Status != "pass" {
			t.Errorf("check %s: %s %v", c.ID, c.Status, c.Problems)
		}
	}
}

func TestConformanceFlags(t *testing.T) {
	bin := built(t, "github.com/batonkit/batonkit/internal/testconnector/cmd/baton-planted")
	rep, _, code := conformance(t, "--connector", bin, "--check", "ids", "--check", "references", "--", "--defect", "dangling-grant")
	if code != cli.ExitNotConform || len(rep.Checks) != 2 || !slices.Equal(failedChecks(rep), []string{"references"}) {
		t.Errorf("--check ids --check references: exit %d, %+v", code, rep.Checks)
	}
	out, _, code := run(t, "conformance", "--connector", bin, "--", "--defect", "repeated-page")
	if code != cli.ExitNotConform || !strings.Contains(out, "pagination        FAIL") || !strings.Contains(out, "1 failed") {
		t.Errorf("table: exit %d:\n%s", code, out)
	}
	if out, _, code := run(t, "conformance", "--list"); code != 0 || !strings.Contains(out, "page-sizes") {
		t.Errorf("--list: exit %d: %s", code, out)
	}
	if _, stderr, code := run(t, "conformance", "--connector", bin, "--check", "nosuch"); code != cli.ExitUsage || !strings.Contains(stderr, "nosuch") {
		t.Errorf("--check nosuch: exit %d: %s", code, stderr)
	}
	if _, _, code := run(t, "conformance"); code != cli.ExitUsage {
		t.Errorf("no --connector: exit %d", code)
	}
	if _, _, code := run(t, "conformance", "--connector", filepath.Join(t.TempDir(), "missing")); code != cli.ExitNoConnector {
		t.Errorf("missing binary: exit %d", code)
	}
	// Out of time before the connector starts, or between checks: either
	// way a failure that names the timeout, never a pass.
	out, stderr, code := run(t, "conformance", "--connector", bin, "--timeout", "1ms")
	if code == cli.ExitOK || !strings.Contains(out+stderr, "--timeout 1ms ran out") {
		t.Errorf("--timeout 1ms: exit %d: %s%s", code, out, stderr)
	}
}

type buildError struct {
	pkg, out string
	err      error
}

func (e *buildError) Error() string { return "go build " + e.pkg + ": " + e.err.Error() + "\n" + e.out }

// What the connector logs (WARN lines of a correct one included) goes to a
// private file the report names, not between the report's lines; a failed
// check shows the log's last lines; --log chooses the file, - the terminal.
func TestConformanceKeepsTheConnectorsLogApart(t *testing.T) {
	bin := built(t, "github.com/batonkit/batonkit/internal/testconnector/cmd/baton-planted")
	out, stderr, code := run(t, "conformance", "--connector", bin)
	_, logPath, found := strings.Cut(out, "the connector's log (")
	if code != 0 || stderr != "" || !found {
		t.Fatalf("exit %d, stderr %q, report:\n%s", code, stderr, out)
	}
	_, logPath, _ = strings.Cut(strings.TrimSpace(logPath), "): ")
	t.Cleanup(func() { os.Remove(logPath) })
	fi, err := os.Stat(logPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the named log %q: %v, %v", logPath, fi, err)
	}
	if b, _ := os.ReadFile(logPath); !strings.Contains(string(b), "level=WARN") {
		t.Errorf("the log lacks the connector's WARN lines:\n%s", b)
	}

	chosen := filepath.Join(t.TempDir(), "planted.log")
	out, stderr, code = run(t, "conformance", "--connector", bin, "--log", chosen, "--", "--defect", "repeated-page")
	if code != cli.ExitNotConform || !strings.Contains(out, chosen) || !strings.Contains(stderr, "last log lines") || !strings.Contains(stderr, "level=WARN") {
		t.Errorf("a failed check: exit %d, report %s, stderr %s; want the log named and its tail on stderr", code, out, stderr)
	}
	if _, stderr, _ = run(t, "conformance", "--connector", bin, "--log", "-"); !strings.Contains(stderr, "level=WARN") {
		t.Errorf("--log -: stderr %q", stderr)
	}
}

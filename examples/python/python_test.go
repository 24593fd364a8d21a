// The Python examples are checked here, from Go: the stubs generated from
// proto/, the connector run through the child-process protocol (synced
// and judged by baton conformance), the client against a served Go
// connector over a Unix socket and over TLS with a token, and the parent
// running a Go connector.
package python_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonkit/batonkit/internal/cli"
	"github.com/batonkit/batonkit/internal/clitest"
	"github.com/batonkit/batonkit/internal/testpki"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// python is Debian's interpreter with python3-grpcio (make test-deps
// installs both), the one the examples' #! line names.
const python = "/usr/bin/python3"

// setup generates the stubs into gen/ once and builds the Go connector
// the client talks to.
var setup = sync.OnceValues(func() (string, error) {
	if out, err := exec.Command(python, "-c", "import grpc, google.protobuf, cryptography").CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s cannot import grpc: install Debian's python3-grpcio, python3-protobuf and python3-cryptography (make test-deps): %v\n%s", python, err, out)
	}
	if out, err := exec.Command("./gen_stubs.sh", "gen").CombinedOutput(); err != nil {
		return "", fmt.Errorf("gen_stubs.sh (Debian's protobuf-compiler and protobuf-compiler-grpc): %v\n%s", err, out)
	}
	bin := filepath.Join(os.TempDir(), fmt.Sprintf("baton-sqlapp-python-test-%d", os.Getpid()))
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/batonkit/batonkit/examples/sqlapp/cmd/baton-sqlapp").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build baton-sqlapp: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	os.Remove(filepath.Join(os.TempDir(), fmt.Sprintf("baton-sqlapp-python-test-%d", os.Getpid())))
	os.Exit(code)
}

func sqlapp(t *testing.T) string {
	t.Helper()
	bin, err := setup()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// baton sync --connector runs the Python connector over the child link.
func TestPythonConnectorSyncs(t *testing.T) {
	sqlapp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "wiki.c1z")
	var out, errb bytes.Buffer
	if code := cli.Execute(ctx, []string{"-f", path, "sync", "--no-progress", "--connector", "./connector.py"}, &out, &errb); code != 0 {
		t.Fatalf("baton sync: exit %d\n%s", code, errb.String())
	}
	st, err := c1z.OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	stats, err := st.Stats(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// 4 users + 3 groups, a membership each; 6 direct grants and 6
	// through nesting (editors in admins in readers).
	if stats.Resources != 7 || stats.Entitlements != 3 || stats.Grants != 12 {
		t.Fatalf("stats %+v; want 7 resources, 3 entitlements, 12 grants", stats)
	}
}

func TestPythonConnectorConforms(t *testing.T) {
	sqlapp(t)
	clitest.Conforms(t, "--connector", "./connector.py")
}

// serve starts baton-sqlapp serve with args and returns its address.
func serve(t *testing.T, env []string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(sqlapp(t), append([]string{"--db", filepath.Join(dir, "app.db"), "serve", "--provisioning"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var log syncBuffer
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := regexp.MustCompile(`addr=(\S+)`)
	for i := 0; i < 100; i++ {
		if m := addr.FindStringSubmatch(log.String()); m != nil {
			return m[1]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the server did not start:\n%s", log.String())
	return ""
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// client runs client.py and returns its output and whether it succeeded.
func client(t *testing.T, env []string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(python, append([]string{"client.py"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// users, grant, users, revoke, users: what the README shows.
func roundTrip(t *testing.T, addr string, env []string) {
	t.Helper()
	if out, ok := client(t, env, addr, "users"); !ok || !strings.Contains(out, "Grace Hopper\tgroup:engineering:member\n") {
		t.Fatalf("users: %s", out)
	}
	if out, ok := client(t, env, addr, "grant", "role:admin:assigned", "u2"); !ok {
		t.Fatalf("grant: %s", out)
	}
	if out, ok := client(t, env, addr, "users"); !ok || !strings.Contains(out, "Grace Hopper\tgroup:engineering:member role:admin:assigned\n") {
		t.Fatalf("users after the grant: %s", out)
	}
	if out, ok := client(t, env, addr, "revoke", "role:admin:assigned", "u2"); !ok {
		t.Fatalf("revoke: %s", out)
	}
	if out, ok := client(t, env, addr, "users"); !ok || strings.Contains(out, "Grace Hopper\tgroup:engineering:member role:admin") {
		t.Fatalf("users after the revoke: %s", out)
	}
}

func TestPythonClientOverAUnixSocket(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	addr := serve(t, nil, "--listen", "unix://"+filepath.Join(dir, "app.sock"), "--insecure-loopback")
	roundTrip(t, addr, nil)
}

func TestPythonClientOverTLSWithAToken(t *testing.T) {
	pki := testpki.New(t)
	addr := serve(t, []string{"BATON_SERVE_TOKEN=py-s3cret"}, "--listen", "127.0.0.1:0", "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey)
	// The certificate names 127.0.0.1, which the client dials.
	roundTrip(t, addr, []string{"BATON_SERVE_CA=" + pki.CA, "BATON_SERVE_TOKEN=py-s3cret"})
	if out, ok := client(t, []string{"BATON_SERVE_CA=" + pki.CA, "BATON_SERVE_TOKEN=wrong"}, addr, "users"); ok || !strings.Contains(out, "NotAllowed: UNAUTHENTICATED") {
		t.Errorf("a wrong token: %s", out)
	}
}

// parent.py runs a Go connector as Baton's parent does and lists its
// users over the mutual-TLS link, then stops it by closing its stdin.
func TestPythonParentRunsAGoConnector(t *testing.T) {
	bin := sqlapp(t)
	db := filepath.Join(t.TempDir(), "app.db")
	out, err := exec.Command(python, "parent.py", bin, "--db", db).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "u2\tGrace Hopper\n") {
		t.Fatalf("parent.py: %v\n%s", err, out)
	}
}

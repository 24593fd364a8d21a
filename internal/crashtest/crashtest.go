// Package crashtest is the harness of the tests that kill a syncing
// process: the test binary runs itself again as the process to kill (a
// test function that calls Helper first), and KillAfter stops it with
// SIGKILL at a chosen moment. What the kill left is then the test's to
// check.
//
//	func TestHelper(t *testing.T) { crashtest.Helper("MY_FILE", newConnector) }
//	cmd := crashtest.Command("TestHelper", "MY_FILE", path)
//	crashtest.KillAfter(t, cmd, delay)
package crashtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/sync"
)

// Helper syncs the connector newConn builds into the file the environment
// variable env names, saves it and ends the process (status 2 on a
// failure, with the reason on stderr). Without the variable it returns at
// once: the helper test passes when run as a test.
func Helper(env string, newConn func() (connector.Connector, error), opts ...sync.Option) {
	path := os.Getenv(env)
	if path == "" {
		return
	}
	fail := func(what string, err error) {
		fmt.Fprintln(os.Stderr, what+":", err)
		os.Exit(2)
	}
	ctx := context.Background()
	c, err := newConn()
	if err != nil {
		fail("connector", err)
	}
	srv, err := connector.NewServer(ctx, c)
	if err != nil {
		fail("server", err)
	}
	st, err := c1z.Open(ctx, path)
	if err != nil {
		fail("open", err)
	}
	if _, err := sync.New(connector.InProcessClient(srv), st, opts...).Run(ctx); err != nil {
		fail("sync", err)
	}
	if err := st.Close(ctx); err != nil {
		fail("close", err)
	}
	os.Exit(0)
}

// Command runs this test binary again as the helper test named test,
// syncing into path.
func Command(test, env, path string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"="+path)
	cmd.Stderr = os.Stderr
	return cmd
}

// KillAfter starts cmd, kills it with SIGKILL after d and waits for it.
// It reports whether the kill ended the process (false: it had finished).
func KillAfter(t testing.TB, cmd *exec.Cmd, d time.Duration) bool {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(d)
	cmd.Process.Signal(syscall.SIGKILL)
	return cmd.Wait() != nil
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/internal/safetext"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connectortest"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/subprocess"
)

// errNotConformant is what baton conformance returns when a check failed.
var errNotConformant = errors.New("the connector failed conformance checks")

func newConformanceCmd(g *globals) *cobra.Command {
	var (
		path         string
		only         []string
		timeout      time.Duration
		provisioning bool
		list         bool
		child        childFlags
	)
	cmd := &cobra.Command{
		Use:   "conformance --connector PATH [-- CONNECTOR ARGS...]",
		Short: "Check a connector binary (any language, either SDK) against the contract",
		Long: "conformance starts the connector as baton sync does, over Baton's child-process\n" +
			"protocol, and runs the conformance kit against it: every listing walked in the\n" +
			"syncer's order and again at page sizes 1 and 2, the contract's validation rules,\n" +
			"Baton's id conventions, references, parents and child types, the capabilities\n" +
			"the metadata advertises, GetResource against ListResources, and a second process\n" +
			"answering what a resumed sync asks. --provisioning also grants and revokes one\n" +
			"entitlement (a test instance only). --list prints the checks.\n\n" +
			"It exits 0 when every check passes, 10 when one fails, 7 when the connector\n" +
			"cannot be started." + childHelp,
		Example: "  baton conformance --connector ./bin/baton-sqlapp -- --db sqlapp.db\n" +
			"  baton conformance --connector ./connector.js --check pagination --check ids\n" +
			"  BATON_TOKEN=\"$TEST_TOKEN\" baton conformance --connector ./baton-github -o json   # secrets by environment",
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				t := newTable(g.stdout, "CHECK", "WHAT IT CHECKS")
				for _, c := range connectortest.Checks() {
					t.row(c[0], c[1])
				}
				return t.close()
			}
			if path == "" {
				return usagef("conformance needs --connector <path to the connector binary>")
			}
			if _, err := exec.LookPath(path); err != nil {
				return fmt.Errorf("%w %s: %v", errNoConnector, path, err)
			}
			for _, id := range only {
				if !knownCheck(id) {
					return usageError{connectortest.UnknownCheckError{ID: id}}
				}
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeoutCause(ctx, timeout, fmt.Errorf("--timeout %s ran out", timeout))
				defer cancel()
			}
			return g.conformance(ctx, path, args, only, provisioning, child)
		},
	}
	cmd.Flags().StringVar(&path, "connector", "", "the connector binary to check")
	child.bind(cmd.Flags())
	cmd.Flags().StringArrayVar(&only, "check", nil, "run only this check (and what it builds on); repeatable; see --list")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "stop checking after this long (checks not reached fail)")
	cmd.Flags().BoolVar(&provisioning, "provisioning", false, "also grant and revoke one entitlement: only against a test instance")
	cmd.Flags().BoolVar(&list, "list", false, "list the checks and exit")
	return cmd
}

func knownCheck(id string) bool {
	for _, c := range connectortest.Checks() {
		if c[0] == id {
			return true
		}
	}
	return false
}

func (g *globals) conformance(ctx context.Context, path string, args, only []string, provisioning bool, child childFlags) error {
	log := slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: safetext.ReplaceAttr}))
	// A connector that keeps state in Baton's session store gets one, in a
	// scratch file, shared by both processes as a resumed sync shares it.
	dir, err := os.MkdirTemp("", "baton-conformance-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := c1z.Open(ctx, filepath.Join(dir, "sessions.c1z"))
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	if err != nil {
		return err
	}
	sessions := child.sessions()
	sessions.Bind(st, run.ID)
	childErr := &safetext.LineWriter{W: g.stderr}
	defer childErr.Flush()
	start := func(ctx context.Context) (*subprocess.Process, error) {
		p, err := subprocess.Start(ctx, path, args, child.options(subprocess.Options{Stderr: childErr, Logger: log, Sessions: sessions}))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errNoConnector, err)
		}
		return p, nil
	}
	p, err := start(ctx)
	if err != nil {
		return err
	}
	defer p.Close()
	opts := []connectortest.Option{
		connectortest.WithChecks(only...),
		connectortest.WithRestart(func(ctx context.Context) (contract.Client, func(), error) {
			fresh, err := start(ctx)
			if err != nil {
				return nil, nil, err
			}
			return fresh.Client, func() { fresh.Close() }, nil
		}),
	}
	if provisioning {
		opts = append(opts, connectortest.WithProvisioning())
	}
	rep, err := connectortest.Check(ctx, p.Client, opts...)
	if err != nil {
		return usageError{err}
	}
	if g.json() {
		out := struct {
			Connector string                       `json:"connector"`
			Binary    string                       `json:"binary"`
			Passed    bool                         `json:"passed"`
			Checks    []*connectortest.CheckResult `json:"checks"`
		}{rep.Connector, path, rep.Passed(), rep.Checks}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		if _, err := g.stdout.Write(append(b, '\n')); err != nil {
			return err
		}
	} else if err := rep.WriteText(g.stdout, safetext.Escape); err != nil {
		return err
	}
	if !rep.Passed() {
		var ids []string
		for _, c := range rep.Failed() {
			ids = append(ids, c.ID)
		}
		return fmt.Errorf("%w: %v", errNotConformant, ids)
	}
	return nil
}

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
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
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
		pair         grantPair
		list         bool
		logPath      string
		child        childFlags
	)
	cmd := &cobra.Command{
		Use:         "conformance --connector PATH [-- CONNECTOR ARGS...]",
		Annotations: usesGlobals("output"),
		Short:       "Check a connector binary (any language, either SDK) against the contract",
		Long: "conformance starts the connector as baton sync does, over Baton's child-process\n" +
			"protocol, and runs the conformance kit against it: every listing walked in the\n" +
			"syncer's order and again at page sizes 1 and 2, the contract's validation rules,\n" +
			"Baton's id conventions, references, parents and child types, the capabilities\n" +
			"the metadata advertises, GetResource against ListResources, and a second process\n" +
			"answering what a resumed sync asks. --provisioning also grants and revokes one\n" +
			"entitlement to a principal that lacks it (never to its own resource; choose the\n" +
			"pair with --grant-entitlement, --grant-principal and --grant-principal-type)\n" +
			"entitlement (a test instance only). --list prints the checks.\n\n" +
			"What the connector writes to stderr (its logs) goes to a file the report names\n" +
			"(--log; - for the terminal); when a check fails, its last lines are shown.\n\n" +
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
			if pair.set() {
				provisioning = true
			}
			return g.conformance(ctx, path, args, only, provisioning, pair, child, logPath)
		},
	}
	cmd.Flags().StringVar(&path, "connector", "", "the connector binary to check")
	child.bind(cmd.Flags())
	cmd.Flags().StringArrayVar(&only, "check", nil, "run only this check (and what it builds on); repeatable; see --list")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "stop checking after this long (checks not reached fail)")
	cmd.Flags().BoolVar(&provisioning, "provisioning", false, "also grant and revoke one entitlement: only against a test instance")
	cmd.Flags().StringVar(&pair.entitlement, "grant-entitlement", "", "the entitlement --provisioning grants and revokes (default: the first grantable, in id order)")
	cmd.Flags().StringVar(&pair.principal, "grant-principal", "", "the id of the principal it is granted to (default: the first that lacks it)")
	cmd.Flags().StringVar(&pair.principalType, "grant-principal-type", "", "the resource type of --grant-principal")
	cmd.Flags().BoolVar(&list, "list", false, "list the checks and exit")
	cmd.Flags().StringVar(&logPath, "log", "", "write the connector's stderr and the checker's warnings here, - for stderr (default: a new file in the temporary directory, named in the report)")
	return cmd
}

// grantPair is the entitlement and principal --provisioning uses, when
// the operator names them; empty fields leave the kit's choice.
type grantPair struct{ entitlement, principal, principalType string }

func (p grantPair) set() bool { return p != grantPair{} }

func (p grantPair) keep(e *connectorv2.Entitlement, r *connectorv2.Resource) bool {
	return (p.entitlement == "" || e.GetId() == p.entitlement) &&
		(p.principal == "" || r.GetId().GetResource() == p.principal) &&
		(p.principalType == "" || r.GetId().GetResourceType() == p.principalType)
}

func knownCheck(id string) bool {
	for _, c := range connectortest.Checks() {
		if c[0] == id {
			return true
		}
	}
	return false
}

func (g *globals) conformance(ctx context.Context, path string, args, only []string, provisioning bool, pair grantPair, child childFlags, logPath string) error {
	clog, err := openConnectorLog(logPath, g.stderr)
	if err != nil {
		return err
	}
	logged, reported := "", false
	defer func() {
		// Stopped before the report (the connector would not start, or
		// broke the protocol): its log likely says why.
		if !reported && clog.close() != "" {
			clog.tail(g.stderr, 10)
		}
	}()
	log := slog.New(slog.NewTextHandler(clog, &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: safetext.ReplaceAttr}))
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
	start := func(ctx context.Context) (*subprocess.Process, error) {
		p, err := subprocess.Start(ctx, path, args, child.options(subprocess.Options{Stderr: clog, Logger: log, Sessions: sessions}))
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
		opts = append(opts, connectortest.WithProvisioningFilter(pair.keep))
	}
	rep, err := connectortest.Check(ctx, p.Client, opts...)
	if err != nil {
		return usageError{err}
	}
	if c := rep.Check("provisioning"); pair.set() && c != nil && c.Status == connectortest.Skip {
		return usagef("--grant-entitlement %q, --grant-principal %q, --grant-principal-type %q: %s", pair.entitlement, pair.principal, pair.principalType, c.Reason)
	}
	// Both processes are done with the log once the checks are.
	p.Close()
	logged, reported = clog.close(), true
	if g.json() {
		out := struct {
			Connector string                       `json:"connector"`
			Binary    string                       `json:"binary"`
			Passed    bool                         `json:"passed"`
			Checks    []*connectortest.CheckResult `json:"checks"`
			Log       string                       `json:"log,omitempty"`
		}{rep.Connector, path, rep.Passed(), rep.Checks, logged}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		if _, err := g.stdout.Write(append(b, '\n')); err != nil {
			return err
		}
	} else {
		if err := rep.WriteText(g.stdout, safetext.Escape); err != nil {
			return err
		}
		if logged != "" {
			fmt.Fprintf(g.stdout, "\nthe connector's log (%s): %s\n", plural(clog.lines, "line"), logged)
		}
	}
	if !rep.Passed() {
		clog.tail(g.stderr, 10)
		var ids []string
		for _, c := range rep.Failed() {
			ids = append(ids, c.ID)
		}
		return fmt.Errorf("%w: %v", errNotConformant, ids)
	}
	return nil
}

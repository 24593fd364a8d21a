package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/internal/safetext"
	"github.com/batonkit/batonkit/internal/terminal"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/remote"
	"github.com/batonkit/batonkit/pkg/runner"
	"github.com/batonkit/batonkit/pkg/serve"
	"github.com/batonkit/batonkit/pkg/session"
	"github.com/batonkit/batonkit/pkg/subprocess"
	"github.com/batonkit/batonkit/pkg/sync"
)

// syncFlags are baton sync's settings.
type syncFlags struct {
	path, addr                   string
	workers                      int
	every                        time.Duration
	verbose, skipGrants, partial bool
	noProgress                   bool
	sse, sseKey, cacheDir        string
	child                        childFlags
	remote                       serve.ClientOptions
	external                     sync.External
	externalTraits               []string
}

func newSyncCmd(g *globals) *cobra.Command {
	var f syncFlags
	cmd := &cobra.Command{
		Use:   "sync (--connector PATH | --connector-addr ADDR) [-f FILE] [-- CONNECTOR ARGS...]",
		Short: "Run a connector binary as a child process and sync it into a c1z",
		Long: "sync starts any connector that speaks Baton's child-process protocol (one built\n" +
			"with batonkit or with Baton's SDK) with the arguments after --, and syncs it into\n" +
			"the file. An interrupted sync resumes when the same command runs again.\n\n" +
			"Each call is a round trip over the link, so a connector that answers at once is\n" +
			"bound by latency, not CPU: --workers N lists N resources' entitlements and grants\n" +
			"at once (Baton's syncer makes one call at a time), and on a machine with few cores\n" +
			"GOMAXPROCS=1 in the environment (which a Go connector inherits) spares both\n" +
			"processes the Go scheduler's spinning: a third less time in BENCHMARKS.md.\n\n" +
			"--connector-addr syncs a connector already running as a server (its `serve`\n" +
			"command: a sidecar next to its app) at unix:///path.sock or host:port, over TLS\n" +
			"(--tls-ca, and --tls-cert/--tls-key when it wants a client certificate) with\n" +
			"the token in BATON_SERVE_TOKEN, or plaintext with --insecure-loopback." + childHelp,
		Example: "  baton sync --connector ./bin/baton-sqlapp -f sync.c1z -- --db sqlapp.db\n" +
			"  BATON_TOKEN=\"$GITHUB_TOKEN\" baton sync --connector ./baton-github    # secrets by environment, never on the command line\n" +
			"  baton sync --connector-addr unix:///run/acme.sock --insecure-loopback",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(args); err != nil {
				return err
			}
			return g.runSync(cmd.Context(), &f, args)
		},
	}
	cmd.Flags().StringVar(&f.path, "connector", "", "the connector binary to run")
	cmd.Flags().StringVar(&f.addr, "connector-addr", "", "sync a served connector (its serve command) at unix:///path.sock or host:port")
	cmd.Flags().StringVar(&f.remote.CA, "tls-ca", "", "with --connector-addr: the CAs the server's certificate must chain to (PEM; default: the system's)")
	cmd.Flags().StringVar(&f.remote.Cert, "tls-cert", "", "with --connector-addr: a client certificate (PEM) for a server that requires one")
	cmd.Flags().StringVar(&f.remote.Key, "tls-key", "", "with --connector-addr: the client certificate's key (PEM)")
	cmd.Flags().StringVar(&f.remote.ServerName, "tls-server-name", "", "with --connector-addr: the name the server's certificate must carry (default: the address's host)")
	cmd.Flags().BoolVar(&f.remote.InsecureLoopback, "insecure-loopback", false, "with --connector-addr: plaintext, to a Unix socket or a loopback address only")
	f.child.bind(cmd.Flags())
	cmd.Flags().IntVar(&f.workers, "workers", 1, "listings of one phase run at once (1: Baton's order, one call at a time)")
	cmd.Flags().DurationVar(&f.every, "checkpoint-interval", 10*time.Second, "how often the resume state is saved")
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "debug logging")
	cmd.Flags().BoolVar(&f.noProgress, "no-progress", false, "no live progress line on a terminal (log lines instead)")
	cmd.Flags().BoolVar(&f.skipGrants, "skip-grants", false, "do not sync grants")
	cmd.Flags().StringVar(&f.sse, "s3-sse", os.Getenv("BATON_S3_SSE"), "server-side encryption of an uploaded s3:// file: AES256 or aws:kms [BATON_S3_SSE]")
	cmd.Flags().StringVar(&f.sseKey, "s3-sse-kms-key-id", os.Getenv("BATON_S3_SSE_KMS_KEY_ID"), "the KMS key for --s3-sse aws:kms [BATON_S3_SSE_KMS_KEY_ID]")
	cmd.Flags().StringVar(&f.cacheDir, "s3-cache-dir", os.Getenv("BATON_S3_CACHE_DIR"), "where an s3:// file is synced locally (default: the user cache directory) [BATON_S3_CACHE_DIR]")
	cmd.Flags().StringVar(&f.external.Path, "external-resource-c1z", "", "an identity provider's sync file: grants naming principals by trait (ExternalResourceMatch) are matched against it")
	cmd.Flags().StringVar(&f.external.EntitlementID, "external-resource-entitlement-id-filter", "", "with --external-resource-c1z: only the principals holding this entitlement there")
	cmd.Flags().StringSliceVar(&f.externalTraits, "external-resource-traits", nil, "with --external-resource-c1z: the traits of the principals taken (default user,group)")
	cmd.Flags().BoolVar(&f.partial, "allow-partial", false, "finish even when the connector used a protocol feature this syncer cannot honour")
	return cmd
}

// check refuses contradictory flags before anything starts.
func (f *syncFlags) check(args []string) error {
	switch {
	case f.path == "" && f.addr == "":
		return usagef("sync needs --connector <path to the connector binary> or --connector-addr <address of a served connector>")
	case f.path != "" && f.addr != "":
		return usagef("give --connector or --connector-addr, not both")
	case f.addr != "" && len(args) > 0:
		return usagef("arguments after -- go to a connector sync starts; a served connector was configured when it started")
	case f.external.Path == "" && (f.external.EntitlementID != "" || len(f.externalTraits) > 0):
		return usagef("--external-resource-entitlement-id-filter and --external-resource-traits need --external-resource-c1z")
	}
	for _, name := range f.externalTraits {
		tr, ok := runner.ParseTrait(name)
		if !ok {
			return usagef("--external-resource-traits %q: want user, group, role, app or secret", name)
		}
		f.external.Traits = append(f.external.Traits, tr)
	}
	if f.path != "" {
		if _, err := exec.LookPath(f.path); err != nil {
			return fmt.Errorf("%w %s: %v", errNoConnector, f.path, err)
		}
	}
	return nil
}

// runSync syncs the connector into the file: the file first (one that
// cannot be synced into fails before a connector starts), then the
// connector, then the sync, then the upload of an s3:// file.
func (g *globals) runSync(ctx context.Context, f *syncFlags, args []string) error {
	out, live := g.progressOut(f.noProgress)
	if live != nil {
		defer live.Close()
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level, ReplaceAttr: safetext.ReplaceAttr}))
	file, obj, err := g.localSyncFile(ctx, f, log)
	if err != nil {
		return err
	}
	st, err := c1z.Open(ctx, file, c1z.WithLogger(log))
	if err != nil {
		return err
	}
	// Connectors that keep state outside their process (Baton's
	// SessionStoreUsage) reach this store, kept in the sync's file.
	sessions := f.child.sessions()
	client, stop, err := f.connect(ctx, args, out, log, sessions)
	if err != nil {
		return errors.Join(err, st.Close(ctx))
	}
	defer stop()
	opts := []sync.Option{sync.WithWorkers(f.workers), sync.WithCheckpointInterval(f.every), sync.WithSessions(sessions)}
	if f.skipGrants {
		opts = append(opts, sync.WithSkipGrants())
	}
	if f.partial {
		opts = append(opts, sync.WithAllowPartial())
	}
	if f.external.Path != "" {
		opts = append(opts, sync.WithExternalResources(f.external))
	}
	if live != nil {
		opts = append(opts, sync.WithProgress(live.Update))
	} else {
		opts = append(opts, sync.WithProgress(sync.LogProgress(log, 5*time.Second)))
	}
	err = runner.SyncToStore(ctx, client, st, log, opts...)
	if errors.Is(err, sync.ErrInterrupted) {
		return fmt.Errorf("%w: %w", errInterrupted, err)
	}
	if err == nil && obj != nil {
		err = obj.Upload(ctx)
	}
	return err
}

// progressOut is where log lines go: on a terminal, above the live
// progress lines (returned too); elsewhere, stderr.
func (g *globals) progressOut(noProgress bool) (io.Writer, *terminal.Terminal) {
	if f, ok := g.stderr.(*os.File); ok && !noProgress && isTerminal(f) && terminalWidth(f) > 0 {
		live := terminal.New(f, colorOK(f))
		return live, live
	}
	return g.stderr, nil
}

// localSyncFile is the file to sync into: -f, or the local copy of an
// s3:// file (uploaded after the sync).
func (g *globals) localSyncFile(ctx context.Context, f *syncFlags, log *slog.Logger) (string, *remote.File, error) {
	if !remote.IsURL(g.file) {
		return g.file, nil, nil
	}
	o := g.s3
	o.SSE, o.SSEKMSKeyID, o.CacheDir, o.Logger = f.sse, f.sseKey, f.cacheDir, log
	obj, err := remote.Open(ctx, g.file, o)
	if err != nil {
		return "", nil, usageError{err}
	}
	if err := obj.Prepare(ctx); err != nil {
		return "", nil, err
	}
	return obj.Local, obj, nil
}

// connect reaches the connector: a served one at --connector-addr, or a
// child process started from --connector whose stderr (its own text) is
// escaped before it reaches a terminal.
func (f *syncFlags) connect(ctx context.Context, args []string, out io.Writer, log *slog.Logger, sessions *session.Server) (contract.Client, func(), error) {
	if f.addr != "" {
		f.remote.Token = os.Getenv("BATON_SERVE_TOKEN")
		c, closeConn, err := serve.Dial(f.addr, f.remote)
		if errors.Is(err, serve.ErrRefused) {
			return nil, nil, usageError{err}
		}
		if err != nil {
			return nil, nil, err
		}
		return c, func() { closeConn() }, nil
	}
	childErr := &safetext.LineWriter{W: out}
	p, err := subprocess.Start(ctx, f.path, args, f.child.options(subprocess.Options{Stderr: childErr, Logger: log, Sessions: sessions}))
	if err != nil {
		childErr.Flush()
		return nil, nil, err
	}
	return p.Client, func() { p.Close(); childErr.Flush() }, nil
}

package cli

import (
	"errors"
	"fmt"
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
	"github.com/batonkit/batonkit/pkg/subprocess"
	"github.com/batonkit/batonkit/pkg/sync"
)

func newSyncCmd(g *globals) *cobra.Command {
	var (
		path       string
		workers    int
		every      time.Duration
		verbose    bool
		skipGrant  bool
		partial    bool
		sse        string
		sseKey     string
		cacheDir   string
		noProgress bool
		child      childFlags
		addr       string
		remoteOpts serve.ClientOptions
	)
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
			switch {
			case path == "" && addr == "":
				return usagef("sync needs --connector <path to the connector binary> or --connector-addr <address of a served connector>")
			case path != "" && addr != "":
				return usagef("give --connector or --connector-addr, not both")
			case addr != "" && len(args) > 0:
				return usagef("arguments after -- go to a connector sync starts; a served connector was configured when it started")
			case path != "":
				if _, err := exec.LookPath(path); err != nil {
					return fmt.Errorf("%w %s: %v", errNoConnector, path, err)
				}
			}
			ctx := cmd.Context()
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			// On a terminal, the live progress lines; log lines and the
			// connector's own stderr go above them.
			out := g.stderr
			var live *terminal.Terminal
			if f, ok := g.stderr.(*os.File); ok && !noProgress && isTerminal(f) && terminalWidth(f) > 0 {
				live = terminal.New(f, colorOK(f))
				defer live.Close()
				out = live
			}
			log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level, ReplaceAttr: safetext.ReplaceAttr}))
			// Connectors that keep state outside their process (Baton's
			// SessionStoreUsage) reach this store, kept in the sync's file.
			// An s3:// file is synced in a local copy, uploaded after.
			file := g.file
			var obj *remote.File
			if remote.IsURL(file) {
				o := g.s3
				o.SSE, o.SSEKMSKeyID, o.CacheDir, o.Logger = sse, sseKey, cacheDir, log
				var err error
				if obj, err = remote.Open(ctx, file, o); err != nil {
					return usageError{err}
				}
				if err := obj.Prepare(ctx); err != nil {
					return err
				}
				file = obj.Local
			}
			// The file first: one that cannot be synced into (another
			// process's, a v3 file) fails before a connector starts.
			st, err := c1z.Open(ctx, file, c1z.WithLogger(log))
			if err != nil {
				return err
			}
			sessions := child.sessions()
			var client contract.Client
			if addr != "" {
				remoteOpts.Token = os.Getenv("BATON_SERVE_TOKEN")
				c, closeConn, err := serve.Dial(addr, remoteOpts)
				if err != nil {
					err = errors.Join(err, st.Close(ctx))
					if errors.Is(err, serve.ErrRefused) {
						return usageError{err}
					}
					return err
				}
				defer closeConn()
				client = c
			} else {
				// The connector's stderr is its text: escaped before it
				// reaches a terminal.
				childErr := &safetext.LineWriter{W: out}
				defer childErr.Flush()
				p, err := subprocess.Start(ctx, path, args, child.options(subprocess.Options{Stderr: childErr, Logger: log, Sessions: sessions}))
				if err != nil {
					return errors.Join(err, st.Close(ctx))
				}
				defer p.Close()
				client = p.Client
			}
			opts := []sync.Option{sync.WithWorkers(workers), sync.WithCheckpointInterval(every), sync.WithSessions(sessions)}
			if skipGrant {
				opts = append(opts, sync.WithSkipGrants())
			}
			if partial {
				opts = append(opts, sync.WithAllowPartial())
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
		},
	}
	cmd.Flags().StringVar(&path, "connector", "", "the connector binary to run")
	cmd.Flags().StringVar(&addr, "connector-addr", "", "sync a served connector (its serve command) at unix:///path.sock or host:port")
	cmd.Flags().StringVar(&remoteOpts.CA, "tls-ca", "", "with --connector-addr: the CAs the server's certificate must chain to (PEM; default: the system's)")
	cmd.Flags().StringVar(&remoteOpts.Cert, "tls-cert", "", "with --connector-addr: a client certificate (PEM) for a server that requires one")
	cmd.Flags().StringVar(&remoteOpts.Key, "tls-key", "", "with --connector-addr: the client certificate's key (PEM)")
	cmd.Flags().StringVar(&remoteOpts.ServerName, "tls-server-name", "", "with --connector-addr: the name the server's certificate must carry (default: the address's host)")
	cmd.Flags().BoolVar(&remoteOpts.InsecureLoopback, "insecure-loopback", false, "with --connector-addr: plaintext, to a Unix socket or a loopback address only")
	child.bind(cmd.Flags())
	cmd.Flags().IntVar(&workers, "workers", 1, "listings of one phase run at once (1: Baton's order, one call at a time)")
	cmd.Flags().DurationVar(&every, "checkpoint-interval", 10*time.Second, "how often the resume state is saved")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "debug logging")
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "no live progress line on a terminal (log lines instead)")
	cmd.Flags().BoolVar(&skipGrant, "skip-grants", false, "do not sync grants")
	cmd.Flags().StringVar(&sse, "s3-sse", os.Getenv("BATON_S3_SSE"), "server-side encryption of an uploaded s3:// file: AES256 or aws:kms [BATON_S3_SSE]")
	cmd.Flags().StringVar(&sseKey, "s3-sse-kms-key-id", os.Getenv("BATON_S3_SSE_KMS_KEY_ID"), "the KMS key for --s3-sse aws:kms [BATON_S3_SSE_KMS_KEY_ID]")
	cmd.Flags().StringVar(&cacheDir, "s3-cache-dir", os.Getenv("BATON_S3_CACHE_DIR"), "where an s3:// file is synced locally (default: the user cache directory) [BATON_S3_CACHE_DIR]")
	cmd.Flags().BoolVar(&partial, "allow-partial", false, "finish even when the connector used a protocol feature this syncer cannot honour")
	return cmd
}

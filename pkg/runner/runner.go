package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/batonkit/batonkit/internal/buildinfo"
	"github.com/batonkit/batonkit/internal/safetext"
	"github.com/batonkit/batonkit/internal/suggest"
	"github.com/batonkit/batonkit/internal/terminal"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/config"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/remote"
	"github.com/batonkit/batonkit/pkg/session"
	"github.com/batonkit/batonkit/pkg/sync"
)

// NewConnector builds the connector from its loaded configuration.
type NewConnector func(ctx context.Context, cfg *config.Values) (connector.Connector, error)

// Main runs the connector command with the process's arguments and exits.
func Main(name, version string, schema config.Schema, newConnector NewConnector) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, Command{Name: name, Version: version, Schema: schema, New: newConnector}, os.Args[1:], IO{os.Stdin, os.Stdout, os.Stderr})
	stop()
	os.Exit(code)
}

// Command describes a connector program.
type Command struct {
	Name    string
	Version string
	Schema  config.Schema
	New     NewConnector
}

// IO are the standard streams.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Exit codes.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitInterrupted = 6 // the sync stopped early and resumes on the next run
	ExitUnknown     = 8 // an id given to a provisioning flag is not in the sync file
)

// opsFields are the runner's own settings. They follow the same precedence
// as the connector's (flag > BATON_* env > file > default).
var opsFields = []config.Field{
	config.String("file", "the c1z file to sync into: a path, or s3://bucket/key (synced locally, then uploaded)", config.Default("sync.c1z")),
	config.String("s3-endpoint", "an S3-compatible endpoint for s3:// files (default: AWS)"),
	config.Bool("s3-path-style", "address S3 buckets in the path (most S3-compatible stores want it)"),
	config.String("s3-region", "the region of s3:// files (default: the AWS configuration's)"),
	config.String("s3-sse", "server-side encryption of uploaded s3:// files: AES256 or aws:kms"),
	config.String("s3-sse-kms-key-id", "the KMS key for --s3-sse aws:kms (default: the bucket's)"),
	config.String("s3-cache-dir", "where s3:// files are synced locally (default: the user cache directory)"),
	config.Select("log-level", "log level", []string{"debug", "info", "warn", "error"}, config.Default("info")),
	config.Select("log-format", "log format", []string{"text", "json"}, config.Default("text")),
	config.Int("workers", "listings of one phase run at once (1, the default, is Baton's order: one call at a time)", config.Default(1)),
	config.Bool("allow-partial", "finish a sync even when the connector used a protocol feature this syncer cannot honour (the file may be incomplete)"),
	config.Duration("checkpoint-interval", "how often the resume state is saved during a phase (every writer batch saves it too)", config.Default("10s")),
	config.Bool("skip-grants", "sync resources and entitlements, not grants"),
	config.Bool("skip-entitlements-and-grants", "sync resource types and resources only"),
	config.StringList("sync-resource-types", "only sync these resource types"),
	config.StringList("sync-resources", "targeted sync: only these resources (type:id, or Baton's bid:r:type/id), as a partial sync"),
	config.String("external-resource-c1z", "a sync file of the identity provider whose principals this app's grants name by a trait (ExternalResourceMatch): they are matched and copied in"),
	config.String("external-resource-entitlement-id-filter", "with --external-resource-c1z: take only the principals holding this entitlement there"),
	config.StringList("external-resource-traits", "with --external-resource-c1z: the traits of the principals to take (user, group, role, app, secret; default user,group)"),
	config.Bool("no-progress", "no live progress line on a terminal (log lines instead)"),
	config.Int("session-store-maximum-size", "the most bytes the connector may keep in its session store during one sync", config.Default(session.DefaultMaxSize)),
	config.Duration("interval", "stay up and sync every interval (1h), one sync at a time"),
	config.String("schedule", "stay up and sync on a cron schedule (\"0 * * * *\", @hourly), one sync at a time"),
	config.String("health-addr", "in scheduled mode, serve /healthz, /readyz and /metrics here (127.0.0.1:8080; an address beyond loopback shows them to the network)"),
	config.Int("unready-after", "in scheduled mode, /readyz fails after this many syncs in a row failed", config.Default(3)),
}

// fileOpsFields are operations on sync files that need no connector:
// Baton's flags of the same names.
var fileOpsFields = []config.Field{
	config.Bool("diff-syncs", "record in --file how --applied-sync-id differs from --base-sync-id (Baton's partial_upserts and partial_deletions syncs) instead of syncing"),
	config.String("base-sync-id", "with --diff-syncs: the older sync"),
	config.String("applied-sync-id", "with --diff-syncs: the newer sync"),
	config.Bool("compact-syncs", "fold the syncs of --compact-file-paths into one full sync in a new file instead of syncing"),
	config.StringList("compact-file-paths", "with --compact-syncs: the files, oldest first"),
	config.StringList("compact-sync-ids", "with --compact-syncs: the sync to take from each file, in order (default: each file's latest full sync and those after it)"),
	config.String("compact-output-path", "with --compact-syncs: the directory the compacted file (compacted-<sync id>.c1z) is written to (default: the current one)"),
}

// serviceFields are the settings of service mode: taking tasks from a
// ConductorOne control plane (see service.go). Their names and BATON_*
// variables are Baton's.
var serviceFields = []config.Field{
	config.String("client-id", "the ConductorOne client id (name@tenant.conductor.one/pcc): take tasks from ConductorOne instead of syncing once"),
	config.String("client-secret", "the client's secret (set BATON_CLIENT_SECRET)", config.Secret()),
	config.String("c1-api-host", "host[:port] of the ConductorOne API (default: the tenant the client id names, port 443)"),
	config.String("c1-api-ca-file", "PEM certificates to trust for the API instead of the system's (a private CA, a TLS-inspecting proxy)"),
	config.String("host-id", "this host's name to ConductorOne (default: the hostname)"),
	config.Int("task-concurrency", "tasks run at once, 1 to 100 (syncs still one at a time)", config.Default(1)),
	config.String("service-dir", "where sync tasks write their files (default: the user cache directory)"),
	config.Int("service-keep-syncs", "keep this many uploaded sync files in --service-dir, newest first, for compact_syncs and create_sync_diff tasks (0: remove each once uploaded; those tasks are then refused)"),
}

func (c Command) schema() (config.Schema, error) {
	s := c.Schema
	s.Fields = append(append(append(append([]config.Field{}, opsFields...), fileOpsFields...), serviceFields...), c.Schema.Fields...)
	return s, s.Check()
}

// Run executes the connector command and returns the exit code.
func Run(ctx context.Context, c Command, args []string, stdio IO) int {
	schema, err := c.schema()
	if err != nil {
		fmt.Fprintln(stdio.Err, c.Name+":", safetext.Error(err))
		return ExitError
	}
	root := &cobra.Command{
		Use:           c.Name,
		Short:         c.Name + " syncs its application's identities and access into a c1z file",
		Version:       buildinfo.Describe(c.Version),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
	}
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	schema.Bind(root.PersistentFlags())
	prov := bindProvisioning(root.Flags())

	env := &environment{cmd: c, schema: schema, io: stdio}
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := env.load(cmd); err != nil {
			return err
		}
		if env.cfg.Bool("diff-syncs") || env.cfg.Bool("compact-syncs") {
			if prov.enabled || prov.any() || env.cfg.String("client-id") != "" {
				return usageErr{errors.New("--diff-syncs and --compact-syncs run alone: not with provisioning flags or --client-id")}
			}
			return env.fileOps(cmd.Context())
		}
		if env.cfg.String("client-id") != "" {
			// Service mode: --provisioning opens the app to the control
			// plane's change tasks; one-shot operations do not mix in.
			if prov.any() {
				return usageErr{errors.New("one-shot operations do not run in service mode (--client-id): the control plane sends them as tasks")}
			}
			return env.service(cmd.Context(), prov.enabled)
		}
		if prov.enabled {
			return env.provision(cmd.Context(), prov)
		}
		if prov.any() {
			return usageErr{errors.New("provisioning flags need --provisioning")}
		}
		return env.sync(cmd.Context())
	}
	root.AddCommand(env.capabilitiesCmd(), env.configCmd(), env.serviceCmd(), env.serveCmd())
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if cmd != root {
			defaultHelp(cmd, args)
			return
		}
		// Learning which operations the connector implements means
		// building it, which may open its app's files or connections: only
		// when the operator asks about operations.
		var caps map[connectorv2.Capability]bool
		why := ""
		if prov.enabled {
			caps, why = env.capabilities(cmd)
		}
		writeHelp(root, c, prov.enabled, caps, why)
	})
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageErr{suggest.FlagError(cmd, err)} })

	err = root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, new(usageErr)), errors.Is(err, config.ErrInvalid):
		fmt.Fprintln(stdio.Err, c.Name+":", safetext.Error(err))
		return ExitUsage
	case errors.Is(err, sync.ErrInterrupted):
		fmt.Fprintln(stdio.Err, c.Name+":", safetext.Error(err))
		return ExitInterrupted
	case errors.Is(err, errUnknown):
		fmt.Fprintln(stdio.Err, c.Name+":", safetext.Error(err))
		return ExitUnknown
	}
	fmt.Fprintln(stdio.Err, c.Name+":", safetext.Error(err))
	return ExitError
}

type usageErr struct{ error }

// capabilities builds the connector from the settings given so far (flags,
// BATON_* variables, a config file) to learn which one-shot operations it
// implements. When that is not possible, the answer is nil and why says
// so.
func (e *environment) capabilities(cmd *cobra.Command) (map[connectorv2.Capability]bool, string) {
	cfg, err := e.schema.Load(cmd.Flags())
	if err != nil {
		return nil, "give " + e.cmd.Name + "'s settings to see only the operations it implements"
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
	defer cancel()
	conn, err := e.cmd.New(ctx, cfg)
	if err != nil {
		return nil, "the connector could not be built from these settings to see which operations it implements"
	}
	srv, err := connector.NewServer(ctx, conn, connector.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, "the connector could not be built from these settings to see which operations it implements"
	}
	md, err := connector.InProcessClient(srv).GetMetadata(ctx, &connectorv2.ConnectorServiceGetMetadataRequest{})
	if err != nil {
		return nil, "the connector did not say which operations it implements"
	}
	caps := map[connectorv2.Capability]bool{}
	for _, c := range md.GetMetadata().GetCapabilities().GetConnectorCapabilities() {
		caps[c] = true
	}
	return caps, ""
}

// writeHelp prints the connector's own settings apart from the SDK's
// sync settings and one-shot operations, so an operator finds the few
// that are about the app first. One-shot operations are listed with
// --provisioning --help, leaving out those the connector does not
// implement (caps).
func writeHelp(root *cobra.Command, c Command, ops bool, caps map[connectorv2.Capability]bool, why string) {
	own, svc, files := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, f := range c.Schema.Fields {
		own[f.Name] = true
	}
	for _, f := range fileOpsFields {
		files[f.Name] = true
	}
	for _, f := range serviceFields {
		svc[f.Name] = true
	}
	groups := []struct {
		title string
		fs    *pflag.FlagSet
	}{
		{"Settings of " + c.Name + ":", pflag.NewFlagSet("own", pflag.ContinueOnError)},
		{"Sync settings:", pflag.NewFlagSet("sync", pflag.ContinueOnError)},
		{"One-shot operations (with --provisioning):", pflag.NewFlagSet("ops", pflag.ContinueOnError)},
		{"Service mode (with --client-id: take syncs, grants and more from ConductorOne):", pflag.NewFlagSet("service", pflag.ContinueOnError)},
		{"Sync files (no connector needed; `baton compact` and `baton diff --recorded` do the same):", pflag.NewFlagSet("files", pflag.ContinueOnError)},
	}
	add := func(f *pflag.Flag) {
		switch {
		case own[f.Name]:
			groups[0].fs.AddFlag(f)
		case svc[f.Name]:
			groups[3].fs.AddFlag(f)
		case files[f.Name]:
			groups[4].fs.AddFlag(f)
		case root.Flags().Lookup(f.Name) != nil && root.PersistentFlags().Lookup(f.Name) == nil && f.Name != "help" && f.Name != "version":
			if ops && offered(f.Name, caps) {
				groups[2].fs.AddFlag(f)
			}
		default:
			groups[1].fs.AddFlag(f)
		}
	}
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	root.PersistentFlags().VisitAll(add)
	root.LocalNonPersistentFlags().VisitAll(add)
	w := root.OutOrStdout()
	fmt.Fprintf(w, "%s\n\nUsage:\n  %s [flags]\n  %s [command]\n\nCommands:\n", root.Short, c.Name, c.Name)
	for _, sub := range root.Commands() {
		if sub.IsAvailableCommand() {
			fmt.Fprintf(w, "  %-14s %s\n", sub.Name(), sub.Short)
		}
	}
	for i, g := range groups {
		if g.fs.HasAvailableFlags() {
			fmt.Fprintf(w, "\n%s\n%s", g.title, g.fs.FlagUsages())
			if i == 2 && why != "" {
				fmt.Fprintf(w, "  (%s)\n", why)
			}
		}
	}
	switch {
	case !ops:
		fmt.Fprintf(w, "\nOne-shot operations (grant, revoke, create accounts, rotate credentials, tickets, actions):\n  %s --provisioning --help lists those this connector implements.\n", c.Name)
	case !groups[2].fs.HasAvailableFlags():
		fmt.Fprintf(w, "\nOne-shot operations: %s implements none; it only syncs.\n", c.Name)
	}
	fmt.Fprintf(w, "\nEvery setting can also be a BATON_* variable or a key of the YAML file given with --config.\nSecrets belong there, never on the command line.\n")
	fmt.Fprintf(w, "\nExit codes: %d success, %d failure, %d bad flags or settings, %d the sync stopped early (run again to\nresume), %d an id given to an operation is not in the sync file (the closest are named).\n",
		ExitOK, ExitError, ExitUsage, ExitInterrupted, ExitUnknown)
}

// environment is what every subcommand shares once flags are parsed.
type environment struct {
	cmd    Command
	schema config.Schema
	io     IO
	cfg    *config.Values
	log    *slog.Logger
	level  slog.Level
}

func (e *environment) load(cmd *cobra.Command) error {
	schema := e.schema
	if fileOpFlag(cmd) {
		// Operations on sync files build no connector: its settings are
		// neither read nor required.
		schema = config.Schema{Fields: append(append(append([]config.Field{}, opsFields...), fileOpsFields...), serviceFields...)}
	}
	cfg, err := schema.Load(cmd.Flags())
	if err != nil {
		return err
	}
	e.cfg = cfg
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.String("log-level"))); err != nil {
		return usageErr{err}
	}
	e.level = level
	e.log = e.logger(e.io.Err)
	e.log.Debug("configuration", "config", cfg)
	for _, f := range e.schema.Fields {
		if f.Secret && cfg.Source(f.Name) == "flag" {
			// Every local user can read a command line (ps, /proc).
			e.log.Warn("a secret was given on the command line, where other users of this machine can read it; pass it as "+f.EnvVar()+" or in the config file instead", "setting", f.Name)
		}
	}
	return nil
}

// fileOpFlag reports whether --diff-syncs or --compact-syncs is on the
// command line.
func fileOpFlag(cmd *cobra.Command) bool {
	for _, name := range []string{"diff-syncs", "compact-syncs"} {
		if on, err := cmd.Flags().GetBool(name); err == nil && on {
			return true
		}
	}
	return false
}

// sessions is the session store's server, bounded as configured.
func (e *environment) sessions() *session.Server {
	return session.NewServer(session.WithMaxSize(int64(e.cfg.Int("session-store-maximum-size"))))
}

// logger writes the configured log format at the configured level to w.
func (e *environment) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: e.level, ReplaceAttr: safetext.ReplaceAttr}
	if e.cfg.String("log-format") == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// server builds the connector and its server.
func (e *environment) server(ctx context.Context, opts ...connector.ServerOption) (*connector.Server, error) {
	conn, err := e.cmd.New(ctx, e.cfg)
	if err != nil {
		return nil, fmt.Errorf("create connector: %w", err)
	}
	return connector.NewServer(ctx, conn, append([]connector.ServerOption{connector.WithLogger(e.log)}, opts...)...)
}

func (e *environment) sync(ctx context.Context) error {
	progress := sync.LogProgress(e.log, 10*time.Second)
	if term := e.terminal(); term != nil {
		// Log lines go above the live lines, not through them.
		defer func(log *slog.Logger) { term.Close(); e.log = log }(e.log)
		e.log = e.logger(term)
		progress = term.Update
	}
	// The connector runs in this process: its session store is served
	// straight from the sync's file.
	sessions := e.sessions()
	srv, err := e.server(ctx, connector.WithSessions(session.LocalClient(sessions)))
	if err != nil {
		return err
	}
	opts := append(e.engineOptions(sessions), sync.WithProgress(progress),
		sync.WithResourceTypes(e.cfg.StringList("sync-resource-types")...))
	if e.cfg.Bool("skip-grants") {
		opts = append(opts, sync.WithSkipGrants())
	}
	if e.cfg.Bool("skip-entitlements-and-grants") {
		opts = append(opts, sync.WithResourcesOnly())
	}
	if ext, err := e.external(); err != nil {
		return err
	} else if ext != nil {
		opts = append(opts, sync.WithExternalResources(*ext))
	}
	for _, t := range e.cfg.StringList("sync-resources") {
		id, err := parseTarget(t)
		if err != nil {
			return usageErr{err}
		}
		opts = append(opts, sync.WithTargets(id))
	}
	client := connector.InProcessClient(srv)
	once := func(ctx context.Context) (res sync.Result, err error) {
		path := e.cfg.String("file")
		if !remote.IsURL(path) {
			return syncToFile(ctx, client, path, e.log, opts...)
		}
		f, err := e.remote(ctx, path)
		if err != nil {
			return res, err
		}
		err = f.Sync(ctx, func(local string) error {
			res, err = syncToFile(ctx, client, local, e.log, opts...)
			return err
		})
		return res, err
	}
	next, err := e.schedule()
	if err != nil {
		return err
	}
	if next == nil {
		_, err := once(ctx)
		return err
	}
	return e.scheduled(ctx, next, once)
}

// engineOptions are the settings of how a sync runs, not of what it
// covers: those every sync shares, in service mode too.
func (e *environment) engineOptions(sessions *session.Server) []sync.Option {
	opts := []sync.Option{sync.WithLogger(e.log), sync.WithWorkers(e.cfg.Int("workers")),
		sync.WithCheckpointInterval(e.cfg.Duration("checkpoint-interval")), sync.WithSessions(sessions)}
	if e.cfg.Bool("allow-partial") {
		opts = append(opts, sync.WithAllowPartial())
	}
	return opts
}

// terminal is the live progress display when stderr is a terminal and
// --no-progress is not set (nil otherwise: log lines instead).
func (e *environment) terminal() *terminal.Terminal {
	f, ok := e.io.Err.(*os.File)
	if !ok || e.cfg.Bool("no-progress") || !term.IsTerminal(int(f.Fd())) || os.Getenv("TERM") == "dumb" {
		return nil
	}
	// A terminal that reports no width (some serial consoles, an unsized
	// pty) would show nothing: log lines instead.
	if w, _, err := term.GetSize(int(f.Fd())); err != nil || w == 0 {
		return nil
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	return terminal.New(f, !noColor)
}

// remote sets up the s3:// file at path from the s3-* settings.
func (e *environment) remote(ctx context.Context, path string) (*remote.File, error) {
	return remote.Open(ctx, path, remote.Options{Endpoint: e.cfg.String("s3-endpoint"), PathStyle: e.cfg.Bool("s3-path-style"),
		Region: e.cfg.String("s3-region"), SSE: e.cfg.String("s3-sse"), SSEKMSKeyID: e.cfg.String("s3-sse-kms-key-id"),
		CacheDir: e.cfg.String("s3-cache-dir"), Logger: e.log})
}

// localFile is the c1z provisioning reads ids from: the path, or the
// local copy of an s3:// file (downloaded when there is none).
func (e *environment) localFile(ctx context.Context) (string, error) {
	path := e.cfg.String("file")
	if !remote.IsURL(path) {
		return path, nil
	}
	f, err := e.remote(ctx, path)
	if err != nil {
		return "", err
	}
	return f.Local, f.Prepare(ctx)
}

// SyncToFile runs one sync of client into the c1z at path and saves it,
// also when the sync is interrupted (so the next run resumes).
func SyncToFile(ctx context.Context, client connectorClient, path string, log *slog.Logger, opts ...sync.Option) error {
	_, err := syncToFile(ctx, client, path, log, opts...)
	return err
}

func syncToFile(ctx context.Context, client connectorClient, path string, log *slog.Logger, opts ...sync.Option) (sync.Result, error) {
	st, err := c1z.Open(ctx, path, c1z.WithLogger(log))
	if err != nil {
		return sync.Result{}, err
	}
	return syncToStore(ctx, client, st, log, opts...)
}

// SyncToStore is SyncToFile into a store the caller opened (to find a
// bad file before starting a connector); it closes st.
func SyncToStore(ctx context.Context, client connectorClient, st *c1z.Store, log *slog.Logger, opts ...sync.Option) error {
	_, err := syncToStore(ctx, client, st, log, opts...)
	return err
}

func syncToStore(ctx context.Context, client connectorClient, st *c1z.Store, log *slog.Logger, opts ...sync.Option) (sync.Result, error) {
	path := st.Path()
	res, err := sync.New(client, st, append([]sync.Option{sync.WithLogger(log)}, opts...)...).Run(ctx)
	closeErr := st.Close(context.WithoutCancel(ctx))
	if err != nil {
		return res, errors.Join(err, closeErr)
	}
	if closeErr != nil {
		return res, closeErr
	}
	log.Info("sync saved", "file", path, "sync_id", res.SyncID, "resources", res.Stats.Resources,
		"entitlements", res.Stats.Entitlements, "grants", res.Stats.Grants, "resumed", res.Resumed, "duration", res.Duration.Round(time.Millisecond))
	for feature, n := range res.Unhandled {
		log.Warn("the connector used a protocol feature this syncer does not act on", "feature", feature, "uses", n)
	}
	return res, nil
}

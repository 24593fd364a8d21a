package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/internal/buildinfo"
	"github.com/batonkit/batonkit/internal/safefs"
	"github.com/batonkit/batonkit/internal/safetext"
	"github.com/batonkit/batonkit/internal/suggest"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/remote"
)

// Exit codes, documented in `baton --help`.
const (
	ExitOK          = 0  // success
	ExitError       = 1  // any other failure
	ExitUsage       = 2  // bad flags or arguments
	ExitNoFile      = 3  // the sync file does not exist
	ExitBadFile     = 4  // the file is not a c1z, is corrupt, too large, or of an unsupported format
	ExitNoSync      = 5  // the file holds no matching sync
	ExitInterrupted = 6  // a sync stopped early; running it again resumes
	ExitNoConnector = 7  // the connector binary of baton sync cannot be run
	ExitUnknown     = 8  // a resource type, resource or entitlement asked about is not in the sync
	ExitChanges     = 9  // diff --exit-code found changes
	ExitNotConform  = 10 // conformance: a check failed
)

// globals are the flags every command shares.
type globals struct {
	file        string
	s3          remote.Options
	output      string
	syncID      string
	skipInvalid bool
	skipped     []*c1z.RowError // objects --skip-invalid passed over (skipMu: fleets read files at once)
	skipMu      sync.Mutex
	cpuprofile  string // hidden: a CPU profile of the command, for make bench work
	stdout      io.Writer
	stderr      io.Writer
}

// usageError marks errors that are the caller's fault.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Execute runs the CLI with args and returns the process exit code.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	pprof.StopCPUProfile() // a no-op unless --cpuprofile started one
	if err == nil {
		return ExitOK
	}
	// Errors quote ids and names from the file, and answers of apps and
	// buckets: redacted and escaped, line by line.
	fmt.Fprintln(stderr, "baton:", safetext.Error(err))
	return exitCode(err)
}

func exitCode(err error) int {
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, errNoConnector):
		return ExitNoConnector
	case errors.Is(err, errUnknown):
		return ExitUnknown
	case errors.Is(err, errChanges):
		return ExitChanges
	case errors.Is(err, errNotConformant):
		return ExitNotConform
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, remote.ErrNotFound):
		return ExitNoFile
	case errors.Is(err, c1z.ErrNotC1Z), errors.Is(err, c1z.ErrCorrupt), errors.Is(err, c1z.ErrTooLarge), errors.Is(err, c1z.ErrUnsupportedFormat):
		return ExitBadFile
	case errors.Is(err, c1z.ErrNoSync):
		return ExitNoSync
	case errors.Is(err, errInterrupted):
		return ExitInterrupted
	}
	return ExitError
}

var errInterrupted = errors.New("interrupted")

// errNoConnector marks a connector binary that cannot be run.
var errNoConnector = errors.New("cannot run the connector")

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "baton",
		Short: "Explore, compare and export c1z sync files",
		Long: `baton reads the .c1z files that connectors write (batonkit's or Baton's) and
answers questions about them: what exists, who has which access, what changed.

Every listing streams, so it starts at once and uses little memory on any size
of file. Use -o json for output in the same shape as Baton's CLI.

Exit codes:
  0  success; an answer with no rows too (a filter that matched nothing):
     then no table, "baton: no ... matched" on stderr, {} with -o json
  1  any other failure
  2  bad flags or arguments
  3  the sync file does not exist
  4  the file is not a c1z, is corrupt, too large, or of an unsupported format
  5  the file holds no matching sync
  6  a sync stopped early; running it again resumes
  7  the connector given to baton sync is missing or cannot be run
  8  a resource type, resource or entitlement asked about is not in the sync
     (never an empty answer: a typo must not read as "nobody has access")
  9  diff --exit-code: the syncs differ
 10  conformance: the connector failed a check`,
		Version:       buildinfo.Describe(""),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("baton {{.Version}}\n")
	root.PersistentFlags().StringVarP(&g.file, "file", "f", "sync.c1z", "the c1z file to read")
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "console", "output format: console or json (fleet commands: csv too)")
	root.PersistentFlags().StringVar(&g.syncID, "sync-id", "", "read this sync instead of the latest finished full sync")
	root.PersistentFlags().StringVar(&g.s3.Endpoint, "s3-endpoint", os.Getenv("BATON_S3_ENDPOINT"), "an S3-compatible endpoint for -f s3://bucket/key [BATON_S3_ENDPOINT]")
	root.PersistentFlags().BoolVar(&g.s3.PathStyle, "s3-path-style", os.Getenv("BATON_S3_PATH_STYLE") == "true", "address S3 buckets in the path [BATON_S3_PATH_STYLE]")
	root.PersistentFlags().StringVar(&g.s3.Region, "s3-region", os.Getenv("BATON_S3_REGION"), "the region of s3:// files [BATON_S3_REGION]")
	root.PersistentFlags().BoolVar(&g.skipInvalid, "skip-invalid", false, "skip stored objects that cannot be read (a damaged file) and count them on stderr, instead of stopping")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{suggest.FlagError(cmd, err)} })
	root.PersistentFlags().StringVar(&g.cpuprofile, "cpuprofile", "", "write a CPU profile of the command to this file")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if g.cpuprofile == "" {
			return nil
		}
		if err := safefs.CheckParent(g.cpuprofile); err != nil {
			return err
		}
		f, err := safefs.OpenOwned(g.cpuprofile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY)
		if err != nil {
			return err
		}
		return pprof.StartCPUProfile(f)
	}
	root.AddCommand(
		newResourceTypesCmd(g), newResourcesCmd(g), newEntitlementsCmd(g), newGrantsCmd(g),
		newPrincipalsCmd(g), newAccessCmd(g), newSearchCmd(g), newSyncsCmd(g), newStatsCmd(g), newDiffCmd(g),
		newExportCmd(g), newSyncCmd(g), newNewCmd(g), newExplorerCmd(g), newConformanceCmd(g), newVersionCmd(g), newFleetCmd(g), newSanitizeCmd(g), newRecalculateStatsCmd(g), newCompactCmd(g), newRollbackExpansionCmd(g),
	)
	scopeHelp(root)
	// An unexpected argument (`baton resources role`, `baton nosuch`) is a
	// bad argument, exit 2, as the help promises.
	root.Args = cobra.NoArgs
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	for _, c := range append(root.Commands(), root) {
		if check := c.Args; check != nil {
			c.Args = func(cmd *cobra.Command, args []string) error {
				if err := check(cmd, args); err != nil {
					var ue usageError
					if errors.As(err, &ue) {
						return err
					}
					return usageError{err}
				}
				return nil
			}
		}
	}
	return root
}

// open opens the sync file read-only, with errors that say what to do.
func (g *globals) open(ctx context.Context) (*c1z.Reader, error) { return g.openPath(ctx, g.file) }

func (g *globals) openPath(ctx context.Context, path string) (*c1z.Reader, error) {
	switch g.output {
	case "console", "json":
	default:
		return nil, usagef("unknown output format %q (want console or json)", g.output)
	}
	return g.openFile(ctx, path)
}

// openFile is openPath for commands that check the output format
// themselves.
func (g *globals) openFile(ctx context.Context, path string) (*c1z.Reader, error) {
	if remote.IsURL(path) {
		return g.openRemote(ctx, path)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: run a connector to create it (for example `make demo`), or point at another file with -f: %w", path, err)
	}
	var opts []c1z.Option
	if g.skipInvalid {
		opts = append(opts, c1z.SkipInvalid(func(e *c1z.RowError) {
			g.skipMu.Lock()
			g.skipped = append(g.skipped, e)
			g.skipMu.Unlock()
		}))
	}
	st, err := c1z.OpenReader(ctx, path, opts...)
	if errors.Is(err, c1z.ErrUnsupportedFormat) {
		return nil, fmt.Errorf("%w\nbaton reads v1 (C1ZF) files and v3 (C1Z3) files of Baton's Pebble engine", err)
	}
	return st, err
}

// syncFor resolves --sync-id, checking it exists.
func (g *globals) syncFor(ctx context.Context, st *c1z.Reader) (c1z.SyncRun, error) {
	if g.syncID != "" {
		return st.SyncRun(ctx, g.syncID)
	}
	return st.DefaultSync(ctx)
}

func (g *globals) json() bool { return g.output == "json" }

// openRemote reads an s3:// file: downloaded (within the size limit) to
// a private temporary file, opened read-only, and removed once decoded.
func (g *globals) openRemote(ctx context.Context, url string) (*c1z.Reader, error) {
	dir, err := os.MkdirTemp("", "baton-s3-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	o := g.s3
	o.CacheDir = dir
	f, err := remote.Open(ctx, url, o)
	if err != nil {
		return nil, usageError{err}
	}
	local := filepath.Join(dir, "sync.c1z")
	if err := f.Download(ctx, local); err != nil {
		return nil, err
	}
	return g.openPath(ctx, local)
}

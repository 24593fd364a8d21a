package cli

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/internal/explorer"
	"github.com/batonkit/batonkit/internal/safetext"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/fleet"
	"github.com/batonkit/batonkit/pkg/remote"
)

func newExplorerCmd(g *globals) *cobra.Command {
	var addr, idp string
	var open, allowRemote bool
	cmd := &cobra.Command{
		Use:   "explorer [FILE|DIR|GLOB|s3://bucket/prefix/...]",
		Short: "Browse a sync file in a local web page: who can reach what, and how",
		Long: "explorer serves a read-only web view of -f: resource types, resources (with\n" +
			"search), each resource's entitlements and holders, a principal's access with\n" +
			"the path behind each grant drawn as a graph, the syncs and what changed.\n" +
			"Every page has a JSON twin under /api (see internal/explorer/API.md).\n\n" +
			"It listens on loopback only and answers only requests that carry the token in\n" +
			"the printed URL (the browser keeps it in a cookie; scripts send\n" +
			"Authorization: Bearer TOKEN). The file is reopened when it changes, so a\n" +
			"cron job's new sync shows on reload. Stop it with Ctrl-C.\n\n" +
			"Given many apps' files (as baton fleet takes them), it shows a fleet instead:\n" +
			"the people, each person's accounts and what they hold in every app, and with\n" +
			"--idp the orphaned accounts.",
		Example: "  baton explorer -f sync.c1z\n  baton explorer --addr 127.0.0.1:8080 --open\n" +
			"  baton explorer --idp syncs/okta.c1z syncs/",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if remote.IsURL(g.file) {
				return usagef("explorer reads a local file; download %s first (baton export c1z --help)", g.file)
			}
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return usagef("--addr %q: want host:port, for example 127.0.0.1:0", addr)
			}
			if ip := net.ParseIP(host); !allowRemote && (ip == nil || !ip.IsLoopback()) && host != "localhost" {
				return usagef("--addr %s is not a loopback address; the explorer shows who can access what, so it serves only this machine unless --allow-remote", addr)
			}
			if len(args) > 0 {
				return g.withFleet(cmd, fleetFlags{idp: idp, match: fleet.DefaultKeys}, args, func(ctx context.Context, fl *fleet.Fleet) error {
					return g.explore(ctx, explorer.Config{Fleet: fl}, addr, open, allowRemote)
				})
			}
			if idp != "" {
				return usagef("--idp goes with a fleet: give the apps' files, directories or globs")
			}
			return g.explore(cmd.Context(), explorer.Config{Path: g.file,
				Open: func(ctx context.Context, path string) (*c1z.Reader, error) { return g.openPath(ctx, path) }}, addr, open, allowRemote)
		},
	}
	cmd.Flags().StringVar(&idp, "idp", "", "with a fleet: the identity provider's sync file (its users are the people)")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "where to listen (port 0: any free port)")
	cmd.Flags().BoolVar(&open, "open", false, "open the page in the default browser")
	cmd.Flags().BoolVar(&allowRemote, "allow-remote", false, "listen on and answer non-loopback addresses (put something that authenticates in front)")
	return cmd
}

func (g *globals) explore(ctx context.Context, cfg explorer.Config, addr string, open, allowRemote bool) error {
	cfg.AllowRemote = allowRemote
	cfg.Logger = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: safetext.ReplaceAttr}))
	srv, err := explorer.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close(context.WithoutCancel(ctx))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("explorer: listen: %w", err)
	}
	url := srv.URL(ln.Addr().String())
	what := g.file
	if cfg.Fleet != nil {
		what = fmt.Sprintf("a fleet of %d apps", len(cfg.Fleet.Apps))
	}
	fmt.Fprintf(g.stdout, "baton explorer: serving %s at\n  %s\n(Ctrl-C stops it)\n", safetext.Escape(what), url)
	if open {
		cleanup, err := openBrowser(url)
		if err != nil {
			fmt.Fprintf(g.stderr, "baton: --open: %v; open the URL by hand\n", err)
		}
		defer cleanup()
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openBrowser opens url in the user's browser without putting its token
// on a command line, where any user of the machine reads it (ps): the
// browser is handed a private page (0600, in a 0700 directory) that
// forwards to the URL. cleanup removes it.
func openBrowser(url string) (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "baton-explorer-*")
	if err != nil {
		return func() {}, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	page := filepath.Join(dir, "open.html")
	u := html.EscapeString(url)
	body := `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=` + u + `"><title>baton explorer</title><a href="` + u + `">baton explorer</a>` + "\n"
	if err := os.WriteFile(page, []byte(body), 0o600); err != nil {
		return cleanup, err
	}
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	return cleanup, exec.Command(name, "file://"+page).Start()
}

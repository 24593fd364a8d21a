package compact

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/sync/expand"
)

// ErrNothingToCompact: the inputs hold no finished sync to fold.
var ErrNothingToCompact = errors.New("nothing to compact")

// Input is one sync to fold: a c1z file and the id of a sync in it.
type Input struct {
	Path   string
	SyncID string
}

// Options tune Compact.
type Options struct {
	// TempDir is where inputs are decoded (default the system's).
	TempDir string
	// SkipExpansion leaves grant expansion to a later run.
	SkipExpansion bool
	// MaxDepth bounds entitlement nesting in expansion (default
	// expand.DefaultMaxDepth).
	MaxDepth int
	Logger   *slog.Logger
}

// Result describes a compacted file.
type Result struct {
	Path    string
	SyncID  string
	Type    c1z.SyncType
	Applied []Input
	// Expanded says whether grant expansion ran again, and Rollback and
	// Expansion what it did.
	Expanded  bool
	Rollback  c1z.Rollback
	Expansion expand.Stats
	Stats     c1z.Stats
}

// Compact applies inputs, in order, to one new sync in a new file at out,
// which must not exist. The new sync is full when any input is full or
// resources-only when any is that, else partial, as Baton types a merge.
// Grant expansion runs again over the whole result when it is full and a
// partial sync was applied after a full one: a diff's syncs carry their
// expansion with them, a targeted sync does not. On failure nothing is
// left at out.
func Compact(ctx context.Context, out string, inputs []Input, opts Options) (res Result, err error) {
	if len(inputs) == 0 {
		return res, ErrNothingToCompact
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Lstat(out); !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("compact into %s: the file exists; choose a new name", out)
	}
	srcs, runs, err := openInputs(ctx, inputs, opts)
	defer func() {
		for _, s := range srcs {
			s.Close(context.WithoutCancel(ctx))
		}
	}()
	if err != nil {
		return res, err
	}
	typ, replay := plan(runs)
	dst, err := c1z.Open(ctx, out, c1z.WithLogger(opts.Logger))
	if err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			dst.Discard()
		}
	}()
	run, err := dst.StartSync(ctx, typ, "")
	if err != nil {
		return res, err
	}
	res = Result{Path: out, SyncID: run.ID, Type: typ}
	for i, in := range inputs {
		opts.Logger.InfoContext(ctx, "applying sync", "file", in.Path, "sync_id", in.SyncID, "type", runs[i].Type)
		if err := run.Apply(ctx, srcs[in.Path], in.SyncID); err != nil {
			return res, err
		}
		res.Applied = append(res.Applied, in)
	}
	if res.Stats, err = run.End(ctx); err != nil {
		return res, err
	}
	if replay && !opts.SkipExpansion {
		res.Expanded = true
		amend, err := dst.AmendSync(ctx, run.ID)
		if err != nil {
			return res, err
		}
		res.Rollback, res.Expansion, err = expand.Replay(ctx, amend, false, expand.Options{MaxDepth: opts.MaxDepth, Logger: opts.Logger})
		if err != nil {
			return res, err
		}
		if res.Stats, err = amend.End(ctx); err != nil {
			return res, err
		}
	}
	return res, dst.Close(ctx)
}

// openInputs opens each input file once, read-only, and checks that the
// sync each input names is there and finished.
func openInputs(ctx context.Context, inputs []Input, opts Options) (map[string]*c1z.Reader, []c1z.SyncRun, error) {
	srcs := map[string]*c1z.Reader{}
	var runs []c1z.SyncRun
	for _, in := range inputs {
		st, ok := srcs[in.Path]
		if !ok {
			var err error
			st, err = c1z.OpenReader(ctx, in.Path, c1z.WithTempDir(opts.TempDir), c1z.WithLogger(opts.Logger))
			if err != nil {
				return srcs, nil, err
			}
			srcs[in.Path] = st
		}
		r, err := st.SyncRun(ctx, in.SyncID)
		if err != nil {
			return srcs, nil, fmt.Errorf("%s: %w", in.Path, err)
		}
		if !r.Finished() {
			return srcs, nil, fmt.Errorf("%s: sync %s is unfinished; finish or resume it before compacting", in.Path, in.SyncID)
		}
		runs = append(runs, r)
	}
	return srcs, runs, nil
}

// plan types the merged sync and says whether expansion must run again.
func plan(runs []c1z.SyncRun) (typ c1z.SyncType, replay bool) {
	typ = c1z.SyncPartial
	for _, r := range runs {
		switch r.Type {
		case c1z.SyncFull:
			typ = c1z.SyncFull
		case c1z.SyncResourcesOnly:
			if typ != c1z.SyncFull {
				typ = c1z.SyncResourcesOnly
			}
		case c1z.SyncPartial:
			replay = replay || typ == c1z.SyncFull
		}
	}
	return typ, replay && typ == c1z.SyncFull
}

// IntoDir compacts inputs into dir/compacted-<sync id>.c1z, Baton's
// name for a compacted file, and never over an existing file.
func IntoDir(ctx context.Context, dir string, inputs []Input, opts Options) (Result, error) {
	tmp, err := os.CreateTemp(dir, ".compacting-*.c1z")
	if err != nil {
		return Result{}, err
	}
	tmp.Close()
	os.Remove(tmp.Name()) // Compact wants a path that does not exist
	res, err := Compact(ctx, tmp.Name(), inputs, opts)
	if err != nil {
		return res, err
	}
	final := filepath.Join(dir, "compacted-"+res.SyncID+".c1z")
	// A link fails when the name is taken, where a rename would replace.
	if err := os.Link(tmp.Name(), final); err != nil {
		os.Remove(tmp.Name())
		return res, fmt.Errorf("name the compacted file: %w", err)
	}
	res.Path = final
	return res, os.Remove(tmp.Name())
}

package fleet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/batonkit/batonkit/pkg/c1z"
)

// Options say how to open and match a fleet.
type Options struct {
	// IdP is the file of the identity provider whose human accounts are
	// the people (it is part of the fleet whether or not the specs name it).
	IdP string
	// Names maps file paths to app names (--app NAME=FILE); other apps are
	// named after their file (or, for sync.c1z, its directory).
	Names map[string]string
	// Keys is the matching order: any of "email", "login", "employee_id"
	// (default all three, in that order).
	Keys []string
	// Strict makes a file that cannot be read an error; by default it is
	// skipped with a warning (Fleet.Skipped).
	Strict bool
	// List names the files under a spec of a remote store (s3://bucket/
	// prefix/), for specs that name no local path; nil: none allowed.
	List func(ctx context.Context, spec string) ([]string, error)
	// Open opens one file to read it (default: c1z.OpenReader). It
	// is called for several files at once.
	Open func(ctx context.Context, path string) (*c1z.Reader, error)
	// CacheDir keeps what each local file's accounts are (cache.go), in a
	// directory of this user's alone; empty: no cache, every file read.
	CacheDir string
}

// remote reports whether a spec names objects in a store, not a path.
func remote(spec string) bool { return strings.Contains(spec, "://") }

// App is one application's sync file.
type App struct {
	Name   string
	Path   string
	SyncID string
	index  int         // in Fleet.Apps
	store  *c1z.Reader // opened on first need (Store)
	open   func(ctx context.Context, path string) (*c1z.Reader, error)
}

// Store is the app's file, open read-only: opened on first need, since
// the fleet's cache answers most questions without it.
func (a *App) Store(ctx context.Context) (*c1z.Reader, error) {
	if a.store != nil {
		return a.store, nil
	}
	st, err := a.open(ctx, a.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Path, err)
	}
	if a.SyncID == "" {
		run, err := st.LatestFinishedSync(ctx, c1z.SyncFull)
		if err != nil {
			st.Close(ctx)
			return nil, fmt.Errorf("%s: %w", a.Path, err)
		}
		a.SyncID = run.ID
	}
	a.store = st
	return st, nil
}

// Fleet is a set of apps and the people their accounts belong to.
type Fleet struct {
	Apps     []*App
	IdP      *App // nil without one
	Skipped  []error
	accounts []*Account
	people   []*Person
	keys     []string
}

// files expands specs (files, directories, globs, and prefixes in a
// remote store through o.List) to the c1z files they name, each once, in
// order.
func (o Options) files(ctx context.Context, specs []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		key := p
		if !remote(p) {
			key, _ = filepath.Abs(p)
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	for _, spec := range specs {
		if remote(spec) {
			if strings.HasSuffix(spec, ".c1z") {
				add(spec)
				continue
			}
			if o.List == nil {
				return nil, fmt.Errorf("%s: this fleet reads local files only", spec)
			}
			found, err := o.List(ctx, spec)
			if err != nil {
				return nil, err
			}
			if len(found) == 0 {
				return nil, fmt.Errorf("%s holds no .c1z file", spec)
			}
			for _, p := range found {
				add(p)
			}
			continue
		}
		if strings.ContainsAny(spec, "*?[") {
			m, err := filepath.Glob(spec)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", spec, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%s matches no file", spec)
			}
			for _, p := range m {
				add(p)
			}
			continue
		}
		fi, err := os.Stat(spec)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			add(spec)
			continue
		}
		var found []string
		err = filepath.WalkDir(spec, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".c1z") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s holds no .c1z file", spec)
		}
		slices.Sort(found)
		for _, p := range found {
			add(p)
		}
	}
	return out, nil
}

// appName is the file's name without .c1z, or its directory's for the
// conventional sync.c1z.
func appName(path string) string {
	if remote(path) {
		path = path[strings.Index(path, "://")+3:]
	}
	base := strings.TrimSuffix(filepath.Base(path), ".c1z")
	if base == "sync" {
		if dir := filepath.Base(filepath.Dir(path)); dir != "." && dir != string(filepath.Separator) {
			return dir
		}
	}
	return base
}

// Open opens every file of specs read-only (and the IdP's), reads their
// accounts and matches them to people. Close releases the files.
func Open(ctx context.Context, specs []string, opts Options) (*Fleet, error) {
	keys := opts.Keys
	if len(keys) == 0 {
		keys = DefaultKeys
	}
	for _, k := range keys {
		if !slices.Contains(DefaultKeys, k) {
			return nil, fmt.Errorf("matching key %q: want email, login or employee_id", k)
		}
	}
	paths, err := opts.files(ctx, specs)
	if err != nil {
		return nil, err
	}
	if opts.IdP != "" && !slices.ContainsFunc(paths, func(p string) bool { return sameFile(p, opts.IdP) }) {
		paths = append(paths, opts.IdP)
	}
	f := &Fleet{keys: keys}
	names := map[string]string{}
	open := opts.Open
	if open == nil {
		open = func(ctx context.Context, path string) (*c1z.Reader, error) { return c1z.OpenReader(ctx, path) }
	}
	apps := make([]*App, len(paths))
	for i, path := range paths {
		app := &App{Name: appName(path), Path: path, open: open}
		for p, n := range opts.Names {
			if sameFile(p, path) {
				app.Name = n
			}
		}
		if other, dup := names[app.Name]; dup {
			return nil, fmt.Errorf("two apps are named %q (%s and %s): name one with --app NAME=FILE", app.Name, other, path)
		}
		names[app.Name] = path
		apps[i] = app
	}
	// Each file is read (or its cache entry decoded) on one of as many
	// goroutines as there are cores; the fleet is assembled in order.
	type read struct {
		accts []*Account
		err   error
	}
	reads := make([]read, len(apps))
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, app := range apps {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			accts, err := f.accountsOf(ctx, app, opts.CacheDir)
			reads[i] = read{accts, err}
		})
	}
	wg.Wait()
	for i, app := range apps {
		if err := reads[i].err; err != nil {
			app.close(ctx)
			if opts.Strict || sameFile(app.Path, opts.IdP) {
				f.Close(ctx)
				return nil, err
			}
			f.Skipped = append(f.Skipped, err)
			continue
		}
		app.index = len(f.Apps)
		f.Apps = append(f.Apps, app)
		f.accounts = append(f.accounts, reads[i].accts...)
		if opts.IdP != "" && sameFile(app.Path, opts.IdP) {
			f.IdP = app
		}
	}
	if len(f.Apps) == 0 {
		return nil, errors.Join(append([]error{errors.New("no readable sync file in the fleet")}, f.Skipped...)...)
	}
	f.match()
	return f, nil
}

// accountsOf reads an app's accounts, from the cache when its entry is
// the file's as it is now.
func (f *Fleet) accountsOf(ctx context.Context, app *App, cacheDir string) ([]*Account, error) {
	var fp fingerprint
	cached := cacheDir != "" && !remote(app.Path)
	if cached {
		var err error
		if fp, err = fingerprintOf(app.Path); err != nil {
			return nil, err
		}
		if accts, ok := loadCached(cacheDir, app, fp); ok {
			return accts, nil
		}
	}
	st, err := app.Store(ctx)
	if err != nil {
		return nil, err
	}
	accts, err := readAccounts(ctx, app, st)
	// Open files cost memory and disk (each is decompressed): a question
	// that needs one again reopens it.
	app.close(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %w", app.Name, app.Path, err)
	}
	if cached {
		storeCached(cacheDir, app, fp, accts)
	}
	return accts, nil
}

func (a *App) close(ctx context.Context) error {
	if a.store == nil {
		return nil
	}
	err := a.store.Close(ctx)
	a.store = nil
	return err
}

func sameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if remote(a) || remote(b) {
		return a == b
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// Close closes every file.
func (f *Fleet) Close(ctx context.Context) error {
	var errs []error
	for _, a := range f.Apps {
		errs = append(errs, a.close(ctx))
	}
	return errors.Join(errs...)
}

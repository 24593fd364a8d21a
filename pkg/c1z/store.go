package c1z

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/batonkit/batonkit/internal/atomicfile"
	"github.com/batonkit/batonkit/internal/safefs"
)

// Store is an open c1z file. A writable store keeps its working SQLite
// database beside the .c1z (as "<file>.work") so that a crash loses at most
// the work since the last commit, and writes the .c1z atomically on Close.
// A read-only store decodes into a temporary directory and never touches
// the file. A Store is safe for concurrent use.
type Store struct {
	// Reader is the store's reading face: everything a Store reads, it
	// reads through it, and OpenReader hands out only it.
	*Reader

	path     string
	workPath string
	readOnly bool
	opts     options
	log      *slog.Logger

	db     *sql.DB
	dbPath string // the SQLite file behind db
	format Format
	schema schemaInfo
	lock   *fileLock
	tmpDir string
	v3     *v3Store // a v3 file's payload (nil for v1 files)

	writeMu     sync.Mutex // one writer transaction at a time
	dirty       atomic.Bool
	closed      atomic.Bool
	lookupLive  atomic.Bool // lookup indexes exist
	stmtCacheMu sync.Mutex
	stmtCache   map[string]*sql.Stmt
	upserts     map[upsertKey]*sql.Stmt // the same statements, by table and rows, without building the text
	pendMu      sync.Mutex
	pend        pending
	inflight    map[*table]int // tables with rows in an uncommitted write transaction (pendMu)
	kick        chan struct{}  // wakes the background writer
	stopWriter  chan struct{}
	writerDone  chan struct{}
	bgErrMu     sync.Mutex
	bgErr       error // the background writer's first failure
	freshWork   bool  // the working file was created by this Open
	tracked     atomic.Pointer[tokenSource]
}

type options struct {
	readOnly   bool
	tmpDir     string
	limits     Limits
	encoder    EncoderOptions
	logger     *slog.Logger
	cacheBytes int64
	onInvalid  func(*RowError)
}

// Option configures Open.
type Option func(*options)

// readOnly opens the file for reading only (OpenReader): it is decoded
// into a temporary directory and never modified.
func readOnly() Option { return func(o *options) { o.readOnly = true } }

// WithTempDir sets where a read-only store decodes its database (default
// os.TempDir()). Writable stores always work beside the file itself.
func WithTempDir(dir string) Option { return func(o *options) { o.tmpDir = dir } }

// WithLimits replaces DefaultLimits for decoding.
func WithLimits(l Limits) Option { return func(o *options) { o.limits = l } }

// WithEncoder sets the zstd level and concurrency used when saving.
func WithEncoder(level zstd.EncoderLevel, concurrency int) Option {
	return func(o *options) { o.encoder = EncoderOptions{Level: level, Concurrency: concurrency} }
}

// SkipInvalid makes listings skip stored objects that cannot be decoded,
// calling fn for each, instead of ending with a *RowError: for salvaging
// what a damaged file still holds.
func SkipInvalid(fn func(*RowError)) Option { return func(o *options) { o.onInvalid = fn } }

// WithLogger sets the logger for recoveries and warnings (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithCacheSize sets SQLite's page cache per connection, in bytes
// (default 6 MiB; a few connections each have one).
func WithCacheSize(bytes int64) Option { return func(o *options) { o.cacheBytes = bytes } }

// WorkPath is where a writable store keeps its working database for the
// c1z at path.
func WorkPath(path string) string { return path + ".work" }

// Open opens the c1z at path.
//
// Writable (the default): a missing or zero-length file starts a new store;
// a working database left by a crashed run is reopened so the interrupted
// sync can resume; otherwise the file is decoded into the working database.
// Read-only: the file must exist and be a valid c1z.
//
// Problems with the file are reported as a *FileError wrapping ErrNotC1Z,
// ErrCorrupt, ErrTooLarge or ErrUnsupportedFormat; the file is never
// modified when Open fails.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{limits: DefaultLimits}
	for _, opt := range opts {
		opt(&o)
	}
	if o.cacheBytes == 0 {
		o.cacheBytes = 6 << 20
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(path)
	if err == nil && !o.readOnly {
		abs, err = resolve(path)
	}
	if err != nil {
		return nil, fileErr("open", path, err)
	}
	s := &Store{path: abs, readOnly: o.readOnly, opts: o, log: o.logger, stmtCache: map[string]*sql.Stmt{}}
	s.Reader = &Reader{s: s}
	if o.readOnly {
		err = s.openReadOnly(ctx)
	} else {
		err = s.openWritable(ctx)
	}
	if err != nil {
		s.abandon()
		return nil, fileErr("open", path, err)
	}
	return s, nil
}

// resolve makes path absolute with its directory resolved through
// symlinks (the user named those), so two spellings of one directory
// share a lock, a working database and saves. The file itself is never
// followed: a writable store refuses a link where its file should be
// (internal/safefs), so a planted link cannot send a save elsewhere.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// unsafeErr classifies safefs's refusals as ErrUnsafeFile.
func unsafeErr(err error) error {
	if errors.Is(err, safefs.ErrUnsafe) {
		return fmt.Errorf("%w: %w", ErrUnsafeFile, err)
	}
	return err
}

// removeStaleTemps deletes the temporary files a killed run of ours left
// beside the file (a save or an unpack cut short); the caller holds the
// lock, so no live run of ours is writing them.
func (s *Store) removeStaleTemps() {
	dir, base := filepath.Dir(s.path), filepath.Base(s.path)
	for _, pattern := range []string{"." + base + ".tmp-*", "." + base + ".work.tmp-*"} {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, m := range matches {
			if fi, err := os.Lstat(m); err == nil && safefs.Private(fi) {
				if os.Remove(m) == nil {
					s.log.Info("c1z: removed a temporary file an interrupted run left", "file", m, "bytes", fi.Size())
				}
			}
		}
	}
}

// Path is the c1z file this store reads and saves.
func (rd *Reader) Path() string { return rd.s.path }

func (s *Store) openReadOnly(ctx context.Context) error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	v3, err := sniff(f)
	if err != nil {
		return err
	}
	s.tmpDir, err = os.MkdirTemp(s.opts.tmpDir, "c1z-read-*")
	if err != nil {
		return fmt.Errorf("make temp dir: %w", err)
	}
	if v3 {
		s.format = FormatV3
		return s.openV3(ctx, f)
	}
	dbPath := filepath.Join(s.tmpDir, "db")
	if err := decodeFile(f, dbPath, s.opts.limits); err != nil {
		return err
	}
	if err := s.openDB(ctx, dbPath, true); err != nil {
		return err
	}
	s.schema, err = inspect(ctx, s.db)
	return err
}

func (s *Store) openWritable(ctx context.Context) error {
	// A sync file is adopted whole (its unfinished sync resumed, its
	// grants carried into the next save): only the user's own, in a
	// directory no one else can rearrange.
	if err := safefs.CheckDir(filepath.Dir(s.path)); err != nil {
		return unsafeErr(err)
	}
	if _, err := safefs.CheckFile(s.path); err != nil {
		return unsafeErr(err)
	}
	var err error
	if s.lock, err = acquireLock(s.path + ".lock"); err != nil {
		return err
	}
	s.workPath = WorkPath(s.path)
	s.removeStaleTemps()
	s.warnIfTight()

	resumed, err := s.recoverWorkFile(ctx)
	if err != nil {
		return err
	}
	if !resumed {
		// From here on the working file is ours to delete if opening fails:
		// it holds nothing the .c1z does not.
		s.freshWork = true
		if err := s.prepareWorkFile(); err != nil {
			return err
		}
		if err := s.openDB(ctx, s.workPath, false); err != nil {
			return err
		}
	}
	if err := migrate(ctx, s.db); err != nil {
		if ctx.Err() != nil { // cancelled or out of time: the file is not to blame
			return fmt.Errorf("migrate schema: %w", context.Cause(ctx))
		}
		return fmt.Errorf("%w: migrate schema: %v", ErrCorrupt, err)
	}
	if s.schema, err = inspect(ctx, s.db); err != nil {
		return err
	}
	s.lookupLive.Store(s.hasLookupIndexes(ctx))
	if resumed {
		// The working file holds progress the .c1z does not have yet.
		s.dirty.Store(true)
	}
	s.kick, s.stopWriter, s.writerDone = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go s.writer(s.stopWriter, s.writerDone)
	return nil
}

// stopBackground ends the background writer (rows it did not take are
// still pending and are committed by the next flush).
func (s *Store) stopBackground() {
	if s.stopWriter != nil {
		close(s.stopWriter)
		<-s.writerDone
		s.stopWriter = nil
	}
}

// recoverWorkFile reopens a working database left behind by a run that
// did not close the store (a crash or a kill). A working file that cannot
// be opened is moved aside, never deleted, and the .c1z is used instead.
func (s *Store) recoverWorkFile(ctx context.Context) (bool, error) {
	// Adopting a working file means adopting its content into this sync:
	// only one of ours, never a link, never one others could have written.
	st, err := safefs.CheckFile(s.workPath)
	if err != nil {
		return false, unsafeErr(fmt.Errorf("working file: %w (move it away to start fresh)", err))
	}
	if st == nil {
		return false, nil
	}
	if st.Size() == 0 {
		return false, nil
	}
	err = s.openDB(ctx, s.workPath, false)
	if err == nil {
		var check string
		if err = s.db.QueryRowContext(ctx, "pragma quick_check").Scan(&check); err == nil && check != "ok" {
			err = errors.New(check)
		}
	}
	if err == nil {
		_, err = inspect(ctx, s.db)
	}
	if err == nil {
		s.log.Info("c1z: resuming from the working database of an interrupted run", "work", s.workPath)
		return true, nil
	}
	if s.db != nil {
		s.db.Close()
		s.db = nil
	}
	aside := fmt.Sprintf("%s.broken-%d", s.workPath, time.Now().Unix())
	s.log.Warn("c1z: working database is unusable; moved aside, starting from the saved file",
		"work", s.workPath, "moved_to", aside, "error", err)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if rerr := os.Rename(s.workPath+suffix, aside+suffix); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			return false, fmt.Errorf("move aside unusable working database: %w", rerr)
		}
	}
	return false, nil
}

// prepareWorkFile decodes the .c1z (if any) into a fresh working database.
func (s *Store) prepareWorkFile() error {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // new store: SQLite creates the file
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return err
	} else if st.Size() == 0 {
		return nil
	}
	if v3, err := sniff(f); err != nil {
		return err
	} else if v3 {
		return fmt.Errorf("%w: %w", ErrUnsupportedFormat, errV3Write)
	}
	return decodeFile(f, s.workPath, s.opts.limits)
}

// decodeFile decodes the rest of src (an open c1z past its header) into
// dst atomically: dst appears complete or not at all.
func decodeFile(src *os.File, dst string, lim Limits) error {
	var compressed int64
	if st, err := src.Stat(); err == nil {
		compressed = st.Size() - headerSize
	}
	dir := filepath.Dir(dst)
	return atomicfile.Write(dst, func(w io.Writer) error {
		_, err := decode(src, w, lim, compressed, func() (int64, error) { return diskFree(dir) })
		return err
	})
}

func (s *Store) openDB(ctx context.Context, path string, readOnly bool) error {
	if !readOnly {
		if err := claimDB(path); err != nil {
			return err
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -s.opts.cacheBytes/1024))
	if readOnly {
		q.Set("mode", "ro")
		q.Set("immutable", "1")
	} else {
		// WAL: an application crash can lose uncommitted work but never
		// corrupts the database; NORMAL syncs only at checkpoints.
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(OFF)")
		q.Add("_pragma", "wal_autocheckpoint(4096)")
		q.Add("_pragma", "temp_store(FILE)")
	}
	dsn := (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	// Every connection has its own page cache; readers stream in chunks and
	// need few connections, so memory stays near one cache per reader.
	conns := 3
	if readOnly {
		conns = 2
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if ctx.Err() != nil { // cancelled or out of time: the file is not to blame
			return fmt.Errorf("open database: %w", context.Cause(ctx))
		}
		return fmt.Errorf("%w: open database: %v", ErrCorrupt, err)
	}
	s.db, s.dbPath = db, path
	return nil
}

// claimDB makes a writable database and its -wal and -shm files ours
// before SQLite opens them by name (following links, with the umask's
// mode): each is created private without following a link, or, when a
// crashed run left it, must pass safefs's rule. SQLite would replay a
// planted write-ahead log into our database.
func claimDB(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		f, err := safefs.OpenOwned(p, os.O_RDWR|os.O_CREATE)
		if err != nil {
			return unsafeErr(err)
		}
		f.Close()
	}
	return nil
}

// Close releases the store. A writable store that changed saves the .c1z
// first: indexes are built, the working database is compacted into a
// single file, compressed to a temporary file, fsynced and renamed over the
// .c1z. If saving fails the working database is kept so nothing is lost,
// and the error says where it is.
func (s *Store) Close(ctx context.Context) error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if s.readOnly {
		s.abandon()
		return nil
	}
	s.stopBackground()
	if s.dirty.Load() {
		if err := s.save(ctx); err != nil {
			s.closeDB()
			s.lock.release()
			return fileErr("save", s.path, fmt.Errorf("%w (work kept in %s: it resumes on the next run)", s.spaceHint(err), s.workPath))
		}
	} else {
		s.closeDB()
	}
	err := errors.Join(s.removeWork(), s.lock.release())
	return fileErr("close", s.path, err)
}

// Discard closes the store without saving: a file the store was creating
// is not created, and its working files are removed; an existing file
// keeps its last saved state (work in progress stays beside it, to resume,
// as after a crash). Operations that write a new file whole (compaction,
// export) discard it when they fail.
func (s *Store) Discard() {
	if s.closed.Load() {
		return
	}
	s.abandon()
	s.closed.Store(true)
}

func (s *Store) removeWork() error {
	var errs []error
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(s.workPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Store) save(ctx context.Context) error {
	if err := s.flush(ctx); err != nil {
		return err
	}
	if err := s.ensureIndexes(ctx); err != nil {
		return err
	}
	// Fold the WAL into the main file and switch back to a rollback journal
	// so the saved database is one self-contained file, as Baton writes it.
	if _, err := s.db.ExecContext(ctx, "pragma wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	s.closeStmts()
	s.db.SetMaxOpenConns(1)
	if _, err := s.db.ExecContext(ctx, "pragma journal_mode=DELETE"); err != nil {
		return fmt.Errorf("leave WAL mode: %w", err)
	}
	s.closeDB()
	return atomicfile.Write(s.path, func(w io.Writer) error {
		return encode(w, s.workPath, s.opts.encoder)
	})
}

func (s *Store) closeStmts() {
	s.stmtCacheMu.Lock()
	defer s.stmtCacheMu.Unlock()
	for k, st := range s.stmtCache {
		st.Close()
		delete(s.stmtCache, k)
	}
	clear(s.upserts)
}

func (s *Store) closeDB() {
	s.closeStmts()
	if s.db != nil {
		s.db.Close()
		s.db = nil
	}
}

// abandon releases everything without saving: for failed opens and
// read-only stores.
func (s *Store) abandon() {
	s.stopBackground()
	s.closeDB()
	s.v3.close()
	if s.tmpDir != "" {
		os.RemoveAll(s.tmpDir)
	}
	if s.freshWork && !s.closed.Load() {
		s.removeWork()
	}
	s.lock.release()
}

type upsertKey struct {
	t    *table
	rows int
}

// upsertStmt is stmt for t.upsertSQL(rows): the writer asks for one per
// statement it runs, and building the text each time showed in profiles.
func (s *Store) upsertStmt(ctx context.Context, t *table, rows int) (*sql.Stmt, error) {
	k := upsertKey{t, rows}
	s.stmtCacheMu.Lock()
	st, ok := s.upserts[k]
	s.stmtCacheMu.Unlock()
	if ok {
		return st, nil
	}
	st, err := s.stmt(ctx, t.upsertSQL(rows))
	if err != nil {
		return nil, err
	}
	s.stmtCacheMu.Lock()
	defer s.stmtCacheMu.Unlock()
	if s.upserts == nil {
		s.upserts = map[upsertKey]*sql.Stmt{}
	}
	s.upserts[k] = st
	return st, nil
}

// stmt returns a prepared statement for query, prepared once per store.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if err := s.need(ctx); err != nil {
		return nil, err
	}
	s.stmtCacheMu.Lock()
	defer s.stmtCacheMu.Unlock()
	if st, ok := s.stmtCache[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmtCache[query] = st
	return st, nil
}

func (s *Store) checkWritable() error {
	if s.closed.Load() {
		return ErrClosed
	}
	if s.readOnly {
		return errReadOnly
	}
	return nil
}

func (s *Store) checkOpen() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// ensureIndexes builds any lookup index a bulk load dropped. Reads work
// without them, only slower; the syncer calls this before phases that
// read back what it wrote, and Close calls it before saving.
func (s *Store) ensureIndexes(ctx context.Context) error {
	if s.lookupLive.Load() || s.readOnly {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	for _, ix := range lookupIndexes {
		if _, err := s.db.ExecContext(ctx, ix.create()); err != nil {
			return fmt.Errorf("create index %s: %w", ix.name, err)
		}
	}
	s.lookupLive.Store(true)
	return nil
}

// dropLookupIndexes prepares for a bulk load.
func (s *Store) dropLookupIndexes(ctx context.Context) error {
	for _, ix := range lookupIndexes {
		if _, err := s.db.ExecContext(ctx, "drop index if exists "+ix.name); err != nil {
			return fmt.Errorf("drop index %s: %w", ix.name, err)
		}
	}
	s.lookupLive.Store(false)
	return nil
}

func (s *Store) hasLookupIndexes(ctx context.Context) bool {
	var n int
	err := s.db.QueryRowContext(ctx, "select count(*) from sqlite_master where type = 'index' and name = ?", lookupIndexes[0].name).Scan(&n)
	return err == nil && n > 0
}

// Format is the on-disk format of a c1z file.
type Format int

// The formats Open reads. Writes are always FormatV1.
const (
	FormatV1 Format = iota // "C1ZF": a zstd-compressed SQLite database
	FormatV3               // "C1Z3": Baton's manifest and Pebble payload, read-only
)

func (f Format) String() string {
	if f == FormatV3 {
		return "v3"
	}
	return "v1"
}

// Format says which format the file was read from.
func (rd *Reader) Format() Format { return rd.s.format }

// Package c1z reads and writes the .c1z sync file, compatible byte for byte
// with Baton's classic ("v1") format: the header "C1ZF\x00", then one zstd
// stream holding a SQLite database with Baton's tables, columns and
// indexes. One file holds several syncs; readers default to the latest
// finished full sync.
//
// Opening writable decodes the file into a working database beside it
// ("sync.c1z.work"), in WAL mode so a crash or SIGKILL never corrupts it;
// the next Open resumes from it. Close builds indexes, compresses to a
// temporary file, fsyncs and renames it over the original, so the .c1z is
// always either the old or the new file. OpenReader opens a file only to
// read it: it decodes into a temporary directory, never touches the file,
// and returns a *Reader, a type without a method that writes. A *Store
// reads through its own Reader (st.Reader), so code that only reads takes
// a *Reader and serves both.
//
//	r, err := c1z.OpenReader(ctx, "sync.c1z")
//	for g, err := range r.Grants(ctx, c1z.GrantQuery{}) { ... }
//
// Writing goes through a *SyncWriter, the writer of one sync, which
// carries its id: StartSync makes a new sync, ResumeSync reopens an
// unfinished one, AmendSync a finished one for a tool that reworks it
// (rolling back grant expansion, recounting stats).
//
//	st, err := c1z.Open(ctx, "sync.c1z")
//	run, err := st.StartSync(ctx, c1z.SyncFull, "")
//	err = run.PutResources(ctx, resources...)
//	err = run.Checkpoint(ctx, token)   // resume point, committed with the rows
//	stats, err := run.End(ctx)
//	err = st.Close(ctx)
//
// Reads stream (Resources, Grants... are iterators reading a few hundred
// rows at a time) or page with opaque tokens (ResourcesPage...). Diff,
// Stats, Export, Retain and a per-sync session store complete the API.
//
// Readers also read Baton's newer "v3" files (the header
// "C1Z3\x00", a manifest, a Pebble database in an indexed-zstd, tar-zstd
// or tar payload), which current Baton connectors write by default: the
// payload is unpacked, and the listings used most (Stats, ResourceTypes,
// Resources, Entitlements and GrantViews, whole or by type, resource,
// entitlement or principal, and the Get methods) read it directly, in
// its key order; any other read (pages, parents, Diff, search, Export,
// which converts) first copies its one sync into a private v1 database,
// once. Every read gives the same answer on both formats; Format says
// which the file was. Writable opens refuse a v3 file rather
// than replace it with v1: convert it with Export first.
//
// Bad input fails with a *FileError wrapping ErrNotC1Z, ErrCorrupt,
// ErrTooLarge (decompression bomb) or ErrUnsupportedFormat (a v3 file
// opened for writing, or of an unknown engine or payload encoding), and
// leaves the file untouched.
package c1z

package c1z

import "context"

// Reader reads a c1z file: its syncs and their objects, listings, lookups,
// stats, differences and exports. It has no method that writes, as a
// bbolt read transaction says in its type that it does not write:
// OpenReader returns one for a file opened only to read, and every Store
// reads through its own (Store.Reader), so a function that only reads
// takes a *Reader and serves both.
type Reader struct{ s *Store }

// OpenReader opens a c1z file to read it: decoded into a private
// temporary directory (or read in place, for a v3 file's listings), the
// file itself never touched. Close removes what it decoded.
func OpenReader(ctx context.Context, path string, opts ...Option) (*Reader, error) {
	s, err := Open(ctx, path, append(opts, readOnly())...)
	if err != nil {
		return nil, err
	}
	return s.Reader, nil
}

// Close releases what the reader holds; for a store's own reader it
// closes the store.
func (r *Reader) Close(ctx context.Context) error { return r.s.Close(ctx) }

// Package safefs holds the one rule batonkit applies to every path it
// writes or adopts: nothing another local user controls is trusted.
//
// A file batonkit writes, resumes or replaces (a sync file, its working
// database, lock and companions, an export, a credentials file, an upload
// marker) must be a regular file, not a symbolic link, owned by the
// current user and not writable by anyone else; otherwise it is refused
// with an error wrapping ErrUnsafe that says why and what to do. The
// directory it lives in must be one other users cannot rearrange: owned
// by the current user or root, and, when others may write to it, sticky
// (as /tmp is), so they can add names but never replace ours.
//
// Directories batonkit makes for itself (caches, service-mode files) are
// created 0700, and when they already exist they must be the current
// user's and closed to others: a directory planted under a shared
// $TMPDIR is refused, never adopted.
//
//	f, err := safefs.CreateNew("/tmp/creds.txt") // O_EXCL|O_NOFOLLOW, 0600
//	dir, err := safefs.PrivateDir(os.TempDir(), "baton-1000", "s3")
package safefs

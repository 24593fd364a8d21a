// Package remote keeps a sync file in object storage: --file
// s3://bucket/key for a connector's runner and `baton sync`, and
// `baton -f s3://bucket/key` to read one.
//
// A sync never writes to the bucket directly. It works on a local copy
// in a cache directory (so an interrupted sync resumes from local
// state), and the finished file is uploaded once, with the standard AWS
// credential and region chain (environment, shared config and profile,
// web identity, IMDS), multipart for large files, optional server-side
// encryption, and any S3-compatible endpoint (--s3-endpoint, path-style
// addressing). An upload that fails keeps the local file, says where it
// is, and marks it: the next run uploads it before syncing again.
//
//	f, err := remote.Open(ctx, "s3://acme-baton/okta.c1z", remote.Options{})
//	err = f.Sync(ctx, func(local string) error { return runner.SyncToFile(ctx, client, local, log) })
//
// Credentials go only to the configured endpoint, and are never logged.
package remote

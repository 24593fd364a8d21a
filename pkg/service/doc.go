// Package service runs a connector in service mode: next to its app, as a
// worker of a ConductorOne control plane, over Baton's wire
// (c1.connectorapi.baton.v1.BatonService), so a batonkit connector can take
// the place of a Baton one.
//
// The worker authenticates as the client ConductorOne issued: the client
// id (name@tenant-host/path) names the tenant, the v1 client secret holds
// an Ed25519 key. Each access token is bought at https://HOST/auth/v1/token
// with a fresh client assertion (an EdDSA-signed JWT whose issuer and
// subject are the client id and whose audience is the tenant host, with a
// random nonce), and rides on every RPC as a bearer token over TLS; the
// token endpoint is never followed elsewhere by a redirect.
//
// Run says hello (build, OS and connector metadata), then polls GetTasks
// as often as next_poll allows, runs up to Options.Concurrency tasks at
// once (sync tasks one at a time), heartbeats each running task at the
// next_heartbeat pace (a sync task at once, then at that pace), stops a
// task the control plane cancels (without finishing it, as Baton's client
// does), refuses tasks that would change the app
// unless Options.Provisioning (as Baton's service mode does), and
// finishes each with its connector response or a gRPC status. A sync task
// is written to a file of its own in Options.Dir, uploaded with
// UploadAsset (started over if the stream breaks) and removed; when the
// process shuts down mid-sync the task is left unfinished, and the file
// resumes when the control plane offers the task again. With
// Options.KeepSyncs the last files uploaded stay in Dir, and compact_syncs
// and create_sync_diff tasks (which Baton's worker does not run) work on
// them: the control plane names a file by its base name (sync-<task
// id>.c1z, compacted-<sync id>.c1z), the result is uploaded. Calls that fail
// because the control plane is away are retried with backoff.
//
// Outcomes follow Baton's worker: a connector's status is passed on, a
// change task's failure is final (non_retryable), a task missing what its
// type needs finishes Unknown and final, a cancelled task gets no finish.
// One difference is deliberate: a task type this worker does not know
// finishes Unimplemented and final, where Baton's finishes Unknown and
// retryable, which would have the control plane offer it again for
// nothing.
//
// Most programs reach this through the runner: a connector built with
// pkg/runner enters service mode when started with --client-id and
// BATON_CLIENT_SECRET.
package service

package service

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	"github.com/batonkit/batonkit/pkg/c1z"
	bsync "github.com/batonkit/batonkit/pkg/sync"
)

// chunkSize is how much of an asset one upload message carries (the
// contract allows up to 1 MiB).
const chunkSize = 512 << 10

// uploadBudget bounds how long an upload keeps starting over while the
// control plane is away.
const uploadBudget = 5 * time.Minute

// SyncPath is where the sync of a task is written while it runs: one file
// per task, so a sync stopped by a shutdown resumes when the control plane
// offers the task again.
func SyncPath(dir, taskID string) string {
	return filepath.Join(dir, "sync-"+taskID+".c1z")
}

// syncTask syncs the connector into the task's file, uploads it and
// removes it. Sync tasks take turns: two syncs of one connector at once
// would only compete for the same app.
func (w *Worker) syncTask(ctx context.Context, t *batonv1.Task, log *slog.Logger) error {
	release, err := w.takeTurn(ctx)
	if err != nil {
		return err
	}
	defer release()
	if !isKSUID(t.GetId()) {
		return malformed("sync task id " + t.GetId() + " is not a KSUID")
	}
	path := SyncPath(w.opts.Dir, t.GetId())
	res, err := w.syncInto(ctx, path, t.GetSyncFull(), log)
	if err != nil {
		if errors.Is(err, bsync.ErrInterrupted) && context.Cause(ctx) == context.Canceled {
			return w.stopped(ctx, errLeft)
		}
		// A cancelled or failed task is not resumed: the next sync task
		// starts afresh.
		removeFile(path, log)
		return w.stopped(ctx, err)
	}
	defer w.keepOrRemove(path, log)
	log.Info("sync done; uploading", "sync_id", res.SyncID, "resources", res.Stats.Resources, "grants", res.Stats.Grants, "resumed", res.Resumed)
	if err := w.upload(ctx, t, path, log); err != nil {
		return w.stopped(ctx, err)
	}
	return nil
}

// takeTurn waits for the tasks that work on files (syncs, compactions,
// diffs) to be done: two syncs of one connector at once would only
// compete for the same app, and a diff or compaction reads files a sync's
// upload may prune.
func (w *Worker) takeTurn(ctx context.Context) (release func(), err error) {
	select {
	case w.syncSlot <- struct{}{}:
		return func() { <-w.syncSlot }, nil
	case <-ctx.Done():
		return nil, w.stopped(ctx, errLeft)
	}
}

// stopped prefers the reason the task's context ended over the error it
// ended with.
func (w *Worker) stopped(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
		return cause
	}
	return err
}

func (w *Worker) syncInto(ctx context.Context, path string, task *batonv1.Task_SyncFullTask, log *slog.Logger) (bsync.Result, error) {
	opts := append([]bsync.Option{bsync.WithLogger(log)}, w.opts.SyncOptions...)
	if task.GetSkipExpandGrants() {
		opts = append(opts, bsync.WithoutExpansion())
	}
	if task.GetSkipEntitlementsAndGrants() {
		opts = append(opts, bsync.WithResourcesOnly())
	}
	if task.GetSkipGrants() {
		opts = append(opts, bsync.WithSkipGrants())
	}
	if ids := task.GetSyncResourceTypeIds(); len(ids) > 0 {
		opts = append(opts, bsync.WithResourceTypes(ids...))
	}
	var targets []*connectorv2.ResourceId
	for _, r := range task.GetTargetedSyncResources() {
		if r.GetId() != nil {
			targets = append(targets, r.GetId())
		}
	}
	if len(targets) > 0 {
		opts = append(opts, bsync.WithTargets(targets...))
	}
	st, err := c1z.Open(ctx, path, c1z.WithLogger(log))
	if err != nil {
		return bsync.Result{}, err
	}
	res, err := bsync.New(w.client, st, opts...).Run(ctx)
	closeErr := st.Close(context.WithoutCancel(ctx))
	return res, errors.Join(err, closeErr)
}

// upload streams the file to the control plane, starting over when the
// stream breaks (the control plane keeps only an upload that reached its
// checksum, so a retry never doubles it).
func (w *Worker) upload(ctx context.Context, t *batonv1.Task, path string, log *slog.Logger) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open the sync to upload: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("read the sync to upload: %w", err)
	}
	sum := h.Sum(nil)
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err = w.uploadOnce(ctx, t, f, sum)
		if err == nil {
			log.Info("sync uploaded", "bytes", size, "duration", time.Since(start).Round(time.Millisecond), "attempts", attempt)
			return nil
		}
		if time.Since(start) > uploadBudget || !transient(err) || ctx.Err() != nil {
			return fmt.Errorf("upload the sync (%d bytes, %d attempts): %w", size, attempt, err)
		}
		wait := w.backoff(attempt)
		log.Warn("upload failed; starting over", "error", err, "attempt", attempt, "retry_in", wait)
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

func (w *Worker) uploadOnce(ctx context.Context, t *batonv1.Task, f *os.File, sum []byte) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream if it fails part-way
	// WaitForReady: a stream started while the connection is down waits
	// for it instead of failing at once.
	stream, err := w.api.UploadAsset(sctx, grpc.WaitForReady(true))
	if err != nil {
		return err
	}
	send := func(m *batonv1.BatonServiceUploadAssetRequest) error {
		if err := stream.Send(m); err != nil {
			// The stream's own error says why; Send only reports io.EOF.
			if _, rerr := stream.CloseAndRecv(); rerr != nil {
				return rerr
			}
			return err
		}
		return nil
	}
	meta := &batonv1.BatonServiceUploadAssetRequest_Metadata{Metadata: &batonv1.BatonServiceUploadAssetRequest_UploadMetadata{HostId: w.hostID, TaskId: t.GetId()}}
	if err := send(&batonv1.BatonServiceUploadAssetRequest{Msg: meta}); err != nil {
		return err
	}
	for {
		// A fresh chunk each time: a sent message must not change after.
		buf := make([]byte, chunkSize)
		n, err := io.ReadFull(f, buf)
		if n > 0 {
			data := &batonv1.BatonServiceUploadAssetRequest_Data{Data: &batonv1.BatonServiceUploadAssetRequest_UploadData{Data: buf[:n]}}
			if err := send(&batonv1.BatonServiceUploadAssetRequest{Msg: data}); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return status.Errorf(codes.Internal, "read the sync: %v", err)
		}
	}
	eof := &batonv1.BatonServiceUploadAssetRequest_Eof{Eof: &batonv1.BatonServiceUploadAssetRequest_UploadEOF{Sha256Checksum: sum}}
	if err := send(&batonv1.BatonServiceUploadAssetRequest{Msg: eof}); err != nil {
		return err
	}
	_, err = stream.CloseAndRecv()
	return err
}

func removeFile(path string, log *slog.Logger) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Warn("could not remove the task's sync file", "file", path, "error", err)
	}
}

package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/batonkit/batonkit/internal/safefs"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/compact"
)

// The file tasks work on the synced files the worker keeps in its
// directory (Options.KeepSyncs): the control plane names them by base
// name, never by a path, so a task cannot reach a file outside it.

// keptFile resolves a file a task names to a kept file of Dir.
func (w *Worker) keptFile(name string) (string, error) {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".c1z") {
		return "", final(status.Errorf(codes.InvalidArgument, "file %q: tasks name a sync file of the worker's directory by its base name", name))
	}
	path := filepath.Join(w.opts.Dir, name)
	fi, err := safefs.CheckFile(path)
	if err != nil {
		return "", final(status.Errorf(codes.FailedPrecondition, "file %q: %v", name, err))
	}
	if fi == nil {
		return "", final(status.Errorf(codes.NotFound, "file %q is not among the worker's kept syncs", name))
	}
	return path, nil
}

// keptFiles lists the kept sync files, newest first.
func (w *Worker) keptFiles() ([]string, error) {
	entries, err := os.ReadDir(w.opts.Dir)
	if err != nil {
		return nil, err
	}
	type kept struct {
		path string
		mod  int64
	}
	var files []kept
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".c1z") || (!strings.HasPrefix(name, "sync-") && !strings.HasPrefix(name, "compacted-")) {
			continue
		}
		fi, err := e.Info()
		if err != nil || !safefs.Mine(fi) {
			continue
		}
		files = append(files, kept{filepath.Join(w.opts.Dir, name), fi.ModTime().UnixNano()})
	}
	slices.SortFunc(files, func(a, b kept) int { return int(b.mod - a.mod) })
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.path
	}
	return out, nil
}

// keepOrRemove keeps an uploaded file when files are kept, removing the
// oldest beyond the number kept; else it removes the file.
func (w *Worker) keepOrRemove(path string, log *slog.Logger) {
	if w.opts.KeepSyncs <= 0 {
		removeFile(path, log)
		return
	}
	files, err := w.keptFiles()
	if err != nil {
		log.Warn("cannot list the kept sync files", "error", err)
		return
	}
	for _, old := range files[min(len(files), w.opts.KeepSyncs):] {
		removeFile(old, log)
	}
}

// fileTurn refuses file tasks when no files are kept, else waits for the
// other tasks that work on files (takeTurn).
func (w *Worker) fileTurn(ctx context.Context) (release func(), err error) {
	if w.opts.KeepSyncs <= 0 {
		return nil, final(status.Error(codes.FailedPrecondition, "this worker keeps no sync files (start it with --service-keep-syncs) to compact or diff"))
	}
	return w.takeTurn(ctx)
}

// compactTask folds the named syncs into compacted-<sync id>.c1z and
// uploads it.
func (w *Worker) compactTask(ctx context.Context, t *batonv1.Task, log *slog.Logger) error {
	release, err := w.fileTurn(ctx)
	if err != nil {
		return err
	}
	defer release()
	var inputs []compact.Input
	for _, cs := range t.GetCompactSyncs().GetCompactableSyncs() {
		path, err := w.keptFile(cs.GetFilePath())
		if err != nil {
			return err
		}
		if cs.GetSyncId() == "" {
			return final(status.Errorf(codes.InvalidArgument, "file %q: no sync id", cs.GetFilePath()))
		}
		inputs = append(inputs, compact.Input{Path: path, SyncID: cs.GetSyncId()})
	}
	if len(inputs) == 0 {
		return final(status.Error(codes.InvalidArgument, "compact_syncs names no syncs"))
	}
	res, err := compact.IntoDir(ctx, w.opts.Dir, inputs, compact.Options{Logger: log})
	if errors.Is(err, c1z.ErrNoSync) {
		return final(status.Error(codes.NotFound, err.Error()))
	}
	if err != nil {
		return err
	}
	defer w.keepOrRemove(res.Path, log)
	log.Info("syncs compacted; uploading", "file", filepath.Base(res.Path), "sync_id", res.SyncID, "type", res.Type, "expanded_again", res.Expanded)
	return w.upload(ctx, t, res.Path, log)
}

// diffTask writes the diff of two kept syncs into the file of the newer
// one and uploads that file.
func (w *Worker) diffTask(ctx context.Context, t *batonv1.Task, log *slog.Logger) error {
	release, err := w.fileTurn(ctx)
	if err != nil {
		return err
	}
	defer release()
	d := t.GetCreateSyncDiff()
	baseID, newID := d.GetBaseSyncId(), d.GetNewSyncId()
	if baseID == "" || newID == "" {
		return final(status.Error(codes.InvalidArgument, "create_sync_diff needs base_sync_id and new_sync_id"))
	}
	basePath, err := w.findSync(ctx, baseID)
	if err != nil {
		return err
	}
	newPath, err := w.findSync(ctx, newID)
	if err != nil {
		return err
	}
	st, err := c1z.Open(ctx, newPath, c1z.WithLogger(log))
	if err != nil {
		return err
	}
	base := st.Reader
	if basePath != newPath {
		if base, err = c1z.OpenReader(ctx, basePath, c1z.WithLogger(log)); err != nil {
			st.Close(ctx)
			return err
		}
		defer base.Close(ctx)
	}
	diff, err := st.WriteSyncDiff(ctx, base, baseID, newID)
	if cerr := st.Close(context.WithoutCancel(ctx)); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	log.Info("sync diff written; uploading", "file", filepath.Base(newPath), "upserts_sync_id", diff.Upserts, "deletions_sync_id", diff.Deletions)
	return w.upload(ctx, t, newPath, log)
}

// findSync is the kept file holding sync id.
func (w *Worker) findSync(ctx context.Context, id string) (string, error) {
	files, err := w.keptFiles()
	if err != nil {
		return "", err
	}
	for _, path := range files {
		st, err := c1z.OpenReader(ctx, path)
		if err != nil {
			continue
		}
		_, err = st.SyncRun(ctx, id)
		st.Close(ctx)
		if err == nil {
			return path, nil
		}
	}
	return "", final(status.Error(codes.NotFound, fmt.Sprintf("no kept sync file holds sync %s", id)))
}

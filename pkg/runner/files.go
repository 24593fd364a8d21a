package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/compact"
	"github.com/batonkit/batonkit/pkg/sync"
)

// fileOps runs --diff-syncs or --compact-syncs: operations on sync files
// that need no connector, so none is built.
func (e *environment) fileOps(ctx context.Context) error {
	if e.cfg.Bool("diff-syncs") {
		return e.diffSyncs(ctx)
	}
	return e.compactSyncs(ctx)
}

// diffSyncs records in --file how --applied-sync-id differs from
// --base-sync-id, both syncs of that file.
func (e *environment) diffSyncs(ctx context.Context) error {
	base, applied := e.cfg.String("base-sync-id"), e.cfg.String("applied-sync-id")
	if base == "" || applied == "" {
		return usageErr{errors.New("--diff-syncs needs --base-sync-id and --applied-sync-id")}
	}
	path, err := e.localFile(ctx)
	if err != nil {
		return err
	}
	st, err := c1z.Open(ctx, path, c1z.WithLogger(e.log))
	if err != nil {
		return err
	}
	d, err := st.WriteSyncDiff(ctx, st.Reader, base, applied)
	if cerr := st.Close(context.WithoutCancel(ctx)); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	e.log.Info("sync diff written", "file", path, "upserts_sync_id", d.Upserts, "deletions_sync_id", d.Deletions, "base_sync_id", base, "applied_sync_id", applied)
	fmt.Fprintf(e.io.Out, "partial_upserts %s\npartial_deletions %s\n", d.Upserts, d.Deletions)
	return nil
}

// compactSyncs folds --compact-file-paths into compacted-<sync id>.c1z in
// --compact-output-path.
func (e *environment) compactSyncs(ctx context.Context) error {
	paths, ids := e.cfg.StringList("compact-file-paths"), e.cfg.StringList("compact-sync-ids")
	if len(paths) == 0 {
		return usageErr{errors.New("--compact-syncs needs --compact-file-paths")}
	}
	var inputs []compact.Input
	switch {
	case len(ids) > 0:
		if len(ids) != len(paths) {
			return usageErr{fmt.Errorf("--compact-sync-ids names one sync per file: %d ids for %d files", len(ids), len(paths))}
		}
		for i, p := range paths {
			inputs = append(inputs, compact.Input{Path: p, SyncID: ids[i]})
		}
	default:
		var err error
		if inputs, err = compact.Select(ctx, paths...); err != nil {
			return err
		}
	}
	dir := e.cfg.String("compact-output-path")
	if dir == "" {
		dir = "."
	}
	res, err := compact.IntoDir(ctx, dir, inputs, compact.Options{Logger: e.log})
	if err != nil {
		return err
	}
	e.log.Info("syncs compacted", "file", res.Path, "sync_id", res.SyncID, "type", res.Type, "syncs", len(res.Applied), "expanded_again", res.Expanded)
	fmt.Fprintln(e.io.Out, res.Path)
	return nil
}

// external is --external-resource-c1z and the flags beside it, or nil.
func (e *environment) external() (*sync.External, error) {
	path := e.cfg.String("external-resource-c1z")
	if path == "" {
		if e.cfg.String("external-resource-entitlement-id-filter") != "" || len(e.cfg.StringList("external-resource-traits")) > 0 {
			return nil, usageErr{errors.New("--external-resource-entitlement-id-filter and --external-resource-traits need --external-resource-c1z")}
		}
		return nil, nil
	}
	ext := &sync.External{Path: path, EntitlementID: e.cfg.String("external-resource-entitlement-id-filter")}
	for _, name := range e.cfg.StringList("external-resource-traits") {
		tr, ok := ParseTrait(name)
		if !ok {
			return nil, usageErr{fmt.Errorf("--external-resource-traits %q: want user, group, role, app or secret", name)}
		}
		ext.Traits = append(ext.Traits, tr)
	}
	return ext, nil
}

// ParseTrait reads a resource type trait as Baton's flags name it: user,
// group, role, app, secret (any case, TRAIT_ prefix optional).
func ParseTrait(name string) (connectorv2.ResourceType_Trait, bool) {
	v, ok := connectorv2.ResourceType_Trait_value["TRAIT_"+strings.TrimPrefix(strings.ToUpper(name), "TRAIT_")]
	if !ok || v == 0 {
		return 0, false
	}
	return connectorv2.ResourceType_Trait(v), true
}

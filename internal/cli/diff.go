package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	batonv1 "github.com/batonkit/batonkit/pb/baton/v1"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/remote"
)

// errChanges is what `diff --exit-code` returns when there are changes.
var errChanges = errors.New("the syncs differ")

func newDiffCmd(g *globals) *cobra.Command {
	var base, applied, recorded string
	var exitCode, record bool
	cmd := &cobra.Command{
		Use:   "diff [OLD.c1z NEW.c1z]",
		Short: "Show what changed between two syncs, of one file or of two",
		Long: "diff compares two syncs: by default the two latest finished full syncs of -f;\n" +
			"given two files, the latest finished full sync of each (--base and --applied\n" +
			"pick others, from the first and second file). Objects are matched by id;\n" +
			"\"modified\" means present in both with different contents, and FIELDS names\n" +
			"what differs (annotations by type and field: annotations.UserTrait.status).\n\n" +
			"With --exit-code, diff exits 9 when there are changes and 0 when there are\n" +
			"none, so a script can tell them apart.\n\n" +
			"--record writes the diff into -f as Baton's partial_upserts and partial_deletions\n" +
			"syncs (what a connector's --diff-syncs does) and prints their ids; --recorded ID\n" +
			"shows a diff the file holds (`baton syncs` lists them).",
		Example: "  baton diff\n  baton diff yesterday.c1z today.c1z --exit-code\n  baton diff --base 2aXc... --applied 2aXd... -o json\n  baton diff --base 2aXc... --applied 2aXd... --record\n  baton diff --recorded 2aXe...",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 0 && len(args) != 2 {
				return usagef("diff takes no file (it reads -f) or two files, OLD and NEW; got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var changes int
			var err error
			if len(args) == 2 {
				if record || recorded != "" {
					return usagef("--record and --recorded work on the syncs of one file (-f), not two files")
				}
				changes, err = g.diffFiles(cmd.Context(), args[0], args[1], base, applied)
			} else {
				if (base == "") != (applied == "") {
					return usagef("--base and --applied go together when diffing two syncs of one file")
				}
				if recorded != "" && (base != "" || record) {
					return usagef("--recorded shows a diff the file holds; it takes no --base, --applied or --record")
				}
				if record {
					return g.recordDiff(cmd.Context(), base, applied)
				}
				err = g.withFile(cmd, func(ctx context.Context, st *c1z.Reader) error {
					if recorded != "" {
						changes, err = g.printDiff(st.CompareRecorded(ctx, recorded))
						return err
					}
					if base == "" {
						var err error
						if base, applied, err = st.LatestTwoFullSyncs(ctx); err != nil {
							return err
						}
					}
					changes, err = g.printDiff(st.Compare(ctx, base, st, applied))
					return err
				})
			}
			if err == nil && exitCode && changes > 0 {
				return errChanges
			}
			return err
		},
	}
	cmd.Flags().StringVar(&base, "base", "", "the older sync id")
	cmd.Flags().StringVar(&applied, "applied", "", "the newer sync id")
	cmd.Flags().BoolVar(&record, "record", false, "write the diff into -f as Baton's partial_upserts and partial_deletions syncs")
	cmd.Flags().StringVar(&recorded, "recorded", "", "show the sync diff recorded in -f (by --diff-syncs or a create_sync_diff task): the id of either of its two syncs")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 9 when there are changes (0 when there are none)")
	return cmd
}

// recordDiff writes the diff of two syncs of -f (default: its two latest
// full ones) into it.
func (g *globals) recordDiff(ctx context.Context, base, applied string) error {
	if remote.IsURL(g.file) {
		return usagef("--record writes into a local file; sync the s3:// file down first")
	}
	if _, err := os.Stat(g.file); err != nil {
		return fmt.Errorf("%s: %w", g.file, err)
	}
	st, err := c1z.Open(ctx, g.file)
	if err != nil {
		return err
	}
	if base == "" {
		if base, applied, err = st.LatestTwoFullSyncs(ctx); err != nil {
			st.Close(ctx)
			return err
		}
	}
	d, err := st.WriteSyncDiff(ctx, st.Reader, base, applied)
	if cerr := st.Close(context.WithoutCancel(ctx)); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(g.stdout, "partial_upserts %s\npartial_deletions %s\n", d.Upserts, d.Deletions)
	return err
}

// diffFiles compares a sync of oldPath with one of newPath.
func (g *globals) diffFiles(ctx context.Context, oldPath, newPath, base, applied string) (int, error) {
	older, err := g.openPath(ctx, oldPath)
	if err != nil {
		return 0, err
	}
	defer older.Close(ctx)
	newer, err := g.openPath(ctx, newPath)
	if err != nil {
		return 0, err
	}
	defer newer.Close(ctx)
	pick := func(st *c1z.Reader, id string) (string, error) {
		if id != "" {
			_, err := st.SyncRun(ctx, id)
			return id, err
		}
		run, err := st.DefaultSync(ctx)
		return run.ID, err
	}
	if base, err = pick(older, base); err != nil {
		return 0, fmt.Errorf("%s: %w", oldPath, err)
	}
	if applied, err = pick(newer, applied); err != nil {
		return 0, fmt.Errorf("%s: %w", newPath, err)
	}
	return g.printDiff(older.Compare(ctx, base, newer, applied))
}

// printDiff prints the differences and returns how many there are.
func (g *globals) printDiff(diffs iter.Seq2[c1z.Difference, error]) (int, error) {
	if g.json() {
		return diffJSON(g, diffs)
	}
	n := 0
	t := g.listing("no changes", "CHANGE", "KIND", "ID", "DISPLAY NAME", "FIELDS")
	for d, err := range diffs {
		if err != nil {
			return n, err
		}
		n++
		kind, id, name := describe(d.Object)
		t.row(d.Change.String(), kind, id, name, strings.Join(d.Fields, ","))
	}
	return n, t.close()
}

func describe(m proto.Message) (kind, id, name string) {
	switch o := m.(type) {
	case *connectorv2.Resource:
		return "resource", rid(o.GetId()), o.GetDisplayName()
	case *connectorv2.Entitlement:
		return "entitlement", o.GetId(), o.GetDisplayName()
	case *connectorv2.Grant:
		return "grant", o.GetId(), ""
	}
	return "object", "", ""
}

// diffJSON prints Baton's baton.v1 C1ZDiffOutput, with one key more:
// modifiedFields maps each modified object's id to the fields that
// changed ("resource:" + type:id for resources, as ids of different kinds
// may coincide). Differences are usually few, so they are gathered first.
func diffJSON(g *globals, diffs iter.Seq2[c1z.Difference, error]) (int, error) {
	out := &batonv1.C1ZDiffOutput{Resources: &batonv1.ResourceDiff{}, Entitlements: &batonv1.EntitlementDiff{}, Grants: &batonv1.GrantDiff{}}
	fields := map[string][]string{}
	n := 0
	for d, err := range diffs {
		if err != nil {
			return n, err
		}
		n++
		kind, id, _ := describe(d.Object)
		if d.Change == c1z.Modified {
			fields[kind+":"+id] = d.Fields
		}
		switch m := d.Object.(type) {
		case *connectorv2.Resource:
			add(d.Change, m, &out.Resources.Created, &out.Resources.Deleted, &out.Resources.Modified)
		case *connectorv2.Entitlement:
			add(d.Change, m, &out.Entitlements.Created, &out.Entitlements.Deleted, &out.Entitlements.Modified)
		case *connectorv2.Grant:
			add(d.Change, m, &out.Grants.Created, &out.Grants.Deleted, &out.Grants.Modified)
		}
	}
	b, err := protojson.Marshal(out)
	if err != nil {
		return n, err
	}
	doc := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &doc); err != nil {
		return n, err
	}
	if len(fields) > 0 {
		if doc["modifiedFields"], err = json.Marshal(fields); err != nil {
			return n, err
		}
	}
	b, err = json.Marshal(doc)
	if err != nil {
		return n, err
	}
	_, err = g.stdout.Write(append(b, '\n'))
	return n, err
}

func add[T any](c c1z.Change, m T, created, deleted, modified *[]T) {
	switch c {
	case c1z.Created:
		*created = append(*created, m)
	case c1z.Deleted:
		*deleted = append(*deleted, m)
	case c1z.Modified:
		*modified = append(*modified, m)
	}
}

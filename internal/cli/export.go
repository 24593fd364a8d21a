package cli

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/batonkit/batonkit/internal/atomicfile"
	"github.com/batonkit/batonkit/internal/safetext"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/fleet"
)

func newExportCmd(g *globals) *cobra.Command {
	var out string
	var rawCells bool
	cmd := &cobra.Command{
		Use:   "export csv|json|c1z|parquet",
		Short: "Export a sync as CSV (grants, for auditors), JSON (everything), a c1z of its own or Parquet tables",
		Example: "  baton export csv --out access.csv\n  baton export json > sync.json\n" +
			"  baton export c1z --sync-id 2aXc... --out snapshot.c1z\n  baton export parquet --out tables/   # docs/parquet.md; many files: baton fleet export",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"csv", "json", "c1z", "parquet"},
		RunE: func(cmd *cobra.Command, args []string) error {
			format := args[0]
			switch format {
			case "csv", "json":
			case "c1z":
				if out == "" {
					return usagef("export c1z needs --out <new file>")
				}
			case "parquet":
				if out == "" {
					return usagef("export parquet needs --out <directory for the .parquet files>")
				}
				// The tables of one app are those of a fleet of one.
				return g.withFleet(cmd, fleetFlags{match: fleet.DefaultKeys}, []string{g.file},
					func(ctx context.Context, fl *fleet.Fleet) error { return fl.ExportParquet(ctx, out) })
			default:
				return usagef("unknown export format %q (want csv, json, c1z or parquet)", format)
			}
			return g.withStore(cmd, func(ctx context.Context, st *c1z.Reader, run c1z.SyncRun) error {
				if format == "c1z" {
					return st.Export(ctx, run.ID, out)
				}
				write := func(w io.Writer) error {
					if format == "csv" {
						return exportCSV(ctx, st, run.ID, w, !rawCells)
					}
					return exportJSON(ctx, st, run.ID, w)
				}
				if out == "" || out == "-" {
					if !onTerminal(g.stdout) {
						return write(g.stdout)
					}
					// Read on a terminal, not by a program: names from the
					// file are shown escaped, as every other command does.
					lw := &safetext.LineWriter{W: g.stdout}
					return errors.Join(write(lw), lw.Flush())
				}
				return atomicfile.Write(out, write)
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write to this file (a new one is private, mode 0600; an existing one keeps its mode) instead of standard output")
	cmd.Flags().BoolVar(&rawCells, "csv-raw", false, "write CSV cells as stored, without neutralizing those a spreadsheet would run as formulas")
	return cmd
}

// exportCSV writes one row per grant with everything an auditor needs to
// read it without the other tables.
// With safe set, a cell a spreadsheet would take for a formula (it starts
// with =, +, -, @, a tab or a carriage return) is prefixed with a quote.
func exportCSV(ctx context.Context, st *c1z.Reader, syncID string, w io.Writer, safe bool) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"resource_type", "resource_id", "resource_name", "entitlement_id", "entitlement_name",
		"principal_type", "principal_id", "principal_name", "grant_id", "sources"})
	for v, err := range st.GrantViews(ctx, c1z.GrantQuery{SyncID: syncID}) {
		if err != nil {
			return err
		}
		gr := v.Grant
		ent, res, p := v.Entitlement, v.Resource, v.Principal
		var srcs []string
		for id := range gr.GetSources().GetSources() {
			srcs = append(srcs, id)
		}
		rec := []string{
			gr.GetEntitlement().GetResource().GetId().GetResourceType(), gr.GetEntitlement().GetResource().GetId().GetResource(), res.GetDisplayName(),
			gr.GetEntitlement().GetId(), ent.GetDisplayName(),
			gr.GetPrincipal().GetId().GetResourceType(), gr.GetPrincipal().GetId().GetResource(), p.GetDisplayName(),
			gr.GetId(), strings.Join(sorted(srcs), ";"),
		}
		if safe {
			for i, c := range rec {
				rec[i] = neutralize(c)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// neutralize keeps a spreadsheet from running a cell as a formula.
func neutralize(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// exportJSON writes one document with every object of the sync, streamed.
// Every value goes through an encoder: nothing from the file is pasted
// into the document as text.
func exportJSON(ctx context.Context, st *c1z.Reader, syncID string, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	id, err := json.Marshal(syncID)
	if err != nil {
		return err
	}
	bw.WriteString(`{"syncId":`)
	bw.Write(id)
	err = jsonSection(bw, "resourceTypes", st.ResourceTypes(ctx, syncID))
	if err == nil {
		err = jsonSection(bw, "resources", st.Resources(ctx, c1z.ResourceQuery{SyncID: syncID}))
	}
	if err == nil {
		err = jsonSection(bw, "entitlements", st.Entitlements(ctx, c1z.EntitlementQuery{SyncID: syncID}))
	}
	if err == nil {
		err = jsonSection(bw, "grants", named(st.GrantViews(ctx, c1z.GrantQuery{SyncID: syncID})))
	}
	if err != nil {
		return err
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// named gives each grant the display names of its principal, entitlement
// and resource, as stored in the sync, so one jq filter over the grants
// answers "who can insert into sales.orders" without joining sections.
// The grant keeps Baton's shape: its principal and entitlement are the
// same messages, with their names filled in.
func named(views iter.Seq2[c1z.GrantView, error]) iter.Seq2[*connectorv2.Grant, error] {
	return func(yield func(*connectorv2.Grant, error) bool) {
		for v, err := range views {
			if err != nil {
				yield(nil, err)
				return
			}
			g := proto.CloneOf(v.Grant)
			if p := g.GetPrincipal(); p != nil && p.GetDisplayName() == "" && v.Principal != nil {
				p.DisplayName = v.Principal.GetDisplayName()
			}
			if e := g.GetEntitlement(); e != nil {
				if v.Entitlement != nil {
					e.DisplayName = cmp.Or(e.GetDisplayName(), v.Entitlement.GetDisplayName())
					e.Slug = cmp.Or(e.GetSlug(), v.Entitlement.GetSlug())
				}
				if r := e.GetResource(); r != nil && r.GetDisplayName() == "" && v.Resource != nil {
					r.DisplayName = v.Resource.GetDisplayName()
				}
			}
			if !yield(g, nil) {
				return
			}
		}
	}
}

// jsonSection writes `,"key":[item,...]` from a stream of messages.
func jsonSection[T proto.Message](bw *bufio.Writer, key string, seq iter.Seq2[T, error]) error {
	bw.WriteString(`,"` + key + `":[`)
	n := 0
	for m, err := range seq {
		if err != nil {
			return err
		}
		b, err := protojson.Marshal(m)
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		bw.Write(b)
	}
	bw.WriteString("]")
	return nil
}

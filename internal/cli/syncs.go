package cli

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	batonv1 "github.com/batonkit/batonkit/pb/baton/v1"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func syncOutput(r c1z.SyncRun) *batonv1.SyncOutput {
	out := &batonv1.SyncOutput{Id: r.ID, StartedAt: timestamppb.New(r.StartedAt), SyncToken: r.Token, SyncType: string(r.Type), ParentSyncId: r.ParentID}
	if r.Finished() {
		out.EndedAt = timestamppb.New(r.EndedAt)
	}
	return out
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func newSyncsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "syncs",
		Short:   "List the syncs stored in the file",
		Example: "  baton syncs\n  baton syncs -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withFile(cmd, func(ctx context.Context, st *c1z.Reader) error { return g.printSyncs(ctx, st) })
		},
	}
}

func (g *globals) printSyncs(ctx context.Context, st *c1z.Reader) error {
	runs, err := st.Syncs(ctx)
	if err != nil {
		return err
	}
	if g.json() {
		l := newJSONList(g.stdout, "syncs")
		for _, r := range runs {
			if err := l.add(syncOutput(r)); err != nil {
				return err
			}
		}
		return l.close()
	}
	t := g.listing("no sync matched", "ID", "TYPE", "STARTED", "ENDED", "PARENT")
	for _, r := range runs {
		t.row(r.ID, string(r.Type), fmtTime(r.StartedAt), fmtTime(r.EndedAt), r.ParentID)
	}
	return t.close()
}

// statsOutput is the JSON shape Baton's `baton stats` prints: a sync run
// with its counts (int64 as strings, the protojson convention).
type statsOutput struct {
	ID           string      `json:"id"`
	StartedAt    string      `json:"startedAt,omitempty"`
	EndedAt      string      `json:"endedAt,omitempty"`
	SyncToken    string      `json:"syncToken,omitempty"`
	SyncType     string      `json:"syncType,omitempty"`
	ParentSyncID string      `json:"parentSyncId,omitempty"`
	Stats        statsCounts `json:"stats"`
}

type statsCounts struct {
	ResourceTypes              int64               `json:"resourceTypes,string,omitempty"`
	Resources                  int64               `json:"resources,string,omitempty"`
	Entitlements               int64               `json:"entitlements,string,omitempty"`
	Grants                     int64               `json:"grants,string,omitempty"`
	ResourcesByResourceType    map[string]string   `json:"resourcesByResourceType,omitempty"`
	GrantsByResourceType       map[string]string   `json:"grantsByResourceType,omitempty"`
	EntitlementsByResourceType map[string]string   `json:"entitlementsByResourceType,omitempty"`
	Assets                     int64               `json:"assets,string,omitempty"`
	StepDurationsMs            map[string]string   `json:"stepDurationsMs,omitempty"`
	ConnectorCallStats         map[string]callStat `json:"connectorCallStats,omitempty"`
}

// callStat is c1.storage.v3.CallStat in protojson form.
type callStat struct {
	Count    int64 `json:"count,string,omitempty"`
	TotalMs  int64 `json:"totalMs,string,omitempty"`
	MaxMs    int64 `json:"maxMs,string,omitempty"`
	Errors   int64 `json:"errors,string,omitempty"`
	Timeouts int64 `json:"timeouts,string,omitempty"`
}

// runStats adds what a v3 sync recorded about its run (time per phase,
// calls per method) to the counts.
func runStats(c *statsCounts, r c1z.SyncRun) {
	if r.Stats == nil {
		return
	}
	c.StepDurationsMs = strCounts(r.Stats.StepDurationsMs)
	for k, v := range r.Stats.ConnectorCallStats {
		if c.ConnectorCallStats == nil {
			c.ConnectorCallStats = map[string]callStat{}
		}
		c.ConnectorCallStats[k] = callStat(v)
	}
}

func strCounts(m map[string]int64) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = strconv.FormatInt(v, 10)
	}
	return out
}

func protoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

func newStatsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "stats",
		Short:   "Count the objects of a sync, by resource type",
		Example: "  baton stats\n  baton stats --sync-id 2aXc... -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withFile(cmd, func(ctx context.Context, st *c1z.Reader) error { return g.printStats(ctx, st) })
		},
	}
}

func (g *globals) printStats(ctx context.Context, st *c1z.Reader) error {
	var run c1z.SyncRun
	var err error
	if g.syncID != "" {
		run, err = st.SyncRun(ctx, g.syncID)
	} else {
		run, err = st.LatestFinishedSync(ctx, c1z.SyncFull)
	}
	if errors.Is(err, c1z.ErrNoSync) && g.syncID == "" {
		return errors.Join(errors.New("no finished sync found in the file (see `baton syncs`; pass --sync-id to count an unfinished one)"), err)
	}
	if err != nil {
		return err
	}
	s, err := st.Stats(ctx, run.ID)
	if err != nil {
		return err
	}
	if g.json() {
		out := statsOutput{ID: run.ID, StartedAt: protoTime(run.StartedAt), EndedAt: protoTime(run.EndedAt), SyncToken: run.Token,
			SyncType: string(run.Type), ParentSyncID: run.ParentID, Stats: statsCounts{
				ResourceTypes: s.ResourceTypes, Resources: s.Resources, Entitlements: s.Entitlements, Grants: s.Grants, Assets: s.Assets,
				ResourcesByResourceType: strCounts(s.ResourcesByType), GrantsByResourceType: strCounts(s.GrantsByType),
				EntitlementsByResourceType: strCounts(s.EntitlementsByType)}}
		runStats(&out.Stats, run)
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		_, err = g.stdout.Write(append(b, '\n'))
		return err
	}
	t := newTable(g.stdout, "RESOURCE TYPE", "RESOURCES", "ENTITLEMENTS", "GRANTS")
	// Every type of the sync has a row, zero or not: a type that synced
	// nothing is worth seeing.
	types := map[string]bool{}
	for rt, err := range st.ResourceTypes(ctx, run.ID) {
		if err != nil {
			return err
		}
		types[rt.GetId()] = true
	}
	for _, m := range []map[string]int64{s.ResourcesByType, s.EntitlementsByType, s.GrantsByType} {
		for k := range maps.Keys(m) {
			types[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(types)) {
		t.row(k, strconv.FormatInt(s.ResourcesByType[k], 10), strconv.FormatInt(s.EntitlementsByType[k], 10), strconv.FormatInt(s.GrantsByType[k], 10))
	}
	t.row("total", strconv.FormatInt(s.Resources, 10), strconv.FormatInt(s.Entitlements, 10), strconv.FormatInt(s.Grants, 10))
	if err := t.close(); err != nil {
		return err
	}
	_, err = g.stdout.Write([]byte("sync " + run.ID + " (" + string(run.Type) + "), " + strconv.FormatInt(s.ResourceTypes, 10) + " resource types\n"))
	return err
}

package c1z

import (
	"context"
	"fmt"
)

// Stats counts the objects of one sync. Its JSON form is what Baton stores
// in v1_sync_runs.stats.
type Stats struct {
	ResourceTypes      int64            `json:"resource_types"`
	Resources          int64            `json:"resources"`
	Entitlements       int64            `json:"entitlements"`
	Grants             int64            `json:"grants"`
	ResourcesByType    map[string]int64 `json:"resources_by_resource_type,omitempty"`
	GrantsByType       map[string]int64 `json:"grants_by_resource_type,omitempty"`
	EntitlementsByType map[string]int64 `json:"entitlements_by_resource_type,omitempty"`
	Assets             int64            `json:"assets,omitempty"`
	// StepDurationsMs and ConnectorCallStats are what Baton's v3 syncer
	// records about a run (time per phase, calls per method); read from
	// v3 files, kept when converted.
	StepDurationsMs    map[string]int64    `json:"step_durations_ms,omitempty"`
	ConnectorCallStats map[string]CallStat `json:"connector_call_stats,omitempty"`
	// Unhandled is batonkit's own addition: protocol features the syncer
	// did not act on, by name (readers of Baton's shape ignore it).
	Unhandled map[string]int64 `json:"unhandled_protocol_features,omitempty"`
	// Dropped is batonkit's too: objects the connector sent that failed
	// the contract's rules and were not stored, by kind.
	Dropped map[string]int64 `json:"dropped_invalid_objects,omitempty"`
	// External is batonkit's too: principals copied from an external
	// sync file and grants matched against them, or not.
	External map[string]int64 `json:"external_principals,omitempty"`
}

// CallStat counts a connector's calls of one kind.
type CallStat struct {
	Count    int64 `json:"count,omitempty"`
	TotalMs  int64 `json:"total_ms,omitempty"`
	MaxMs    int64 `json:"max_ms,omitempty"`
	Errors   int64 `json:"errors,omitempty"`
	Timeouts int64 `json:"timeouts,omitempty"`
}

// Stats counts the objects of a sync (syncID empty: the default sync).
// Grants and entitlements are counted by the type of the resource they are
// on.
func (rd *Reader) Stats(ctx context.Context, syncID string) (Stats, error) {
	s := rd.s
	v3, id, err := s.direct(ctx, syncID)
	if err != nil {
		return Stats{}, err
	}
	if v3 != nil {
		if id != v3.run.ID {
			return Stats{}, nil
		}
		return v3.stats()
	}
	if id, err = s.resolveSync(ctx, syncID); err != nil {
		return Stats{}, err
	}
	var st Stats
	if err := s.db.QueryRowContext(ctx, "select count(*) from v1_resource_types where sync_id = ?", id).Scan(&st.ResourceTypes); err != nil {
		return st, s.readErr(tResourceTypes, err)
	}
	for _, c := range []struct {
		table string
		total *int64
		by    *map[string]int64
	}{
		{tResources, &st.Resources, &st.ResourcesByType},
		{tEntitlements, &st.Entitlements, &st.EntitlementsByType},
		{tGrants, &st.Grants, &st.GrantsByType},
	} {
		rows, err := s.db.QueryContext(ctx, fmt.Sprintf("select resource_type_id, count(*) from %s where sync_id = ? group by resource_type_id", c.table), id)
		if err != nil {
			return st, s.readErr(c.table, err)
		}
		for rows.Next() {
			var rt string
			var n int64
			if err := rows.Scan(&rt, &n); err != nil {
				rows.Close()
				return st, s.readErr(c.table, err)
			}
			if *c.by == nil {
				*c.by = map[string]int64{}
			}
			(*c.by)[rt] = n
			*c.total += n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return st, s.readErr(c.table, err)
		}
	}
	if s.schema.hasAssets {
		if err := s.db.QueryRowContext(ctx, "select count(*) from v1_assets where sync_id = ?", id).Scan(&st.Assets); err != nil {
			return st, s.readErr(tAssets, err)
		}
	}
	return st, nil
}

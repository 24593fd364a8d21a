package c1z_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

// fixtureDir holds the sync files written by Baton's own tools, with the
// upstream CLI's JSON for each (see its README).
func fixtureDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "fixtures", "upstream")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("upstream fixtures not found at %s (../shared missing): %v", dir, err)
	}
	return dir
}

var v1Fixtures = []string{"demo-v1", "demo-v1-sdk0251", "demo-v1-two-syncs", "harness-3k-v1", "unfinished-v1"}

func openFixture(t *testing.T, name string, opts ...c1z.Option) *c1z.Reader {
	t.Helper()
	s, err := c1z.OpenReader(context.Background(), filepath.Join(fixtureDir(t), name+".c1z"), append(opts, c1z.WithTempDir(t.TempDir()))...)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// expectedIDs reads an upstream JSON listing and returns one canonical
// string per object, so listings compare as multisets.
func expectedObjects(t *testing.T, name, command, listKey, objKey string, newMsg func() proto.Message) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir(t), "expected", name+"."+command+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s.%s.json: %v", name, command, err)
	}
	var out []string
	for _, item := range doc[listKey] {
		m := newMsg()
		if err := protojson.Unmarshal(item[objKey], m); err != nil {
			t.Fatalf("%s: %v", item[objKey], err)
		}
		out = append(out, canonical(t, m))
	}
	sort.Strings(out)
	return out
}

func canonical(t *testing.T, m proto.Message) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func collect[T proto.Message](t *testing.T, seq func(func(T, error) bool)) []string {
	t.Helper()
	var out []string
	for m, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, canonical(t, m))
	}
	sort.Strings(out)
	return out
}

func TestFixturesListLikeUpstream(t *testing.T) {
	ctx := context.Background()
	for _, name := range v1Fixtures {
		t.Run(name, func(t *testing.T) {
			s := openFixture(t, name)
			check := func(kind string, got, want []string) {
				t.Helper()
				if len(got) != len(want) {
					t.Fatalf("%s: %d objects, upstream lists %d", kind, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s: object %d differs from upstream", kind, i)
					}
				}
			}
			check("resource types", collect(t, s.ResourceTypes(ctx, "")),
				expectedObjects(t, name, "resource-types", "resourceTypes", "resourceType", func() proto.Message { return &connectorv2.ResourceType{} }))
			check("resources", collect(t, s.Resources(ctx, c1z.ResourceQuery{})),
				expectedObjects(t, name, "resources", "resources", "resource", func() proto.Message { return &connectorv2.Resource{} }))
			check("entitlements", collect(t, s.Entitlements(ctx, c1z.EntitlementQuery{})),
				expectedObjects(t, name, "entitlements", "entitlements", "entitlement", func() proto.Message { return &connectorv2.Entitlement{} }))
			check("grants", collect(t, s.Grants(ctx, c1z.GrantQuery{})),
				expectedObjects(t, name, "grants", "grants", "grant", func() proto.Message { return &connectorv2.Grant{} }))
		})
	}
}

func TestFixtureSyncsAndStats(t *testing.T) {
	ctx := context.Background()
	for _, name := range v1Fixtures {
		t.Run(name, func(t *testing.T) {
			s := openFixture(t, name)
			syncs, err := s.Syncs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(fixtureDir(t), "expected", name+".syncs.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want struct {
				Syncs []struct {
					ID        string `json:"id"`
					SyncToken string `json:"syncToken"`
					SyncType  string `json:"syncType"`
					EndedAt   string `json:"endedAt"`
				} `json:"syncs"`
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if len(syncs) != len(want.Syncs) {
				t.Fatalf("%d syncs, upstream lists %d", len(syncs), len(want.Syncs))
			}
			for i, w := range want.Syncs {
				g := syncs[i]
				if g.ID != w.ID || g.Token != w.SyncToken || string(g.Type) != w.SyncType || g.Finished() != (w.EndedAt != "") {
					t.Errorf("sync %d = %+v, upstream %+v", i, g, w)
				}
			}

			raw, err = os.ReadFile(filepath.Join(fixtureDir(t), "expected", name+".stats.json"))
			if err != nil {
				t.Fatal(err)
			}
			var wantStats struct {
				ID    string `json:"id"`
				Stats struct {
					ResourceTypes              int64             `json:"resourceTypes,string"`
					Resources                  int64             `json:"resources,string"`
					Entitlements               int64             `json:"entitlements,string"`
					Grants                     int64             `json:"grants,string"`
					ResourcesByResourceType    map[string]string `json:"resourcesByResourceType"`
					GrantsByResourceType       map[string]string `json:"grantsByResourceType"`
					EntitlementsByResourceType map[string]string `json:"entitlementsByResourceType"`
				} `json:"stats"`
			}
			run, err := s.LatestFinishedSync(ctx, c1z.SyncFull)
			if json.Unmarshal(raw, &wantStats) != nil {
				// Upstream printed a "no finished sync" message instead.
				if !errors.Is(err, c1z.ErrNoSync) {
					t.Fatalf("upstream found no finished sync, we found %v (%v)", run.ID, err)
				}
				return
			}
			if err != nil || run.ID != wantStats.ID {
				t.Fatalf("latest finished sync %q (%v), upstream %q", run.ID, err, wantStats.ID)
			}
			st, err := s.Stats(ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			ws := wantStats.Stats
			if st.ResourceTypes != ws.ResourceTypes || st.Resources != ws.Resources || st.Entitlements != ws.Entitlements || st.Grants != ws.Grants {
				t.Errorf("stats %+v, upstream %+v", st, ws)
			}
			for _, by := range []struct {
				got  map[string]int64
				want map[string]string
			}{{st.ResourcesByType, ws.ResourcesByResourceType}, {st.EntitlementsByType, ws.EntitlementsByResourceType}, {st.GrantsByType, ws.GrantsByResourceType}} {
				if len(by.got) != len(by.want) {
					t.Errorf("per-type counts %v, upstream %v", by.got, by.want)
				}
				for k, v := range by.want {
					if strconv.FormatInt(by.got[k], 10) != v {
						t.Errorf("count of %s: %d, upstream %s", k, by.got[k], v)
					}
				}
			}
		})
	}
}

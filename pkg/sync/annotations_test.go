package sync_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/batonkit/batonkit/internal/protoconn"
	"github.com/batonkit/batonkit/internal/testconnector"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/sync"
)

// annotated adds one annotation to every response of one call.
type annotated struct {
	*protoconn.Connector
	call string
	anno *anypb.Any
}

func (a *annotated) add(call string, annos []*anypb.Any) []*anypb.Any {
	if call == a.call {
		return append(annos, a.anno)
	}
	return annos
}

func (a *annotated) ListResourceTypes(ctx context.Context, req *connectorv2.ResourceTypesServiceListResourceTypesRequest) (*connectorv2.ResourceTypesServiceListResourceTypesResponse, error) {
	resp, err := a.Connector.ListResourceTypes(ctx, req)
	if err == nil && a.call == "ResourceType" {
		resp = proto.Clone(resp).(*connectorv2.ResourceTypesServiceListResourceTypesResponse)
		for _, rt := range resp.GetList() {
			rt.Annotations = append(rt.Annotations, a.anno)
		}
	}
	return resp, err
}

func (a *annotated) ListResources(ctx context.Context, req *connectorv2.ResourcesServiceListResourcesRequest) (*connectorv2.ResourcesServiceListResourcesResponse, error) {
	resp, err := a.Connector.ListResources(ctx, req)
	if err == nil {
		resp.Annotations = a.add("ListResources", resp.Annotations)
	}
	return resp, err
}

func (a *annotated) ListEntitlements(ctx context.Context, req *connectorv2.EntitlementsServiceListEntitlementsRequest) (*connectorv2.EntitlementsServiceListEntitlementsResponse, error) {
	resp, err := a.Connector.ListEntitlements(ctx, req)
	if err == nil {
		resp.Annotations = a.add("ListEntitlements", resp.Annotations)
	}
	return resp, err
}

func (a *annotated) ListGrants(ctx context.Context, req *connectorv2.GrantsServiceListGrantsRequest) (*connectorv2.GrantsServiceListGrantsResponse, error) {
	resp, err := a.Connector.ListGrants(ctx, req)
	if err == nil {
		resp.Annotations = a.add("ListGrants", resp.Annotations)
		if a.call == "Grant" {
			resp = proto.Clone(resp).(*connectorv2.GrantsServiceListGrantsResponse)
			for _, g := range resp.GetList() {
				g.Annotations = append(g.Annotations, a.anno)
			}
		}
	}
	return resp, err
}

func anyOf(t *testing.T, m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	testkit.Must(t, err)
	return a
}

// Every row of the annotation table in doc.go that is not exercised by a
// feature test of its own: features the syncer does not act on are
// counted, and fail the sync where ignoring them would lose data, unless
// the sync is allowed to be partial.
func TestUnhandledProtocolFeatures(t *testing.T) {
	future := &anypb.Any{TypeUrl: "type.googleapis.com/c1.connector.v2.SomethingFromTheFuture", Value: []byte{}}
	for _, tc := range []struct {
		name    string
		call    string
		anno    *anypb.Any
		counted string // the Result.Unhandled key; "" = acted on or inert
		lossy   bool
	}{
		{"rate-limit wait report", "ListGrants", anyOf(t, &connectorv2.RateLimitWaitReport{WaitMs: 3}), "", false},
		{"session store usage", "ListResources", anyOf(t, &connectorv2.SessionStoreUsage{Kind: "x"}), "", false},
		{"request id", "ListEntitlements", anyOf(t, &connectorv2.RequestId{RequestId: "r1"}), "", false},
		{"fan-out on resources", "ListResources", anyOf(t, &connectorv2.EnqueuePageTokens{PageTokens: []string{"n:0:1"}}), "c1.connector.v2.EnqueuePageTokens on ListResources", true},
		{"insert-resource-grants on resources", "ListResources", anyOf(t, &connectorv2.InsertResourceGrants{}), "c1.connector.v2.InsertResourceGrants on ListResources", false},
		{"source-cache replay", "ListGrants", anyOf(t, &connectorv2.SourceCacheReplay{ScopeKey: "k"}), "c1.connector.v2.SourceCacheReplay on ListGrants", true},
		{"etag match", "ListGrants", anyOf(t, &connectorv2.ETagMatch{EntitlementId: "e"}), "c1.connector.v2.ETagMatch on ListGrants", true},
		{"source-cache record", "ListEntitlements", anyOf(t, &connectorv2.SourceCacheRecord{ScopeKey: "k"}), "c1.connector.v2.SourceCacheRecord on ListEntitlements", false},
		{"unknown annotation", "ListGrants", future, "unknown annotation c1.connector.v2.SomethingFromTheFuture", false},
		{"skip-grants on a type", "ResourceType", anyOf(t, &connectorv2.SkipGrants{}), "c1.connector.v2.SkipGrants on a resource type", false},
		{"external resource match", "Grant", anyOf(t, &connectorv2.ExternalResourceMatchID{Id: "x"}), "ExternalResourceMatch on grants", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const seed = 13
			conn := func() *annotated {
				return &annotated{Connector: protoconn.New(protoconn.Options{Seed: seed}), call: tc.call, anno: tc.anno}
			}
			dir := t.TempDir()
			res, err := syncTo(t, rawClient(conn()), filepath.Join(dir, "strict.c1z"))
			if tc.lossy {
				if !errors.Is(err, sync.ErrUnhandledProtocol) {
					t.Fatalf("err = %v, want ErrUnhandledProtocol", err)
				}
				res, err = syncTo(t, rawClient(conn()), filepath.Join(dir, "partial.c1z"), sync.WithAllowPartial())
			}
			testkit.Must(t, err)
			if tc.counted == "" {
				if len(res.Unhandled) != 0 {
					t.Fatalf("unhandled %v, want none", res.Unhandled)
				}
				return
			}
			if res.Unhandled[tc.counted] == 0 {
				t.Fatalf("unhandled %v, want a count for %q", res.Unhandled, tc.counted)
			}
			if res.Stats.Unhandled[tc.counted] == 0 {
				t.Fatalf("the sync's stats %v do not record %q", res.Stats.Unhandled, tc.counted)
			}
		})
	}
}

// SkipGrants on a resource type does not stop grant listing (Baton's
// syncer reads it on resources only): the file is complete.
func TestSkipGrantsOnATypeListsGrantsAsBatonDoes(t *testing.T) {
	o := protoconn.Options{Seed: 13}
	want := reference(t, o)
	c := &annotated{Connector: protoconn.New(o), call: "ResourceType", anno: anyOf(t, &connectorv2.SkipGrants{})}
	path := filepath.Join(t.TempDir(), "s.c1z")
	_, err := syncTo(t, rawClient(c), path)
	testkit.Must(t, err)
	var grants int
	for _, l := range want {
		if l[0] == 'g' {
			grants++
		}
	}
	got := 0
	for _, l := range dump(t, path) {
		if l[0] == 'g' {
			got++
		}
	}
	if grants == 0 || got != grants {
		t.Fatalf("%d grants stored, the reference has %d", got, grants)
	}
}

// A connector whose fan-out repeats a token, or grows past the bound,
// fails the sync with ErrFanout instead of looping or exploding.
func TestFanoutGuards(t *testing.T) {
	dup := &annotated{Connector: protoconn.New(protoconn.Options{Seed: 13}), call: "ListGrants",
		anno: anyOf(t, &connectorv2.EnqueuePageTokens{PageTokens: []string{"f:0:1", "f:0:1"}})}
	_, err := syncTo(t, rawClient(dup), filepath.Join(t.TempDir(), "dup.c1z"))
	if !errors.Is(err, sync.ErrFanout) {
		t.Fatalf("repeated token: err = %v, want ErrFanout", err)
	}
	c := protoconn.New(protoconn.Options{Seed: 13, Scale: 3})
	_, err = syncTo(t, rawClient(c), filepath.Join(t.TempDir(), "big.c1z"), sync.WithMaxFanout(1))
	if !errors.Is(err, sync.ErrFanout) {
		t.Fatalf("fan-out past the bound: err = %v, want ErrFanout", err)
	}
}

// A page far larger than asked for fails the sync, naming the listing.
func TestOversizedPageFails(t *testing.T) {
	_, err := syncTo(t, rawClient(protoconn.New(protoconn.Options{Seed: 13, Scale: 3})), filepath.Join(t.TempDir(), "s.c1z"), sync.WithMaxPageItems(2))
	if !errors.Is(err, sync.ErrPageTooLarge) {
		t.Fatalf("err = %v, want ErrPageTooLarge", err)
	}
}

// A connector that sends megabytes of annotations with every object
// (300 pages of one 3.5 MB user) cannot fill the syncer's memory or the
// file: those objects are dropped, counted and named, and the rest of
// the sync is kept.
func TestHugeAnnotationsAreDropped(t *testing.T) {
	c := testconnector.New(300, 2, 2)
	c.PageSize = 1
	c.Faults.HugeAnnotations = true
	path := filepath.Join(t.TempDir(), "s.c1z")
	res, err := syncTo(t, inProcess(t, c), path)
	testkit.Must(t, err)
	if res.Dropped["resource"] != 300 {
		t.Fatalf("dropped %v, want the 300 users", res.Dropped)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() > 1<<20 {
		t.Fatalf("the file holds the annotations: %v %v", fi.Size(), err)
	}
}

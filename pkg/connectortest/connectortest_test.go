package connectortest_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/connectortest"
	"github.com/batonkit/batonkit/pkg/resource"
)

// skipper is a connector with a planted paging bug: the next token skips
// one item. At its default page size (50) its 12 users fit on one page, so
// only a walk at small sizes can see the bug.
type skipper struct{ bug bool }

func (skipper) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	return &connectorv2.ConnectorMetadata{DisplayName: "Skipper"}, nil
}
func (skipper) Validate(context.Context) (annotations.Annotations, error) { return nil, nil }
func (s skipper) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{s}
}
func (skipper) ResourceType(context.Context) *connectorv2.ResourceType {
	return resource.NewType("user", "User", resource.WithTypeAnnotations(&connectorv2.SkipEntitlementsAndGrants{}))
}
func (s skipper) List(_ context.Context, _ *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	size := req.Size
	if size == 0 {
		size = 50
	}
	off, _ := strconv.Atoi(req.Token)
	var p connector.Page[*connectorv2.Resource]
	for i := off; i < min(off+size, 12); i++ {
		r, _ := resource.New("user", fmt.Sprintf("u%02d", i), fmt.Sprintf("User %d", i))
		p.Items = append(p.Items, r)
	}
	if off+size < 12 {
		next := off + size
		if s.bug {
			next++
		}
		p.NextToken = strconv.Itoa(next)
	}
	return p, nil
}
func (skipper) Entitlements(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{}, nil
}
func (skipper) Grants(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	return connector.Page[*connectorv2.Grant]{}, nil
}

// recorder is a testing.TB whose Fatal ends the kit's goroutine and
// remembers why, so a test can check that the kit fails.
type recorder struct {
	testing.TB
	failure string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failure = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

func runKit(t *testing.T, c connector.Connector, opts ...connectortest.Option) string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		connectortest.Run(r, c, opts...)
	}()
	<-done
	return r.failure
}

// The kit walks every listing at small page sizes too, and names what a
// paging bug skipped; a correct connector passes.
func TestKitFindsPagingBugs(t *testing.T) {
	if f := runKit(t, skipper{}); f != "" {
		t.Fatalf("a correct connector failed the kit: %s", f)
	}
	f := runKit(t, skipper{bug: true})
	if !strings.Contains(f, "page size 1") || !strings.Contains(f, "skipped user:u01") {
		t.Fatalf("the planted bug was not reported with the skipped ids: %q", f)
	}
	if f := runKit(t, skipper{bug: true}, connectortest.WithPageSizes()); f != "" {
		t.Fatalf("WithPageSizes() did not turn the check off: %s", f)
	}
}

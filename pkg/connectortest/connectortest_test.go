package connectortest_test

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/batonkit/batonkit/examples/sqlapp"
	"github.com/batonkit/batonkit/internal/testconnector"
	"github.com/batonkit/batonkit/internal/testconnector/planted"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/connectortest"
	"github.com/batonkit/batonkit/pkg/contract"
)

func check(t *testing.T, defect string, opts ...connectortest.Option) *connectortest.Report {
	t.Helper()
	c, err := planted.New(defect)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := connectortest.Check(context.Background(), connectortest.Serve(t, c), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func failed(rep *connectortest.Report) []string {
	var ids []string
	for _, c := range rep.Failed() {
		ids = append(ids, c.ID)
	}
	return ids
}

// Each planted defect fails the check meant to catch it, and only that
// one; the connector without a defect passes every check.
func TestEachDefectFailsOnlyItsCheck(t *testing.T) {
	rep := check(t, "")
	if f := failed(rep); len(f) > 0 {
		var sb strings.Builder
		rep.WriteText(&sb, nil)
		t.Fatalf("the connector without a defect failed %v:\n%s", f, sb.String())
	}
	if len(rep.Checks) != len(connectortest.Checks()) {
		t.Errorf("report has %d checks, the kit %d", len(rep.Checks), len(connectortest.Checks()))
	}
	for _, defect := range slices.Sorted(maps.Keys(planted.Defects)) {
		want := planted.Defects[defect]
		t.Run(defect, func(t *testing.T) {
			rep := check(t, defect)
			if f := failed(rep); !slices.Equal(f, []string{want}) {
				var sb strings.Builder
				rep.WriteText(&sb, nil)
				t.Fatalf("failed checks %v, want only %s:\n%s", f, want, sb.String())
			}
			if len(rep.Check(want).Problems) == 0 {
				t.Errorf("%s failed without saying why", want)
			}
		})
	}
}

// The page-size check names what a walk at a small size skipped.
func TestPageSizesNameTheSkippedIDs(t *testing.T) {
	p := check(t, "skipped-page").Check("page-sizes").Problems
	if len(p) == 0 || !strings.Contains(p[0], "page size 1") || !strings.Contains(p[0], "skipped user:u01") {
		t.Fatalf("problems %q", p)
	}
	if got := check(t, "skipped-page", connectortest.WithPageSizes()).Check("page-sizes"); got.Status != connectortest.Skip {
		t.Fatalf("WithPageSizes() did not skip the check: %+v", got)
	}
}

// WithChecks runs the named checks (and what they build on) and reports
// only those.
func TestWithChecks(t *testing.T) {
	rep := check(t, "wrong-id", connectortest.WithChecks("ids"))
	if len(rep.Checks) != 1 || rep.Checks[0].ID != "ids" || rep.Checks[0].Status != connectortest.Fail {
		t.Fatalf("checks %+v", rep.Checks)
	}
	rep = check(t, "wrong-id", connectortest.WithChecks("pagination"))
	if !rep.Passed() || len(rep.Checks) != 1 {
		t.Fatalf("checks %+v", rep.Checks)
	}
	c, _ := planted.New("")
	if _, err := connectortest.Check(context.Background(), connectortest.Serve(t, c), connectortest.WithChecks("nosuch")); err == nil {
		t.Fatal("an unknown check id was accepted")
	}
}

// Provisioning: grant, grant again, revoke, revoke again. A repeat that
// succeeds without saying so passes with a note.
func TestProvisioningCheck(t *testing.T) {
	rep := check(t, "", connectortest.WithProvisioning())
	c := rep.Check("provisioning")
	if c.Status != connectortest.Pass || len(c.Notes) != 0 || c.Seen != 1 {
		t.Fatalf("provisioning: %+v", c)
	}
	c = check(t, planted.SilentRepeat, connectortest.WithProvisioning()).Check("provisioning")
	if c.Status != connectortest.Pass || len(c.Notes) != 2 || !strings.Contains(c.Notes[0], "GrantAlreadyExists") {
		t.Fatalf("silent repeats: %+v", c)
	}
}

// hideTargeted is a client whose metadata leaves out targeted sync,
// though the connector behind it answers GetResource.
type hideTargeted struct{ contract.Client }

func (h hideTargeted) GetMetadata(ctx context.Context, in *connectorv2.ConnectorServiceGetMetadataRequest, opts ...grpc.CallOption) (*connectorv2.ConnectorServiceGetMetadataResponse, error) {
	resp, err := h.Client.GetMetadata(ctx, in, opts...)
	for _, rtc := range resp.GetMetadata().GetCapabilities().GetResourceTypeCapabilities() {
		rtc.Capabilities = slices.DeleteFunc(rtc.Capabilities, func(c connectorv2.Capability) bool { return c == connectorv2.Capability_CAPABILITY_TARGETED_SYNC })
	}
	return resp, err
}

// A service that answers without its capability advertised is noted, not
// failed: a syncer will simply not ask it.
func TestUnadvertisedGetResourceIsNoted(t *testing.T) {
	db, err := sqlapp.OpenDB(context.Background(), filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := connectortest.Check(context.Background(), hideTargeted{connectortest.Serve(t, sqlapp.New(db))}, connectortest.WithChecks("capabilities", "get-matches-list"))
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Check("capabilities")
	if c.Status != connectortest.Pass || len(c.Notes) == 0 || !strings.Contains(c.Notes[0], "does not advertise targeted sync") {
		t.Fatalf("capabilities: %+v", c)
	}
	if g := rep.Check("get-matches-list"); g.Status != connectortest.Skip {
		t.Fatalf("get-matches-list: %+v", g)
	}
}

// The provisioning check never grants an entitlement to its own resource
// (a group to itself), which most apps refuse; a filter picks the pair.
func TestProvisioningPairIsNeverTheResourceItself(t *testing.T) {
	c := testconnector.New(4, 3, 2) // refuses a group as its own member
	rep, err := connectortest.Check(context.Background(), connectortest.Serve(t, c), connectortest.WithProvisioning())
	if err != nil {
		t.Fatal(err)
	}
	if pc := rep.Check("provisioning"); pc.Status != connectortest.Pass {
		t.Fatalf("provisioning: %+v", pc)
	}
	rep, err = connectortest.Check(context.Background(), connectortest.Serve(t, c), connectortest.WithProvisioningFilter(
		func(e *connectorv2.Entitlement, p *connectorv2.Resource) bool {
			return e.GetId() == "group:g001:member" && p.GetId().GetResourceType() == "group"
		}))
	if err != nil {
		t.Fatal(err)
	}
	if pc := rep.Check("provisioning"); pc.Status != connectortest.Pass || len(pc.Sample) != 1 || !strings.HasPrefix(pc.Sample[0], "group:g001:member:group:g") || pc.Sample[0] == "group:g001:member:group:g001" {
		t.Fatalf("filtered provisioning: %+v", pc)
	}
}

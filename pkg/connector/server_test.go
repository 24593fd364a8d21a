package connector_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/go-jose/go-jose/v4"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/batonkit/batonkit/internal/testconnector"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/connectortest"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/resource"
)

func TestConformanceKitPassesTheTestConnector(t *testing.T) {
	rep := connectortest.Run(t, testconnector.New(12, 4, 2), connectortest.WithProvisioning())
	if len(rep.Resources) != 12+4+2+2+4 || len(rep.Grants) == 0 {
		t.Fatalf("kit saw %d resources, %d grants", len(rep.Resources), len(rep.Grants))
	}
	withArchived := testconnector.New(3, 2, 0)
	withArchived.Faults.ArchivedRepo = true
	rep = connectortest.Run(t, withArchived)
	if _, ok := rep.Resources["repo:acme/archived"]; !ok {
		t.Fatal("the kit did not take the resource inserted with InsertResourceGrants")
	}
}

func ctxT(t *testing.T) context.Context { return t.Context() }

func TestCapabilitiesMatchInterfaces(t *testing.T) {
	c := connectortest.Serve(t, testconnector.New(3, 2, 0))
	md, err := c.GetMetadata(ctxT(t), &connectorv2.ConnectorServiceGetMetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	caps := md.GetMetadata().GetCapabilities()
	byType := map[string][]connectorv2.Capability{}
	for _, rtc := range caps.GetResourceTypeCapabilities() {
		byType[rtc.GetResourceType().GetId()] = rtc.GetCapabilities()
	}
	want := map[string][]connectorv2.Capability{
		"user": {connectorv2.Capability_CAPABILITY_SYNC, connectorv2.Capability_CAPABILITY_TARGETED_SYNC,
			connectorv2.Capability_CAPABILITY_ACCOUNT_PROVISIONING, connectorv2.Capability_CAPABILITY_CREDENTIAL_ROTATION},
		"group": {connectorv2.Capability_CAPABILITY_SYNC, connectorv2.Capability_CAPABILITY_TARGETED_SYNC, connectorv2.Capability_CAPABILITY_PROVISION,
			connectorv2.Capability_CAPABILITY_RESOURCE_CREATE, connectorv2.Capability_CAPABILITY_RESOURCE_DELETE},
		"role": {connectorv2.Capability_CAPABILITY_SYNC},
		"repo": {connectorv2.Capability_CAPABILITY_SYNC},
	}
	for typ, w := range want {
		got := slices.Clone(byType[typ])
		slices.Sort(got)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("%s capabilities %v, want %v", typ, got, w)
		}
	}
	for _, c := range []connectorv2.Capability{connectorv2.Capability_CAPABILITY_TICKETING, connectorv2.Capability_CAPABILITY_EVENT_FEED_V2,
		connectorv2.Capability_CAPABILITY_ACTIONS, connectorv2.Capability_CAPABILITY_PROVISION} {
		if !slices.Contains(caps.GetConnectorCapabilities(), c) {
			t.Errorf("connector capabilities lack %v", c)
		}
	}
	if caps.GetCredentialDetails().GetCapabilityAccountProvisioning().GetPreferredCredentialOption() !=
		connectorv2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD {
		t.Errorf("credential details %v", caps.GetCredentialDetails())
	}
}

// minimal implements only the required interfaces.
type minimal struct{}

func (minimal) Metadata(context.Context) (*connectorv2.ConnectorMetadata, error) {
	return &connectorv2.ConnectorMetadata{DisplayName: "minimal"}, nil
}
func (minimal) Validate(context.Context) (annotations.Annotations, error) { return nil, nil }
func (minimal) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{minimalUsers{}}
}

type minimalUsers struct{}

func (minimalUsers) ResourceType(context.Context) *connectorv2.ResourceType {
	return resource.NewType("user", "User")
}
func (minimalUsers) List(context.Context, *connectorv2.ResourceId, connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	// The display name breaks the 1024-byte rule: the server must refuse
	// to pass this response on.
	return connector.Page[*connectorv2.Resource]{Items: []*connectorv2.Resource{{Id: resource.ID("user", "bad"), DisplayName: strings.Repeat("x", 2000)}}}, nil
}
func (minimalUsers) Entitlements(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Entitlement], error) {
	return connector.Page[*connectorv2.Entitlement]{}, nil
}
func (minimalUsers) Grants(context.Context, *connectorv2.Resource, connector.PageRequest) (connector.Page[*connectorv2.Grant], error) {
	return connector.Page[*connectorv2.Grant]{}, nil
}

func TestMissingCapabilitiesAreUnimplementedWithAHint(t *testing.T) {
	c := connectortest.Serve(t, minimal{})
	ctx := ctxT(t)
	user := &connectorv2.Resource{Id: resource.ID("user", "u1")}
	ent := &connectorv2.Entitlement{Resource: user, Id: "user:u1:x"}
	tests := []struct {
		name  string
		call  func() error
		iface string
	}{
		{"Grant", func() error {
			_, err := c.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: ent, Principal: user})
			return err
		}, "connector.Provisioner"},
		{"GetResource", func() error {
			_, err := c.GetResource(ctx, &connectorv2.ResourceGetterServiceGetResourceRequest{ResourceId: user.GetId()})
			return err
		}, "connector.ResourceGetter"},
		{"CreateAccount", func() error {
			_, err := c.CreateAccount(ctx, &connectorv2.CreateAccountRequest{})
			return err
		}, "connector.AccountCreator"},
		{"DeleteResourceV2", func() error {
			_, err := c.DeleteResourceV2(ctx, &connectorv2.DeleteResourceV2Request{ResourceId: user.GetId()})
			return err
		}, "connector.ResourceDeleter"},
		{"ListTicketSchemas", func() error {
			_, err := c.ListTicketSchemas(ctx, &connectorv2.TicketsServiceListTicketSchemasRequest{})
			return err
		}, "connector.TicketManager"},
		{"ListEventFeeds", func() error {
			_, err := c.ListEventFeeds(ctx, &connectorv2.ListEventFeedsRequest{})
			return err
		}, "connector.EventFeedProvider"},
		{"InvokeAction", func() error {
			_, err := c.InvokeAction(ctx, &connectorv2.InvokeActionRequest{Name: "x"})
			return err
		}, "connector.ActionManager"},
	}
	for _, tt := range tests {
		err := tt.call()
		if status.Code(err) != codes.Unimplemented || !strings.Contains(status.Convert(err).Message(), tt.iface) {
			t.Errorf("%s: %v; want Unimplemented naming %s", tt.name, err, tt.iface)
		}
	}
	md, err := c.GetMetadata(ctx, &connectorv2.ConnectorServiceGetMetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := md.GetMetadata().GetCapabilities().GetConnectorCapabilities(); !slices.Equal(got, []connectorv2.Capability{connectorv2.Capability_CAPABILITY_SYNC}) {
		t.Errorf("minimal connector claims %v", got)
	}
}

func TestInvalidResponseNamesObjectAndField(t *testing.T) {
	c := connectortest.Serve(t, minimal{})
	_, err := c.ListResources(ctxT(t), &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "user"})
	msg := status.Convert(err).Message()
	if status.Code(err) != codes.Internal || !strings.Contains(msg, "resource user:bad") || !strings.Contains(msg, "DisplayName") || !strings.Contains(msg, "to fix: Resource.DisplayName") {
		t.Fatalf("got %v; want Internal naming resource user:bad, DisplayName and the fix", err)
	}
}

func TestPanicBecomesInternalAndServerKeepsServing(t *testing.T) {
	tc := testconnector.New(3, 2, 0)
	tc.Faults.PanicOnValidate = true
	c := connectortest.Serve(t, tc)
	_, err := c.Validate(ctxT(t), &connectorv2.ConnectorServiceValidateRequest{})
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "validate exploded") {
		t.Fatalf("panic gave %v, want Internal", err)
	}
	if _, err := c.GetMetadata(ctxT(t), &connectorv2.ConnectorServiceGetMetadataRequest{}); err != nil {
		t.Fatalf("server stopped serving after a panic: %v", err)
	}
}

func TestProvisioningAndCredentials(t *testing.T) {
	c := connectortest.Serve(t, testconnector.New(3, 2, 0))
	ctx := ctxT(t)
	group := &connectorv2.Resource{Id: resource.ID("group", "g001")}
	member := &connectorv2.Entitlement{Resource: group, Id: "group:g001:member", Slug: "member", DisplayName: "Member"}
	u := &connectorv2.Resource{Id: resource.ID("user", "u000")}

	gr, err := c.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: member, Principal: u})
	if err != nil || len(gr.GetGrants()) != 1 || gr.GetGrants()[0].GetId() != "group:g001:member:user:u000" {
		t.Fatalf("Grant: %v %v", gr, err)
	}
	again, err := c.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: member, Principal: u})
	if err != nil || !annotations.Annotations(again.GetAnnotations()).Contains(&connectorv2.GrantAlreadyExists{}) {
		t.Fatalf("second Grant should report GrantAlreadyExists: %v %v", again, err)
	}
	if _, err := c.Revoke(ctx, &connectorv2.GrantManagerServiceRevokeRequest{Grant: gr.GetGrants()[0]}); err != nil {
		t.Fatalf("Revoke: %v", err)
	}

	created, err := c.CreateResource(ctx, &connectorv2.CreateResourceRequest{Resource: &connectorv2.Resource{Id: resource.ID("group", "ops"), DisplayName: "Ops"}})
	if err != nil || created.GetCreated().GetId().GetResource() != "ops" {
		t.Fatalf("CreateResource: %v %v", created, err)
	}
	if _, err := c.DeleteResourceV2(ctx, &connectorv2.DeleteResourceV2Request{ResourceId: resource.ID("group", "ops")}); err != nil {
		t.Fatalf("DeleteResourceV2: %v", err)
	}
	if _, err := c.DeleteResource(ctx, &connectorv2.DeleteResourceRequest{ResourceId: resource.ID("group", "ops")}); status.Code(err) != codes.NotFound {
		t.Fatalf("deleting twice: %v, want NotFound", err)
	}

	// Account creation: the password comes back encrypted for an age key...
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	ageCfg := &connectorv2.EncryptionConfig{KeyId: "k1", Config: &connectorv2.EncryptionConfig_AgeRecipientConfig_{
		AgeRecipientConfig: &connectorv2.EncryptionConfig_AgeRecipientConfig{Recipient: id.Recipient().String()}}}
	// ...and for a JWK.
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := json.Marshal(jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "jwk1"})
	if err != nil {
		t.Fatal(err)
	}
	jwkCfg := &connectorv2.EncryptionConfig{Config: &connectorv2.EncryptionConfig_JwkPublicKeyConfig{
		JwkPublicKeyConfig: &connectorv2.EncryptionConfig_JWKPublicKeyConfig{PubKey: pub}}}
	acct, err := c.CreateAccount(ctx, &connectorv2.CreateAccountRequest{
		AccountInfo:       &connectorv2.AccountInfo{Login: "newbie"},
		CredentialOptions: &connectorv2.CredentialOptions{Options: &connectorv2.CredentialOptions_RandomPassword_{RandomPassword: &connectorv2.CredentialOptions_RandomPassword{Length: 16}}},
		EncryptionConfigs: []*connectorv2.EncryptionConfig{ageCfg, jwkCfg},
	})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if acct.GetSuccess().GetResource().GetId().GetResource() != "newbie" || len(acct.GetEncryptedData()) != 2 {
		t.Fatalf("CreateAccount result %v", acct)
	}
	for _, ed := range acct.GetEncryptedData() {
		var plain []byte
		switch ed.GetProvider() {
		case connector.ProviderAge:
			r, err := age.Decrypt(bytes.NewReader(ed.GetEncryptedBytes()), id)
			if err != nil {
				t.Fatal(err)
			}
			plain, _ = io.ReadAll(r)
			if !slices.Equal(ed.GetKeyIds(), []string{"k1"}) {
				t.Errorf("age key ids %v", ed.GetKeyIds())
			}
		case connector.ProviderJWK:
			obj, err := jose.ParseEncryptedCompact(string(ed.GetEncryptedBytes()), []jose.KeyAlgorithm{jose.ECDH_ES_A256KW}, []jose.ContentEncryption{jose.A256GCM})
			if err != nil {
				t.Fatal(err)
			}
			if plain, err = obj.Decrypt(ecKey); err != nil {
				t.Fatal(err)
			}
		}
		if string(plain) != "pw-newbie" {
			t.Fatalf("%s decrypted to %q", ed.GetProvider(), plain)
		}
	}
	dup, err := c.CreateAccount(ctx, &connectorv2.CreateAccountRequest{AccountInfo: &connectorv2.AccountInfo{Login: "newbie"}})
	if err != nil || dup.GetAlreadyExists() == nil {
		t.Fatalf("creating an existing account: %v %v", dup, err)
	}
	if _, err := c.CreateAccount(ctx, &connectorv2.CreateAccountRequest{AccountInfo: &connectorv2.AccountInfo{Login: "plain"},
		CredentialOptions: &connectorv2.CredentialOptions{Options: &connectorv2.CredentialOptions_RandomPassword_{RandomPassword: &connectorv2.CredentialOptions_RandomPassword{Length: 16}}}}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("secrets without encryption configs: %v, want FailedPrecondition", err)
	}

	rot, err := c.RotateCredential(ctx, &connectorv2.RotateCredentialRequest{ResourceId: resource.ID("user", "u001"), EncryptionConfigs: []*connectorv2.EncryptionConfig{ageCfg}})
	if err != nil || len(rot.GetEncryptedData()) != 1 {
		t.Fatalf("RotateCredential: %v %v", rot, err)
	}
	r, _ := age.Decrypt(bytes.NewReader(rot.GetEncryptedData()[0].GetEncryptedBytes()), id)
	if plain, _ := io.ReadAll(r); string(plain) != "rotated-u001" {
		t.Fatalf("rotated secret %q", plain)
	}
}

func TestTicketsEventsActionsAssets(t *testing.T) {
	c := connectortest.Serve(t, testconnector.New(3, 2, 0))
	ctx := ctxT(t)

	schemas, err := c.ListTicketSchemas(ctx, &connectorv2.TicketsServiceListTicketSchemasRequest{})
	if err != nil || len(schemas.GetList()) != 1 {
		t.Fatalf("ListTicketSchemas: %v %v", schemas, err)
	}
	sc, err := c.GetTicketSchema(ctx, &connectorv2.TicketsServiceGetTicketSchemaRequest{Id: "it"})
	if err != nil || sc.GetSchema().GetDisplayName() != "IT request" {
		t.Fatalf("GetTicketSchema: %v %v", sc, err)
	}
	tk, err := c.CreateTicket(ctx, &connectorv2.TicketsServiceCreateTicketRequest{Request: &connectorv2.TicketRequest{DisplayName: "Access to prod"}, Schema: sc.GetSchema()})
	if err != nil || tk.GetTicket().GetId() == "" {
		t.Fatalf("CreateTicket: %v %v", tk, err)
	}
	got, err := c.GetTicket(ctx, &connectorv2.TicketsServiceGetTicketRequest{Id: tk.GetTicket().GetId()})
	if err != nil || got.GetTicket().GetDisplayName() != "Access to prod" {
		t.Fatalf("GetTicket: %v %v", got, err)
	}
	bulk, err := c.BulkCreateTickets(ctx, &connectorv2.TicketsServiceBulkCreateTicketsRequest{TicketRequests: []*connectorv2.TicketsServiceCreateTicketRequest{
		{Request: &connectorv2.TicketRequest{DisplayName: "one"}}, {Request: &connectorv2.TicketRequest{}}}})
	if err != nil || len(bulk.GetTickets()) != 2 || bulk.GetTickets()[0].GetTicket() == nil || !strings.Contains(bulk.GetTickets()[1].GetError(), "title") {
		t.Fatalf("BulkCreateTickets: %v %v", bulk, err)
	}
	bget, err := c.BulkGetTickets(ctx, &connectorv2.TicketsServiceBulkGetTicketsRequest{TicketRequests: []*connectorv2.TicketsServiceGetTicketRequest{{Id: tk.GetTicket().GetId()}, {Id: "nope"}}})
	if err != nil || bget.GetTickets()[0].GetTicket() == nil || bget.GetTickets()[1].GetError() == "" {
		t.Fatalf("BulkGetTickets: %v %v", bget, err)
	}

	feeds, err := c.ListEventFeeds(ctx, &connectorv2.ListEventFeedsRequest{})
	if err != nil || len(feeds.GetList()) != 1 || feeds.GetList()[0].GetId() != "audit" {
		t.Fatalf("ListEventFeeds: %v %v", feeds, err)
	}
	var events []string
	cursor := ""
	for {
		resp, err := c.ListEvents(ctx, &connectorv2.ListEventsRequest{EventFeedId: "audit", Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range resp.GetEvents() {
			events = append(events, e.GetId())
		}
		if !resp.GetHasMore() {
			break
		}
		cursor = resp.GetCursor()
	}
	if !slices.Equal(events, []string{"e0", "e1", "e2", "e3", "e4"}) {
		t.Fatalf("events %v", events)
	}

	as, err := c.ListActionSchemas(ctx, &connectorv2.ListActionSchemasRequest{})
	if err != nil || len(as.GetSchemas()) != 1 {
		t.Fatalf("ListActionSchemas: %v %v", as, err)
	}
	if s, err := c.GetActionSchema(ctx, &connectorv2.GetActionSchemaRequest{Name: "lock_user"}); err != nil || s.GetSchema().GetResourceTypeId() != "user" {
		t.Fatalf("GetActionSchema: %v %v", s, err)
	}
	args, _ := structpb.NewStruct(map[string]any{"user_id": "u001"})
	inv, err := c.InvokeAction(ctx, &connectorv2.InvokeActionRequest{Name: "lock_user", Args: args})
	if err != nil || inv.GetStatus() != connectorv2.BatonActionStatus_BATON_ACTION_STATUS_COMPLETE || inv.GetResponse().GetFields()["locked"].GetStringValue() != "u001" {
		t.Fatalf("InvokeAction: %v %v", inv, err)
	}
	if st, err := c.GetActionStatus(ctx, &connectorv2.GetActionStatusRequest{Id: inv.GetId()}); err != nil || st.GetStatus() != connectorv2.BatonActionStatus_BATON_ACTION_STATUS_COMPLETE {
		t.Fatalf("GetActionStatus: %v %v", st, err)
	}

	stream, err := c.GetAsset(ctx, &connectorv2.AssetServiceGetAssetRequest{Asset: &connectorv2.AssetRef{Id: "logo"}})
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	var ct string
	chunks := 0
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if md := msg.GetMetadata(); md != nil {
			ct = md.GetContentType()
			continue
		}
		chunks++
		body = append(body, msg.GetData().GetData()...)
	}
	if ct != "image/png" || !bytes.Equal(body, testconnector.Logo) || chunks != 3 {
		t.Fatalf("asset: type %q, %d bytes in %d chunks", ct, len(body), chunks)
	}
}

// The in-process client must behave like the network one, streams included.
func TestInProcessAssetStream(t *testing.T) {
	srv, err := connector.NewServer(context.Background(), testconnector.New(3, 2, 0))
	if err != nil {
		t.Fatal(err)
	}
	var c contract.Client = connector.InProcessClient(srv)
	stream, err := c.GetAsset(ctxT(t), &connectorv2.AssetServiceGetAssetRequest{Asset: &connectorv2.AssetRef{Id: "logo"}})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n += len(msg.GetData().GetData())
	}
	if n != len(testconnector.Logo) {
		t.Fatalf("in-process asset: %d bytes, want %d", n, len(testconnector.Logo))
	}
	_, err = c.GetAsset(ctxT(t), &connectorv2.AssetServiceGetAssetRequest{Asset: &connectorv2.AssetRef{Id: "missing"}})
	if err == nil {
		s, _ := c.GetAsset(ctxT(t), &connectorv2.AssetServiceGetAssetRequest{Asset: &connectorv2.AssetRef{Id: "missing"}})
		_, err = s.Recv()
	}
	if status.Code(err) != codes.NotFound {
		t.Fatalf("missing asset: %v, want NotFound", err)
	}
}

// A syncer that lists grants per type is announced with TypeScopedGrants
// and served by TypeGrants when the request carries the marker; Fanout
// becomes EnqueuePageTokens, and is refused where the protocol has no
// place for it.
func TestTypeScopedAndFanoutAuthorAPI(t *testing.T) {
	ctx := t.Context()
	c := connector.InProcessClient(must1(connector.NewServer(ctx, projects{})))
	rts, err := c.ListResourceTypes(ctx, &connectorv2.ResourceTypesServiceListResourceTypesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !annotations.Annotations(rts.GetList()[0].GetAnnotations()).Contains(&connectorv2.TypeScopedGrants{}) {
		t.Fatal("the project type is not announced as type-scoped")
	}
	stub := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "project", Resource: "project"}}
	resp, err := c.ListGrants(ctx, &connectorv2.GrantsServiceListGrantsRequest{Resource: stub, Annotations: annotations.New(&connectorv2.TypeScopedGrants{})})
	if err != nil {
		t.Fatal(err)
	}
	var e connectorv2.EnqueuePageTokens
	if ok, _ := annotations.Annotations(resp.GetAnnotations()).Pick(&e); !ok || len(e.GetPageTokens()) != 2 || len(resp.GetList()) != 10 {
		t.Fatalf("first page: %d grants, tokens %v", len(resp.GetList()), e.GetPageTokens())
	}
	if _, err := c.ListEntitlements(ctx, &connectorv2.EntitlementsServiceListEntitlementsRequest{Resource: stub, Annotations: annotations.New(&connectorv2.TypeScopedEntitlements{})}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("type-scoped entitlements of a syncer without TypeEntitlements: %v, want Unimplemented", err)
	}
	bad := connector.InProcessClient(must1(connector.NewServer(ctx, fanoutResources{})))
	if _, err := bad.ListResources(ctx, &connectorv2.ResourcesServiceListResourcesRequest{ResourceTypeId: "team"}); status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "Fanout") {
		t.Fatalf("Fanout on a resource page: %v, want an Internal error naming Fanout", err)
	}
}

// fanoutResources wrongly fans out a resource listing.
type fanoutResources struct{ team }

func (f fanoutResources) ResourceSyncers(context.Context) []connector.ResourceSyncer {
	return []connector.ResourceSyncer{f}
}
func (fanoutResources) List(ctx context.Context, p *connectorv2.ResourceId, req connector.PageRequest) (connector.Page[*connectorv2.Resource], error) {
	page, err := team{}.List(ctx, p, req)
	page.Fanout = []string{"2"}
	return page, err
}

func must1[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

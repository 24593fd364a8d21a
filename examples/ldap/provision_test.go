package ldap_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"

	"filippo.io/age"
	goldap "github.com/go-ldap/ldap/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/batonkit/batonkit/examples/ldap"
	"github.com/batonkit/batonkit/internal/testkit"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/connectortest"
	"github.com/batonkit/batonkit/pkg/entitlement"
	"github.com/batonkit/batonkit/pkg/resource"
	"github.com/batonkit/batonkit/pkg/sync"
)

// Group membership in each kind of group, a new person with a generated
// password, a new password, and deleting the person all reach the real
// directory and show in the next sync; a repeated change says nothing
// changed; a locked or expired account syncs as disabled.
func TestProvisioning(t *testing.T) {
	url := startSlapd(t)
	seed(t, url, 6, 2)
	ctx := context.Background()
	conn, err := goldap.DialURL(url)
	testkit.Must(t, err)
	defer conn.Close()
	testkit.Must(t, conn.Bind(adminDN, adminPW))
	add(t, conn, "uid=expired,ou=People,"+baseDN, map[string][]string{"objectClass": {"inetOrgPerson", "shadowAccount"}, "uid": {"expired"},
		"cn": {"Expired"}, "sn": {"E"}, "shadowExpire": {"1"}})
	// In no group yet (seed puts every seeded person in g0).
	add(t, conn, "uid=newbie,ou=People,"+baseDN, map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {"newbie"}, "cn": {"New"}, "sn": {"N"}})

	cfg := ldap.Config{URL: url, BaseDN: baseDN, BindDN: adminDN, BindPassword: adminPW, UserSearchDN: "ou=People," + baseDN, PageSize: 50}
	c, err := ldap.New(ctx, cfg)
	testkit.Must(t, err)
	defer c.Close()
	srv, err := connector.NewServer(ctx, c)
	testkit.Must(t, err)
	client := connector.InProcessClient(srv)

	user := func(uid string) *connectorv2.Resource {
		return &connectorv2.Resource{Id: resource.ID("user", "uid="+uid+",ou=People,"+baseDN)}
	}
	group := func(dn string) *connectorv2.Entitlement {
		return entitlement.NewAssignment(&connectorv2.Resource{Id: resource.ID("group", dn)}, "member")
	}
	g0, admins, unix := "cn=g0,ou=Groups,"+baseDN, "cn=admins,ou=Groups,"+baseDN, "cn=unixusers,ou=Groups,"+baseDN
	for _, dn := range []string{g0, admins, unix} {
		resp, err := client.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: group(dn), Principal: user("newbie")})
		testkit.Must(t, err)
		if len(resp.GetGrants()) != 1 {
			t.Fatalf("grant into %s: %v", dn, resp)
		}
		again, err := client.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: group(dn), Principal: user("newbie")})
		testkit.Must(t, err)
		if !hasAnnotation(again.GetAnnotations(), &connectorv2.GrantAlreadyExists{}) {
			t.Errorf("a second grant into %s does not say it was there", dn)
		}
	}
	path := syncInto(t, c)
	for _, dn := range []string{g0, admins, unix} {
		if !hasGrant(t, path, "group:"+dn+":member:user:uid=newbie,ou=People,"+baseDN) {
			t.Errorf("newbie is not in %s after the grant", dn)
		}
	}
	for _, dn := range []string{g0, admins, unix} {
		g := &connectorv2.Grant{Entitlement: group(dn), Principal: user("newbie"), Id: "x"}
		if _, err := client.Revoke(ctx, &connectorv2.GrantManagerServiceRevokeRequest{Grant: g}); err != nil {
			t.Fatalf("revoke from %s: %v", dn, err)
		}
		again, err := client.Revoke(ctx, &connectorv2.GrantManagerServiceRevokeRequest{Grant: g})
		testkit.Must(t, err)
		if !hasAnnotation(again.GetAnnotations(), &connectorv2.GrantAlreadyRevoked{}) {
			t.Errorf("a second revoke from %s does not say it was gone", dn)
		}
	}
	path = syncInto(t, c)
	if hasGrant(t, path, "group:"+g0+":member:user:uid=newbie,ou=People,"+baseDN) {
		t.Error("newbie is still in g0 after the revoke")
	}
	if st := statusOf(t, path, "uid=expired,ou=People,"+baseDN); st != connectorv2.UserTrait_Status_STATUS_DISABLED {
		t.Errorf("an account past shadowExpire is %v", st)
	}

	// A person with a generated password, which binds; a new one, which
	// binds too; then the person deleted.
	opts := &connectorv2.CredentialOptions{Options: &connectorv2.CredentialOptions_RandomPassword_{RandomPassword: &connectorv2.CredentialOptions_RandomPassword{Length: 20}}}
	created, err := client.CreateAccount(ctx, &connectorv2.CreateAccountRequest{AccountInfo: &connectorv2.AccountInfo{Login: "grace",
		Emails: []*connectorv2.AccountInfo_Email{{Address: "grace@example.com", IsPrimary: true}}}, CredentialOptions: opts, EncryptionConfigs: []*connectorv2.EncryptionConfig{ageConfig}})
	testkit.Must(t, err)
	dn := created.GetSuccess().GetResource().GetId().GetResource()
	bindAs(t, url, dn, decrypt(t, created.GetEncryptedData()))
	rotated, err := client.RotateCredential(ctx, &connectorv2.RotateCredentialRequest{ResourceId: created.GetSuccess().GetResource().GetId(),
		CredentialOptions: opts, EncryptionConfigs: []*connectorv2.EncryptionConfig{ageConfig}})
	testkit.Must(t, err)
	bindAs(t, url, dn, decrypt(t, rotated.GetEncryptedData()))
	if _, err := client.DeleteResourceV2(ctx, &connectorv2.DeleteResourceV2Request{ResourceId: created.GetSuccess().GetResource().GetId()}); err != nil {
		t.Fatal(err)
	}
	res, err := conn.Search(goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, 0, false, "(objectClass=*)", nil, nil))
	if err == nil && len(res.Entries) > 0 {
		t.Fatal("the deleted person is still in the directory")
	}

	// A group named with a quote, a space, a comma and unicode; one
	// deleted between the listing and its grants.
	odd := `cn=Zoë's team\, EU,ou=Groups,` + baseDN
	add(t, conn, odd, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"Zoë's team, EU"}, "member": {"uid=u1,ou=People," + baseDN}})
	if _, err := client.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: group(odd), Principal: user("newbie")}); err != nil {
		t.Fatalf("grant into %s: %v", odd, err)
	}
	path = syncInto(t, c)
	// Ids are DNs as the directory returns them: it escapes the comma in
	// hex.
	stored := `cn=Zoë's team\2C EU,ou=Groups,` + baseDN
	if !hasGrant(t, path, "group:"+stored+":member:user:uid=newbie,ou=People,"+baseDN) {
		t.Errorf("the grant into %s is not in the sync", stored)
	}
	testkit.Must(t, conn.Del(goldap.NewDelRequest(odd, nil)))
	for _, rs := range c.ResourceSyncers(ctx) {
		if rs.ResourceType(ctx).GetId() == "group" {
			if _, err := rs.Grants(ctx, &connectorv2.Resource{Id: resource.ID("group", odd)}, connector.PageRequest{}); status.Code(err) != codes.NotFound {
				t.Errorf("grants of a group deleted mid-sync: %v, want NotFound (which the syncer skips)", err)
			}
		}
	}

	connectortest.Run(t, c, connectortest.WithProvisioning())
}

func syncInto(t *testing.T, c *ldap.Connector) string {
	t.Helper()
	ctx := context.Background()
	srv, err := connector.NewServer(ctx, c)
	testkit.Must(t, err)
	path := filepath.Join(t.TempDir(), "s.c1z")
	st, err := c1z.Open(ctx, path)
	testkit.Must(t, err)
	_, err = sync.New(connector.InProcessClient(srv), st).Run(ctx)
	testkit.Must(t, err)
	testkit.Must(t, st.Close(ctx))
	return path
}

func hasGrant(t *testing.T, path, id string) bool {
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer st.Close(ctx)
	_, err = st.Grant(ctx, "", id)
	return err == nil
}

func statusOf(t *testing.T, path, dn string) connectorv2.UserTrait_Status_Status {
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	testkit.Must(t, err)
	defer st.Close(ctx)
	r, err := st.Resource(ctx, "", resource.ID("user", dn))
	testkit.Must(t, err)
	var ut connectorv2.UserTrait
	for _, a := range r.GetAnnotations() {
		if a.MessageIs(&ut) {
			testkit.Must(t, a.UnmarshalTo(&ut))
		}
	}
	return ut.GetStatus().GetStatus()
}

func hasAnnotation(annos []*anypb.Any, m proto.Message) bool {
	for _, a := range annos {
		if a.MessageIs(m) {
			return true
		}
	}
	return false
}

func bindAs(t *testing.T, url, dn, pw string) {
	t.Helper()
	conn, err := goldap.DialURL(url)
	testkit.Must(t, err)
	defer conn.Close()
	if err := conn.Bind(dn, pw); err != nil {
		t.Fatalf("bind as %s with the password the connector returned: %v", dn, err)
	}
}

var ageKey, _ = age.GenerateX25519Identity()

var ageConfig = &connectorv2.EncryptionConfig{Provider: connector.ProviderAge, KeyId: "test",
	Config: &connectorv2.EncryptionConfig_AgeRecipientConfig_{AgeRecipientConfig: &connectorv2.EncryptionConfig_AgeRecipientConfig{Recipient: ageKey.Recipient().String()}}}

func decrypt(t *testing.T, data []*connectorv2.EncryptedData) string {
	t.Helper()
	if len(data) != 1 {
		t.Fatalf("%d secrets, want the password", len(data))
	}
	r, err := age.Decrypt(bytes.NewReader(data[0].GetEncryptedBytes()), ageKey)
	testkit.Must(t, err)
	b, err := io.ReadAll(r)
	testkit.Must(t, err)
	return string(b)
}

package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"filippo.io/age"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/batonkit/batonkit/internal/safefs"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/grant"
)

// provisioning holds the one-shot operation flags.
type provisioning struct {
	enabled                                             bool
	grantEntitlement, grantPrincipal, grantPrincipalTyp string
	revokeGrant                                         string
	accountLogin, accountEmail, accountProfile          string
	deleteResource, deleteResourceType                  string
	rotate, rotateType                                  string
	createTicket                                        bool
	ticketTemplate, getTicket                           string
	listTicketSchemas                                   bool
	invokeAction, actionArgs, actionResourceType        string
	credentialsFile                                     string
}

func bindProvisioning(fs *pflag.FlagSet) *provisioning {
	p := &provisioning{}
	fs.BoolVar(&p.enabled, "provisioning", false, "perform one change in the app (with one of the operation flags below) instead of syncing; in service mode (--client-id), let the control plane's tasks change the app")
	fs.StringVar(&p.grantEntitlement, "grant-entitlement", "", "grant this entitlement id (looked up in --file)")
	fs.StringVar(&p.grantPrincipal, "grant-principal", "", "to this principal id")
	fs.StringVar(&p.grantPrincipalTyp, "grant-principal-type", "", "of this resource type")
	fs.StringVar(&p.revokeGrant, "revoke-grant", "", "revoke this grant id (looked up in --file)")
	fs.StringVar(&p.accountLogin, "create-account-login", "", "create an account with this login")
	fs.StringVar(&p.accountEmail, "create-account-email", "", "and this email")
	fs.StringVar(&p.accountProfile, "create-account-profile", "", "and this profile (a JSON object)")
	fs.StringVar(&p.deleteResource, "delete-resource", "", "delete this resource id")
	fs.StringVar(&p.deleteResourceType, "delete-resource-type", "", "of this resource type")
	fs.StringVar(&p.rotate, "rotate-credentials", "", "rotate the credential of this resource id")
	fs.StringVar(&p.rotateType, "rotate-credentials-type", "", "of this resource type")
	fs.StringVar(&p.credentialsFile, "credentials-file", "credentials.txt", "where a created account's or rotated credential's secrets are written: a new file of mode 0600 (they are never printed or logged)")
	fs.BoolVar(&p.createTicket, "create-ticket", false, "open a ticket described by --ticket-template-path")
	fs.StringVar(&p.ticketTemplate, "ticket-template-path", "", "JSON ticket template: schema_id, display_name, description, labels, custom_fields")
	fs.StringVar(&p.getTicket, "get-ticket", "", "print this ticket id")
	fs.BoolVar(&p.listTicketSchemas, "list-ticket-schemas", false, "print the ticket schemas")
	fs.StringVar(&p.invokeAction, "invoke-action", "", "invoke this action")
	fs.StringVar(&p.actionArgs, "invoke-action-args", "{}", "the action's arguments (a JSON object)")
	fs.StringVar(&p.actionResourceType, "invoke-action-resource-type", "", "the resource type the action is on")
	return p
}

// operationNeeds names the capability each operation flag needs, so
// --help can leave out what the connector does not implement.
var operationNeeds = map[string][]connectorv2.Capability{
	"grant-entitlement":           {connectorv2.Capability_CAPABILITY_PROVISION},
	"grant-principal":             {connectorv2.Capability_CAPABILITY_PROVISION},
	"grant-principal-type":        {connectorv2.Capability_CAPABILITY_PROVISION},
	"revoke-grant":                {connectorv2.Capability_CAPABILITY_PROVISION},
	"create-account-login":        {connectorv2.Capability_CAPABILITY_ACCOUNT_PROVISIONING},
	"create-account-email":        {connectorv2.Capability_CAPABILITY_ACCOUNT_PROVISIONING},
	"create-account-profile":      {connectorv2.Capability_CAPABILITY_ACCOUNT_PROVISIONING},
	"delete-resource":             {connectorv2.Capability_CAPABILITY_RESOURCE_DELETE},
	"delete-resource-type":        {connectorv2.Capability_CAPABILITY_RESOURCE_DELETE},
	"rotate-credentials":          {connectorv2.Capability_CAPABILITY_CREDENTIAL_ROTATION},
	"rotate-credentials-type":     {connectorv2.Capability_CAPABILITY_CREDENTIAL_ROTATION},
	"credentials-file":            {connectorv2.Capability_CAPABILITY_ACCOUNT_PROVISIONING, connectorv2.Capability_CAPABILITY_CREDENTIAL_ROTATION},
	"create-ticket":               {connectorv2.Capability_CAPABILITY_TICKETING},
	"ticket-template-path":        {connectorv2.Capability_CAPABILITY_TICKETING},
	"get-ticket":                  {connectorv2.Capability_CAPABILITY_TICKETING},
	"list-ticket-schemas":         {connectorv2.Capability_CAPABILITY_TICKETING},
	"invoke-action":               {connectorv2.Capability_CAPABILITY_ACTIONS},
	"invoke-action-args":          {connectorv2.Capability_CAPABILITY_ACTIONS},
	"invoke-action-resource-type": {connectorv2.Capability_CAPABILITY_ACTIONS},
}

// offered reports whether the operation flag name is usable with a
// connector of capabilities caps (nil: not known, so every one is).
func offered(name string, caps map[connectorv2.Capability]bool) bool {
	if caps == nil {
		return true
	}
	needs, ok := operationNeeds[name]
	if !ok { // --provisioning itself: shown when any operation is
		for _, n := range operationNeeds {
			if slices.ContainsFunc(n, func(c connectorv2.Capability) bool { return caps[c] }) {
				return true
			}
		}
		return false
	}
	return slices.ContainsFunc(needs, func(c connectorv2.Capability) bool { return caps[c] })
}

func (p *provisioning) any() bool {
	return p.grantEntitlement != "" || p.revokeGrant != "" || p.accountLogin != "" || p.deleteResource != "" || p.rotate != "" ||
		p.createTicket || p.getTicket != "" || p.listTicketSchemas || p.invokeAction != ""
}

func (e *environment) provision(ctx context.Context, p *provisioning) error {
	srv, err := e.server(ctx)
	if err != nil {
		return err
	}
	op := oneShot{e: e, srv: srv, c: connector.InProcessClient(srv), p: p}
	switch {
	case p.grantEntitlement != "":
		return op.grant(ctx)
	case p.revokeGrant != "":
		return op.revoke(ctx)
	case p.accountLogin != "":
		return op.createAccount(ctx)
	case p.deleteResource != "":
		return op.deleteResource(ctx)
	case p.rotate != "":
		return op.rotateCredentials(ctx)
	case p.createTicket:
		return e.createTicket(ctx, op.c, p.ticketTemplate, e.printJSON)
	case p.getTicket != "":
		resp, err := op.c.GetTicket(ctx, &connectorv2.TicketsServiceGetTicketRequest{Id: p.getTicket})
		return op.answer(resp, err, "get ticket "+p.getTicket)
	case p.listTicketSchemas:
		resp, err := op.c.ListTicketSchemas(ctx, &connectorv2.TicketsServiceListTicketSchemasRequest{})
		return op.answer(resp, err, "list ticket schemas")
	case p.invokeAction != "":
		return op.invokeAction(ctx)
	}
	return usageErr{errors.New("--provisioning needs an operation flag (see --help)")}
}

// oneShot runs one provisioning operation against the connector.
type oneShot struct {
	e   *environment
	srv *connector.Server
	c   contract.Client
	p   *provisioning
}

// answer prints the connector's answer, or names what failed.
func (o oneShot) answer(resp proto.Message, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return o.e.printJSON(resp)
}

func (o oneShot) grant(ctx context.Context) error {
	p := o.p
	if p.grantPrincipal == "" || p.grantPrincipalTyp == "" {
		return usageErr{errors.New("--grant-entitlement needs --grant-principal and --grant-principal-type")}
	}
	ent, principal, err := o.e.lookupGrantTargets(ctx, p.grantEntitlement, resourceID(p.grantPrincipalTyp, p.grantPrincipal))
	if err != nil {
		return err
	}
	resp, err := o.c.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: ent, Principal: principal})
	if err != nil {
		return fmt.Errorf("grant %s to %s:%s: %w", p.grantEntitlement, p.grantPrincipalTyp, p.grantPrincipal, err)
	}
	what := "granted"
	if annotations.Annotations(resp.GetAnnotations()).Contains(&connectorv2.GrantAlreadyExists{}) {
		what = "already granted; nothing changed"
	}
	o.e.log.Info(what, "entitlement", p.grantEntitlement, "principal", p.grantPrincipalTyp+":"+p.grantPrincipal, "grants", len(resp.GetGrants()))
	return o.e.printJSON(resp)
}

func (o oneShot) revoke(ctx context.Context) error {
	g, err := o.e.revocable(ctx, o.srv, o.p.revokeGrant)
	if err != nil {
		return err
	}
	resp, err := o.c.Revoke(ctx, &connectorv2.GrantManagerServiceRevokeRequest{Grant: g})
	if err != nil {
		return fmt.Errorf("revoke %s: %w", o.p.revokeGrant, err)
	}
	what := "revoked"
	if annotations.Annotations(resp.GetAnnotations()).Contains(&connectorv2.GrantAlreadyRevoked{}) {
		what = "already revoked; nothing changed"
	}
	o.e.log.Info(what, "grant", o.p.revokeGrant)
	return o.e.printJSON(resp)
}

func (o oneShot) createAccount(ctx context.Context) error {
	p := o.p
	info := &connectorv2.AccountInfo{Login: p.accountLogin}
	if p.accountEmail != "" {
		info.Emails = []*connectorv2.AccountInfo_Email{{Address: p.accountEmail, IsPrimary: true}}
	}
	if p.accountProfile != "" {
		profile, err := jsonObject("--create-account-profile", p.accountProfile)
		if err != nil {
			return err
		}
		info.Profile = profile
	}
	return o.withSecrets(func(cfg *connectorv2.EncryptionConfig) (secretAnswer, error) {
		resp, err := o.c.CreateAccount(ctx, &connectorv2.CreateAccountRequest{AccountInfo: info, EncryptionConfigs: []*connectorv2.EncryptionConfig{cfg},
			CredentialOptions: randomPassword()})
		if err != nil {
			return nil, fmt.Errorf("create account %s: %w", p.accountLogin, err)
		}
		return resp, nil
	})
}

func (o oneShot) rotateCredentials(ctx context.Context) error {
	p := o.p
	if p.rotateType == "" {
		return usageErr{errors.New("--rotate-credentials needs --rotate-credentials-type")}
	}
	return o.withSecrets(func(cfg *connectorv2.EncryptionConfig) (secretAnswer, error) {
		resp, err := o.c.RotateCredential(ctx, &connectorv2.RotateCredentialRequest{ResourceId: resourceID(p.rotateType, p.rotate),
			EncryptionConfigs: []*connectorv2.EncryptionConfig{cfg}, CredentialOptions: randomPassword()})
		if err != nil {
			return nil, fmt.Errorf("rotate credentials of %s:%s: %w", p.rotateType, p.rotate, err)
		}
		return resp, nil
	})
}

// secretAnswer is a connector answer that carries encrypted secrets.
type secretAnswer interface {
	proto.Message
	GetEncryptedData() []*connectorv2.EncryptedData
}

// withSecrets runs a call that returns new secrets: encrypted for a key
// made for this run only, decrypted into --credentials-file.
func (o oneShot) withSecrets(call func(*connectorv2.EncryptionConfig) (secretAnswer, error)) error {
	id, cfg, err := ephemeralRecipient()
	if err != nil {
		return err
	}
	secrets, err := newSecretsFile(o.p.credentialsFile)
	if err != nil {
		return err
	}
	defer secrets.discard()
	resp, err := call(cfg)
	if err != nil {
		return err
	}
	if err := o.e.printJSON(resp); err != nil {
		return err
	}
	return o.e.saveSecrets(secrets, id, resp.GetEncryptedData())
}

func randomPassword() *connectorv2.CredentialOptions {
	return &connectorv2.CredentialOptions{Options: &connectorv2.CredentialOptions_RandomPassword_{
		RandomPassword: &connectorv2.CredentialOptions_RandomPassword{Length: 20}}}
}

func (o oneShot) deleteResource(ctx context.Context) error {
	p := o.p
	if p.deleteResourceType == "" {
		return usageErr{errors.New("--delete-resource needs --delete-resource-type")}
	}
	rid := resourceID(p.deleteResourceType, p.deleteResource)
	req := &connectorv2.DeleteResourceV2Request{ResourceId: rid}
	if r, err := o.e.lookup(ctx, func(st *c1z.Reader) (proto.Message, error) { return st.Resource(ctx, "", rid) }); err == nil {
		req.ParentResourceId = r.(*connectorv2.Resource).GetParentResourceId()
	}
	resp, err := o.c.DeleteResourceV2(ctx, req)
	if err != nil {
		return fmt.Errorf("delete %s:%s: %w", p.deleteResourceType, p.deleteResource, err)
	}
	o.e.log.Info("deleted", "resource", p.deleteResourceType+":"+p.deleteResource)
	return o.e.printJSON(resp)
}

func (o oneShot) invokeAction(ctx context.Context) error {
	args, err := jsonObject("--invoke-action-args", o.p.actionArgs)
	if err != nil {
		return err
	}
	resp, err := o.c.InvokeAction(ctx, &connectorv2.InvokeActionRequest{Name: o.p.invokeAction, Args: args, ResourceTypeId: o.p.actionResourceType})
	return o.answer(resp, err, "invoke action "+o.p.invokeAction)
}

// jsonObject parses a flag's JSON object.
func jsonObject(flag, text string) (*structpb.Struct, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return nil, usageErr{fmt.Errorf("%s is not a JSON object: %w", flag, err)}
	}
	st, err := structpb.NewStruct(m)
	if err != nil {
		return nil, usageErr{err}
	}
	return st, nil
}

// lookup reads an object from the sync file, as Baton does: ids on the
// command line name objects of the latest sync.
func (e *environment) lookup(ctx context.Context, get func(*c1z.Reader) (proto.Message, error)) (proto.Message, error) {
	path, err := e.localFile(ctx)
	if err != nil {
		return nil, err
	}
	st, err := c1z.OpenReader(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("provisioning looks ids up in %s (sync first): %w", path, err)
	}
	defer st.Close(ctx)
	m, err := get(st)
	if err != nil {
		return nil, fmt.Errorf("look up in %s: %w", path, err)
	}
	return m, nil
}

// revocable reads a grant from the file for Revoke: with its entitlement
// as stored (slug, purpose and all, as Grant receives it), and only if the
// principal holds it directly. A grant that exists only through grant
// expansion is refused, naming the grants that give it, unless the
// entitlement's syncer says its Revoke handles those
// (connector.InheritedRevoker).
func (e *environment) revocable(ctx context.Context, srv *connector.Server, id string) (*connectorv2.Grant, error) {
	var g *connectorv2.Grant
	_, err := e.lookup(ctx, func(st *c1z.Reader) (proto.Message, error) {
		stored, err := grantOf(ctx, st, id)
		if err != nil {
			return nil, err
		}
		g = proto.Clone(stored).(*connectorv2.Grant)
		if ent, err := st.Entitlement(ctx, "", g.GetEntitlement().GetId()); err == nil {
			g.Entitlement = ent
		}
		return g, nil
	})
	if err != nil {
		return nil, err
	}
	sources := g.GetSources().GetSources()
	if len(sources) == 0 || sources[g.GetEntitlement().GetId()] != nil {
		return g, nil
	}
	if srv.RevokesInherited(g.GetEntitlement().GetResource().GetId().GetResourceType()) {
		e.log.Info("the grant is inherited; the connector revokes such grants itself", "grant", id)
		return g, nil
	}
	var via []string
	for src := range sources {
		via = append(via, grant.ID(src, g.GetPrincipal().GetId()))
	}
	slices.Sort(via)
	return nil, usageErr{fmt.Errorf("%s is not held directly: %s:%s holds it only through %s; revoke that instead",
		id, g.GetPrincipal().GetId().GetResourceType(), g.GetPrincipal().GetId().GetResource(), strings.Join(via, ", "))}
}

func (e *environment) lookupGrantTargets(ctx context.Context, entID string, pid *connectorv2.ResourceId) (*connectorv2.Entitlement, *connectorv2.Resource, error) {
	ent, err := e.lookup(ctx, func(st *c1z.Reader) (proto.Message, error) { return entitlementOf(ctx, st, entID) })
	if err != nil {
		return nil, nil, err
	}
	p, err := e.lookup(ctx, func(st *c1z.Reader) (proto.Message, error) { return resourceOf(ctx, st, pid) })
	if err != nil {
		return nil, nil, err
	}
	e2 := ent.(*connectorv2.Entitlement)
	if to := e2.GetGrantableTo(); len(to) > 0 && !slices.ContainsFunc(to, func(rt *connectorv2.ResourceType) bool { return rt.GetId() == pid.GetResourceType() }) {
		var ids []string
		for _, rt := range to {
			ids = append(ids, rt.GetId())
		}
		return nil, nil, usageErr{fmt.Errorf("%s can be granted to %s only, not to a %s", entID, strings.Join(ids, ", "), pid.GetResourceType())}
	}
	return e2, p.(*connectorv2.Resource), nil
}

// ephemeralRecipient makes a one-time age key so secrets the connector
// returns are encrypted in transit and only this process can print them.
func ephemeralRecipient() (*age.X25519Identity, *connectorv2.EncryptionConfig, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, nil, err
	}
	return id, &connectorv2.EncryptionConfig{Provider: connector.ProviderAge, KeyId: "cli",
		Config: &connectorv2.EncryptionConfig_AgeRecipientConfig_{AgeRecipientConfig: &connectorv2.EncryptionConfig_AgeRecipientConfig{
			Recipient: id.Recipient().String()}}}, nil
}

// secretsFile is the new private file created or rotated credentials go
// to. It is claimed before the change is asked for, so a path another
// user planted (a link, their file) stops the run before anything
// changes in the app, and the secrets cannot be left with nowhere to go.
type secretsFile struct {
	f    *os.File
	kept bool
}

func newSecretsFile(path string) (*secretsFile, error) {
	f, err := safefs.CreateNew(path)
	if err != nil {
		return nil, usageErr{fmt.Errorf("--credentials-file: %w; pass a new path in a directory of your own (nothing was changed)", err)}
	}
	return &secretsFile{f: f}, nil
}

// discard removes the file unless secrets were saved in it.
func (s *secretsFile) discard() {
	if !s.kept {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}

// saveSecrets decrypts the secrets a connector returned (for this run's
// own key) into the new private file, never onto stdout, a log or an
// error, where terminal scrollback and cron mail would keep them.
func (e *environment) saveSecrets(out *secretsFile, id *age.X25519Identity, data []*connectorv2.EncryptedData) error {
	if len(data) == 0 {
		return nil
	}
	var buf bytes.Buffer
	for _, d := range data {
		r, err := age.Decrypt(bytes.NewReader(d.GetEncryptedBytes()), id)
		if err != nil {
			return fmt.Errorf("decrypt %s: %w", d.GetName(), err)
		}
		secret, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		fmt.Fprintf(&buf, "%s: %s\n", d.GetName(), secret)
	}
	out.kept = true
	if _, err := out.f.Write(buf.Bytes()); err != nil {
		out.f.Close()
		return fmt.Errorf("write the new credentials to %s (the change was made): %w", out.f.Name(), err)
	}
	if err := errors.Join(out.f.Sync(), out.f.Close()); err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "credentials written to %s (mode 0600): read them, then delete the file\n", out.f.Name())
	return nil
}

// ticketTemplate is the JSON file --ticket-template-path names.
type ticketTemplate struct {
	SchemaID     string                     `json:"schema_id"`
	DisplayName  string                     `json:"display_name"`
	Description  string                     `json:"description"`
	Labels       []string                   `json:"labels"`
	CustomFields map[string]json.RawMessage `json:"custom_fields"`
}

func (e *environment) createTicket(ctx context.Context, c connectorClient, path string, out func(proto.Message) error) error {
	if path == "" {
		return usageErr{errors.New("--create-ticket needs --ticket-template-path")}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var t ticketTemplate
	if err := json.Unmarshal(raw, &t); err != nil {
		return usageErr{fmt.Errorf("ticket template %s: %w", path, err)}
	}
	schema, err := c.GetTicketSchema(ctx, &connectorv2.TicketsServiceGetTicketSchemaRequest{Id: t.SchemaID})
	if err != nil {
		return fmt.Errorf("ticket schema %q: %w", t.SchemaID, err)
	}
	req := &connectorv2.TicketRequest{DisplayName: t.DisplayName, Description: t.Description, Labels: t.Labels,
		CustomFields: map[string]*connectorv2.TicketCustomField{}}
	for id, v := range t.CustomFields {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		req.CustomFields[id] = &connectorv2.TicketCustomField{Id: id, Value: &connectorv2.TicketCustomField_StringValue{
			StringValue: &connectorv2.TicketCustomFieldStringValue{Value: s}}}
	}
	resp, err := c.CreateTicket(ctx, &connectorv2.TicketsServiceCreateTicketRequest{Request: req, Schema: schema.GetSchema()})
	if err != nil {
		return fmt.Errorf("create ticket: %w", err)
	}
	return out(resp)
}

package c1ztest

import (
	"context"
	"testing"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/connector"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/sync"
)

// App is a connector served in process, synced into files and changed
// through its own grant and revoke calls: the history (full syncs,
// targeted syncs, changes between them) that tests of the operations on
// sync files need.
type App struct {
	t      testing.TB
	Client contract.Client
}

// NewApp serves c in process.
func NewApp(t testing.TB, c connector.Connector) *App {
	t.Helper()
	srv, err := connector.NewServer(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return &App{t: t, Client: connector.InProcessClient(srv)}
}

// Sync syncs the app into path (a new file or one to add a sync to).
func (a *App) Sync(path string, opts ...sync.Option) sync.Result {
	a.t.Helper()
	ctx := context.Background()
	st, err := c1z.Open(ctx, path)
	if err != nil {
		a.t.Fatal(err)
	}
	res, err := sync.New(a.Client, st, opts...).Run(ctx)
	if cerr := st.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		a.t.Fatal(err)
	}
	return res
}

// Grant gives principal the entitlement entID, both read from the default
// sync of path, as a control plane would send them.
func (a *App) Grant(path, entID string, principal *connectorv2.ResourceId) {
	a.t.Helper()
	a.withFile(path, func(ctx context.Context, st *c1z.Reader) error {
		ent, err := st.Entitlement(ctx, "", entID)
		if err != nil {
			return err
		}
		p, err := st.Resource(ctx, "", principal)
		if err != nil {
			return err
		}
		_, err = a.Client.Grant(ctx, &connectorv2.GrantManagerServiceGrantRequest{Entitlement: ent, Principal: p})
		return err
	})
}

// Revoke takes away the grant grantID of the default sync of path.
func (a *App) Revoke(path, grantID string) {
	a.t.Helper()
	a.withFile(path, func(ctx context.Context, st *c1z.Reader) error {
		g, err := st.Grant(ctx, "", grantID)
		if err != nil {
			return err
		}
		// The file keeps a grant's entitlement by id; apps want it whole.
		if g.Entitlement, err = st.Entitlement(ctx, "", g.GetEntitlement().GetId()); err != nil {
			return err
		}
		_, err = a.Client.Revoke(ctx, &connectorv2.GrantManagerServiceRevokeRequest{Grant: g})
		return err
	})
}

func (a *App) withFile(path string, fn func(context.Context, *c1z.Reader) error) {
	a.t.Helper()
	ctx := context.Background()
	st, err := c1z.OpenReader(ctx, path)
	if err != nil {
		a.t.Fatal(err)
	}
	defer st.Close(ctx)
	if err := fn(ctx, st); err != nil {
		a.t.Fatal(err)
	}
}

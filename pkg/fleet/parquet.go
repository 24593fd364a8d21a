package fleet

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"

	"github.com/batonkit/batonkit/internal/atomicfile"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/grant"
)

// The Parquet export: one file per table, for engines that go further
// than one machine (DuckDB, Athena/Trino, Spark). docs/parquet.md is the
// schema; columns are only ever added, so queries keep working.

// AppRow is a row of apps.parquet.
type AppRow struct {
	App    string `parquet:"app"`
	File   string `parquet:"file"`
	SyncID string `parquet:"sync_id"`
	IdP    bool   `parquet:"idp"`
}

// AccountRow is a row of accounts.parquet: a user-trait resource and the
// person it was matched to ("" for none).
type AccountRow struct {
	App          string   `parquet:"app"`
	ResourceType string   `parquet:"resource_type"`
	ResourceID   string   `parquet:"resource_id"`
	DisplayName  string   `parquet:"display_name"`
	Status       string   `parquet:"status"`
	AccountType  string   `parquet:"account_type"`
	PersonKey    string   `parquet:"person_key"`
	PersonName   string   `parquet:"person_name"`
	PersonLeft   bool     `parquet:"person_left"`
	Emails       []string `parquet:"emails,list"`
	Logins       []string `parquet:"logins,list"`
	EmployeeIDs  []string `parquet:"employee_ids,list"`
}

// PersonRow is a row of people.parquet.
type PersonRow struct {
	PersonKey string `parquet:"person_key"`
	Name      string `parquet:"name"`
	Left      bool   `parquet:"left"`
	Accounts  int32  `parquet:"accounts"`
}

// ResourceRow is a row of resources.parquet.
type ResourceRow struct {
	App          string `parquet:"app"`
	ResourceType string `parquet:"resource_type"`
	ResourceID   string `parquet:"resource_id"`
	DisplayName  string `parquet:"display_name"`
	ParentType   string `parquet:"parent_resource_type"`
	ParentID     string `parquet:"parent_resource_id"`
}

// EntitlementRow is a row of entitlements.parquet.
type EntitlementRow struct {
	App           string `parquet:"app"`
	EntitlementID string `parquet:"entitlement_id"`
	ResourceType  string `parquet:"resource_type"`
	ResourceID    string `parquet:"resource_id"`
	DisplayName   string `parquet:"display_name"`
	Slug          string `parquet:"slug"`
}

// GrantRow is a row of grants.parquet: who holds what, and how (direct,
// and the entitlements it was expanded from).
type GrantRow struct {
	App           string   `parquet:"app"`
	GrantID       string   `parquet:"grant_id"`
	EntitlementID string   `parquet:"entitlement_id"`
	ResourceType  string   `parquet:"resource_type"`
	ResourceID    string   `parquet:"resource_id"`
	PrincipalType string   `parquet:"principal_type"`
	PrincipalID   string   `parquet:"principal_id"`
	Direct        bool     `parquet:"direct"`
	Through       []string `parquet:"through,list"`
}

// ExportParquet writes the fleet's tables into dir (created 0700 when
// missing), each file written whole or not at all.
func (f *Fleet) ExportParquet(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var apps []AppRow
	var resources []ResourceRow
	var ents []EntitlementRow
	var grants []GrantRow
	for _, app := range f.Apps {
		apps = append(apps, AppRow{App: app.Name, File: app.Path, SyncID: app.SyncID, IdP: app == f.IdP})
		st, err := app.Store(ctx)
		if err != nil {
			return err
		}
		if err := appRows(ctx, app, st, &resources, &ents, &grants); err != nil {
			return fmt.Errorf("%s: %w", app.Path, err)
		}
		app.close(ctx) // one file open at a time
	}
	var accounts []AccountRow
	for _, a := range f.accounts {
		r := AccountRow{App: a.App.Name, ResourceType: a.ResourceType, ResourceID: a.ResourceID, DisplayName: a.DisplayName,
			Status: a.Status, AccountType: a.Type, Emails: a.keys.Email, Logins: a.keys.Login, EmployeeIDs: a.keys.EmployeeID}
		if p := a.Person; p != nil {
			r.PersonKey, r.PersonName, r.PersonLeft = p.Key, p.Name, p.Left()
		}
		accounts = append(accounts, r)
	}
	var people []PersonRow
	for _, p := range f.people {
		people = append(people, PersonRow{PersonKey: p.Key, Name: p.Name, Left: p.Left(), Accounts: int32(len(p.Accounts))})
	}
	return firstErr(
		writeTable(dir, "apps", apps),
		writeTable(dir, "accounts", accounts),
		writeTable(dir, "people", people),
		writeTable(dir, "resources", resources),
		writeTable(dir, "entitlements", ents),
		writeTable(dir, "grants", grants),
	)
}

func appRows(ctx context.Context, app *App, st *c1z.Reader, resources *[]ResourceRow, ents *[]EntitlementRow, grants *[]GrantRow) error {
	for r, err := range st.Resources(ctx, c1z.ResourceQuery{SyncID: app.SyncID}) {
		if err != nil {
			return err
		}
		*resources = append(*resources, ResourceRow{App: app.Name, ResourceType: r.GetId().GetResourceType(), ResourceID: r.GetId().GetResource(),
			DisplayName: r.GetDisplayName(), ParentType: r.GetParentResourceId().GetResourceType(), ParentID: r.GetParentResourceId().GetResource()})
	}
	for e, err := range st.Entitlements(ctx, c1z.EntitlementQuery{SyncID: app.SyncID}) {
		if err != nil {
			return err
		}
		rid := e.GetResource().GetId()
		*ents = append(*ents, EntitlementRow{App: app.Name, EntitlementID: e.GetId(), ResourceType: rid.GetResourceType(), ResourceID: rid.GetResource(),
			DisplayName: e.GetDisplayName(), Slug: e.GetSlug()})
	}
	for g, err := range st.Grants(ctx, c1z.GrantQuery{SyncID: app.SyncID}) {
		if err != nil {
			return err
		}
		ent, p := g.GetEntitlement(), g.GetPrincipal().GetId()
		row := GrantRow{App: app.Name, GrantID: g.GetId(), EntitlementID: ent.GetId(), ResourceType: ent.GetResource().GetId().GetResourceType(),
			ResourceID: ent.GetResource().GetId().GetResource(), PrincipalType: p.GetResourceType(), PrincipalID: p.GetResource()}
		row.Direct, row.Through = grant.HeldVia(g, ent.GetId())
		*grants = append(*grants, row)
	}
	return nil
}

// writeTable writes name.parquet in dir atomically.
func writeTable[T any](dir, name string, rows []T) error {
	return atomicfile.Write(filepath.Join(dir, name+".parquet"), func(w io.Writer) error {
		pw := parquet.NewGenericWriter[T](w, parquet.Compression(&parquet.Zstd))
		if _, err := pw.Write(rows); err != nil {
			return fmt.Errorf("%s.parquet: %w", name, err)
		}
		return pw.Close()
	})
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

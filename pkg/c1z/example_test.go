package c1z_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sync.c1z")

	// Write one sync.
	st, err := c1z.Open(ctx, path)
	if err != nil {
		panic(err)
	}
	run, _ := st.StartSync(ctx, c1z.SyncFull, "")
	run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: "User"})
	run.PutResources(ctx, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "alice"}, DisplayName: "Alice"})
	run.End(ctx)
	if err := st.Close(ctx); err != nil { // compresses and renames into place
		panic(err)
	}

	// Read it back; readers default to the latest finished full sync.
	r, err := c1z.OpenReader(ctx, path)
	if err != nil {
		panic(err)
	}
	defer r.Close(ctx)
	for res, err := range r.Resources(ctx, c1z.ResourceQuery{ResourceTypeID: "user"}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(res.GetDisplayName())
	}
	// Output: Alice
}

// writeExample writes one sync with a group, a member and a grant.
func writeExample(path, member string) {
	ctx := context.Background()
	st, err := c1z.Open(ctx, path)
	if err != nil {
		panic(err)
	}
	run, _ := st.StartSync(ctx, c1z.SyncFull, "")
	eng := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "group", Resource: "eng"}, DisplayName: "Engineering"}
	user := &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: member}, DisplayName: member}
	ent := &connectorv2.Entitlement{Id: "group:eng:member", Resource: eng, Slug: "member"}
	run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "group"}, &connectorv2.ResourceType{Id: "user"})
	run.PutResources(ctx, eng, user)
	run.PutEntitlements(ctx, ent)
	run.PutGrants(ctx, &connectorv2.Grant{Id: "group:eng:member:user:" + member, Entitlement: ent, Principal: user})
	run.End(ctx)
	if err := st.Close(ctx); err != nil {
		panic(err)
	}
}

// Grants streams the grants a query selects; GrantViews joins each with
// its entitlement, resource and principal.
func ExampleReader_GrantViews() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sync.c1z")
	writeExample(path, "ada")

	st, err := c1z.OpenReader(ctx, path)
	if err != nil {
		panic(err)
	}
	defer st.Close(ctx)
	for v, err := range st.GrantViews(ctx, c1z.GrantQuery{EntitlementID: "group:eng:member"}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(v.Principal.GetDisplayName(), "is a member of", v.Resource.GetDisplayName())
	}
	// Output: ada is a member of Engineering
}

// Compare diffs the latest syncs of two files.
func ExampleReader_Compare() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	older, newer := filepath.Join(dir, "old.c1z"), filepath.Join(dir, "new.c1z")
	writeExample(older, "ada")
	writeExample(newer, "grace")

	a, _ := c1z.OpenReader(ctx, older)
	defer a.Close(ctx)
	b, _ := c1z.OpenReader(ctx, newer)
	defer b.Close(ctx)
	ra, _ := a.DefaultSync(ctx)
	rb, _ := b.DefaultSync(ctx)
	for d, err := range a.Compare(ctx, ra.ID, b, rb.ID) {
		if err != nil {
			panic(err)
		}
		switch o := d.Object.(type) {
		case *connectorv2.Resource:
			fmt.Println(d.Change, o.GetId().GetResourceType()+":"+o.GetId().GetResource())
		case *connectorv2.Grant:
			fmt.Println(d.Change, o.GetId())
		}
	}
	// Output:
	// created user:grace
	// deleted user:ada
	// created group:eng:member:user:grace
	// deleted group:eng:member:user:ada
}

// Each kind of object has its listing, a point lookup by id, and counts.
func ExampleReader_Stats() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sync.c1z")
	writeExample(path, "ada")

	st, _ := c1z.OpenReader(ctx, path)
	defer st.Close(ctx)
	for e, err := range st.Entitlements(ctx, c1z.EntitlementQuery{ResourceTypeID: "group"}) {
		if err != nil {
			panic(err)
		}
		fmt.Println("entitlement", e.GetId())
	}
	g, _ := st.Grant(ctx, "", "group:eng:member:user:ada")
	fmt.Println("grant to", g.GetPrincipal().GetId().GetResource())
	stats, _ := st.Stats(ctx, "")
	syncs, _ := st.Syncs(ctx)
	fmt.Println(stats.Resources, stats.Entitlements, stats.Grants, len(syncs))
	// Output:
	// entitlement group:eng:member
	// grant to ada
	// 2 1 1 1
}

// Grants by principal: everything one user holds directly (grants the
// expansion derived are rows too, listed the same way).
func ExampleReader_Grants() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sync.c1z")
	writeExample(path, "ada")

	st, _ := c1z.OpenReader(ctx, path)
	defer st.Close(ctx)
	ada := &connectorv2.ResourceId{ResourceType: "user", Resource: "ada"}
	for g, err := range st.Grants(ctx, c1z.GrantQuery{Principal: ada}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(g.GetEntitlement().GetId())
	}
	r, _ := st.Resource(ctx, "", ada)
	fmt.Println(r.GetDisplayName())
	// Output:
	// group:eng:member
	// ada
}

// The Page reads return one page and the token of the next, for servers
// and UIs that page on request; an empty token is the last page.
func ExampleReader_ResourcesPage() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sync.c1z")
	writeExample(path, "ada")

	st, _ := c1z.OpenReader(ctx, path)
	defer st.Close(ctx)
	page := c1z.Page{Size: 1}
	for {
		rs, next, err := st.ResourcesPage(ctx, c1z.ResourceQuery{}, page)
		if err != nil {
			panic(err)
		}
		for _, r := range rs {
			fmt.Println(r.GetId().GetResourceType(), r.GetDisplayName())
		}
		if next == "" {
			break
		}
		page.Token = next
	}
	// Output:
	// group Engineering
	// user ada
}

// WriteSyncDiff records what changed between two syncs as Baton's two
// linked syncs; CompareRecorded reads them back.
func ExampleStore_WriteSyncDiff() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sync.c1z")
	writeExample(path, "alice")
	writeExample(path, "bob")

	st, err := c1z.Open(ctx, path)
	if err != nil {
		panic(err)
	}
	defer st.Close(ctx)
	base, applied, _ := st.LatestTwoFullSyncs(ctx)
	d, err := st.WriteSyncDiff(ctx, st.Reader, base, applied)
	if err != nil {
		panic(err)
	}
	for c, err := range st.CompareRecorded(ctx, d.Upserts) {
		if err != nil {
			panic(err)
		}
		if g, ok := c.Object.(*connectorv2.Grant); ok {
			fmt.Println(c.Change, g.GetId())
		}
	}
	// Output:
	// created group:eng:member:user:bob
	// deleted group:eng:member:user:alice
}

// A sync interrupted after a checkpoint is resumed from its token, in the
// same or a later process; writes carry on into the same sync.
func ExampleStore_ResumeSync() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	st, err := c1z.Open(ctx, filepath.Join(dir, "sync.c1z"))
	if err != nil {
		panic(err)
	}
	defer st.Close(ctx)
	run, _ := st.StartSync(ctx, c1z.SyncFull, "")
	run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user"})
	run.Checkpoint(ctx, `{"done":"resource types"}`)

	// Later: find the unfinished sync and resume it.
	prev, _ := st.UnfinishedSync(ctx, c1z.SyncFull)
	resumed, err := st.ResumeSync(ctx, prev.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(resumed.ID == run.ID, resumed.Token)
	resumed.PutResources(ctx, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: "alice"}})
	stats, _ := resumed.End(ctx)
	fmt.Println(stats.ResourceTypes, stats.Resources)
	// Output:
	// true {"done":"resource types"}
	// 1 1
}

// A finished sync is reworked through AmendSync; End then records its
// counts again (Baton's recalculate-stats) and keeps its end time.
func ExampleStore_AmendSync() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	st, err := c1z.Open(ctx, filepath.Join(dir, "sync.c1z"))
	if err != nil {
		panic(err)
	}
	defer st.Close(ctx)
	run, _ := st.StartSync(ctx, c1z.SyncFull, "")
	run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user"})
	run.End(ctx)

	amend, err := st.AmendSync(ctx, run.ID)
	if err != nil {
		panic(err)
	}
	amend.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "group"})
	stats, _ := amend.End(ctx)
	fmt.Println(stats.ResourceTypes)
	// Output: 2
}

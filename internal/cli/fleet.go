package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/batonkit/batonkit/internal/safefs"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/fleet"
	"github.com/batonkit/batonkit/pkg/remote"
)

// fleetMemoryLimit is the Go heap's soft limit during fleet questions.
const fleetMemoryLimit = 256 << 20

// fleetFlags are the options every fleet command takes.
type fleetFlags struct {
	idp     string
	apps    []string
	match   []string
	strict  bool
	noCache bool
}

func newFleetCmd(g *globals) *cobra.Command {
	var ff fleetFlags
	cmd := &cobra.Command{
		Use:         "fleet",
		Annotations: usesGlobals("output"),
		Short:       "Questions across many apps' sync files: one person everywhere, everyone, orphaned accounts",
		Long: "fleet reads a set of sync files, one per application (paths, directories and globs;\n" +
			"v1 and v3), and matches their accounts to people by email, then login, then employee\n" +
			"id (--match changes the order). With --idp FILE, that file's users are the people and\n" +
			"its account status says who has left; without one, people are the accounts that\n" +
			"share a key. Service and system accounts are never merged into a person. A file that\n" +
			"cannot be read is skipped with a warning (--strict: an error).",
		Example: "  baton fleet who ada@example.com syncs/\n  baton fleet people 'syncs/*.c1z'\n" +
			"  baton fleet orphans --idp syncs/okta.c1z syncs/\n  baton fleet stats --app hr=syncs/sync.c1z syncs/",
	}
	f := cmd.PersistentFlags()
	f.StringVar(&ff.idp, "idp", "", "the identity provider's sync file: its users are the people")
	f.StringArrayVar(&ff.apps, "app", nil, "name an app: NAME=FILE (repeatable)")
	f.StringSliceVar(&ff.match, "match", fleet.DefaultKeys, "matching keys, in order: email, login, employee_id")
	f.BoolVar(&ff.strict, "strict", false, "a file that cannot be read is an error, not a warning")
	f.BoolVar(&ff.noCache, "no-cache", false, "read every file in full (by default what each file's accounts are is kept in the user cache, per file content)")
	cmd.AddCommand(
		&cobra.Command{Use: "who PERSON FILE|DIR|GLOB...", Short: "Every account of one person in every app, and what each can reach",
			Args: cobra.MinimumNArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
				return g.withFleet(cmd, ff, args[1:], func(_ context.Context, fl *fleet.Fleet) error { return g.fleetWho(fl, args[0]) })
			}},
		&cobra.Command{Use: "people FILE|DIR|GLOB...", Short: "One row per person: their apps, enabled or not, and how much they hold",
			Args: cobra.MinimumNArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
				return g.withFleet(cmd, ff, args, g.fleetPeople)
			}},
		&cobra.Command{Use: "orphans --idp FILE FILE|DIR|GLOB...", Short: "Enabled accounts of nobody in the IdP, and of people the IdP says have left",
			Args: cobra.MinimumNArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
				if ff.idp == "" {
					return usagef("orphans needs --idp <the identity provider's sync file>")
				}
				return g.withFleet(cmd, ff, args, g.fleetOrphans)
			}},
		&cobra.Command{Use: "holders APP ENTITLEMENT FILE|DIR|GLOB...", Short: "Who holds one entitlement of one app, as people of the fleet",
			Args: cobra.MinimumNArgs(3), RunE: func(cmd *cobra.Command, args []string) error {
				return g.withFleet(cmd, ff, args[2:], func(ctx context.Context, fl *fleet.Fleet) error { return g.fleetHolders(ctx, fl, args[0], args[1]) })
			}},
		fleetExportCmd(g, &ff),
		&cobra.Command{Use: "stats FILE|DIR|GLOB...", Short: "Apps, accounts, people and what matched nobody",
			Args: cobra.MinimumNArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
				return g.withFleet(cmd, ff, args, g.fleetStats)
			}},
	)
	return cmd
}

func (g *globals) withFleet(cmd *cobra.Command, ff fleetFlags, specs []string, fn func(context.Context, *fleet.Fleet) error) error {
	ctx := cmd.Context()
	switch g.output {
	case "console", "json", "csv":
	default:
		return usagef("unknown output format %q (want console, json or csv)", g.output)
	}
	// A fleet's accounts are live data; what else it allocates (each
	// file's decoding) is short-lived: a soft limit makes the collector
	// keep the peak near the live set instead of twice it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(fleetMemoryLimit)
	}
	names := map[string]string{}
	for _, a := range ff.apps {
		name, file, ok := strings.Cut(a, "=")
		if !ok || name == "" || file == "" {
			return usagef("--app %q: want NAME=FILE", a)
		}
		names[file] = name
	}
	opts := fleet.Options{IdP: ff.idp, Names: names, Keys: ff.match, Strict: ff.strict,
		List: func(ctx context.Context, spec string) ([]string, error) { return remote.List(ctx, spec, g.s3) },
		Open: g.openFile}
	if !ff.noCache {
		// No private cache directory (no home, a shared one refused): the
		// fleet is read in full, as with --no-cache.
		opts.CacheDir, _ = safefs.UserCache("baton", "fleet")
	}
	fl, err := fleet.Open(ctx, specs, opts)
	if err != nil {
		return err
	}
	defer fl.Close(ctx)
	for _, s := range fl.Skipped {
		fmt.Fprintf(g.stderr, "baton: skipped %v\n", s)
	}
	err = fn(ctx, fl)
	if unknownPerson := new(fleet.ErrUnknownPerson); errors.As(err, &unknownPerson) {
		return unknownInFleet{err}
	}
	return err
}

// unknownInFleet exits 8, as any id the files lack, in its own words.
type unknownInFleet struct{ error }

func (unknownInFleet) Is(target error) bool { return target == errUnknown }

type fleetEntitlement struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Via  string `json:"via"`
}

type fleetAccount struct {
	App          string             `json:"app"`
	ID           string             `json:"id"`
	Name         string             `json:"name"`
	Status       string             `json:"status"`
	Type         string             `json:"type"`
	Entitlements []fleetEntitlement `json:"entitlements"`
}

func (g *globals) fleetWho(fl *fleet.Fleet, query string) error {
	p, err := fl.Find(query)
	if err != nil {
		return err
	}
	// What each account holds comes with it (from the cache when the
	// file is unchanged): no file is opened.
	var accounts []fleetAccount
	for _, a := range p.Accounts {
		fa := fleetAccount{App: a.App.Name, ID: a.Ref(), Name: a.Name(), Status: a.Status, Type: a.Type, Entitlements: []fleetEntitlement{}}
		for _, h := range a.Holdings {
			fa.Entitlements = append(fa.Entitlements, fleetEntitlement{ID: h.Entitlement, Name: h.Name, Via: viaText(h.Direct, h.Through)})
		}
		accounts = append(accounts, fa)
	}
	if g.json() {
		return g.writeJSON(map[string]any{"person": map[string]string{"name": p.Name, "key": p.Key}, "accounts": accounts})
	}
	t := g.fleetRows("no account matched", "APP", "ACCOUNT", "NAME", "STATUS", "ENTITLEMENT", "VIA")
	for _, a := range accounts {
		if len(a.Entitlements) == 0 {
			t.row(a.App, a.ID, a.Name, a.Status, "-", "")
		}
		for _, e := range a.Entitlements {
			t.row(a.App, a.ID, a.Name, a.Status, e.ID, e.Via)
		}
	}
	return t.close()
}

func (g *globals) fleetPeople(ctx context.Context, fl *fleet.Fleet) error {
	type row struct {
		Name         string   `json:"name"`
		Key          string   `json:"key"`
		Enabled      []string `json:"enabled_in"`
		Disabled     []string `json:"disabled_in"`
		Entitlements int      `json:"grants"`
		Left         bool     `json:"left,omitempty"`
	}
	var rows []row
	for _, p := range fl.People() {
		r := row{Name: p.Name, Key: p.Key, Enabled: []string{}, Disabled: []string{}, Left: p.Left()}
		for _, a := range p.Accounts {
			if a.Enabled() {
				r.Enabled = append(r.Enabled, a.App.Name)
			} else {
				r.Disabled = append(r.Disabled, a.App.Name)
			}
			r.Entitlements += len(a.Holdings)
		}
		rows = append(rows, r)
	}
	if g.json() {
		return g.writeJSON(map[string]any{"people": rows})
	}
	t := g.fleetRows("no person matched", "PERSON", "KEY", "ENABLED IN", "DISABLED IN", "GRANTS")
	for _, r := range rows {
		name := r.Name
		if r.Left {
			name += " (left)"
		}
		t.row(name, r.Key, strings.Join(r.Enabled, ", "), strings.Join(r.Disabled, ", "), strconv.Itoa(r.Entitlements))
	}
	return t.close()
}

func (g *globals) fleetOrphans(ctx context.Context, fl *fleet.Fleet) error {
	unowned, left := fl.Orphans()
	type row struct {
		Kind   string `json:"kind"`
		App    string `json:"app"`
		ID     string `json:"id"`
		Name   string `json:"name"`
		Person string `json:"person,omitempty"`
		Grants int    `json:"grants"`
	}
	var rows []row
	for _, a := range unowned {
		rows = append(rows, row{"no person", a.App.Name, a.Ref(), a.Name(), "", len(a.Holdings)})
	}
	for _, a := range left {
		rows = append(rows, row{"person left", a.App.Name, a.Ref(), a.Name(), a.Person.Name, len(a.Holdings)})
	}
	if g.json() {
		return g.writeJSON(map[string]any{"orphans": rows})
	}
	t := g.fleetRows("no orphaned account", "KIND", "APP", "ACCOUNT", "NAME", "PERSON", "GRANTS")
	for _, r := range rows {
		t.row(r.Kind, r.App, r.ID, r.Name, r.Person, strconv.Itoa(r.Grants))
	}
	return t.close()
}

func fleetExportCmd(g *globals, ff *fleetFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{Use: "export --out DIR FILE|DIR|GLOB...", Short: "Write the fleet as Parquet tables (docs/parquet.md), for DuckDB, Athena, Spark",
		Args: cobra.MinimumNArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("fleet export needs --out <directory for the .parquet files>")
			}
			return g.withFleet(cmd, *ff, args, func(ctx context.Context, fl *fleet.Fleet) error { return fl.ExportParquet(ctx, out) })
		}}
	cmd.Flags().StringVar(&out, "out", "", "directory for apps, accounts, people, resources, entitlements and grants .parquet")
	return cmd
}

func (g *globals) fleetHolders(ctx context.Context, fl *fleet.Fleet, appName, entText string) error {
	var app *fleet.App
	var names []string
	for _, a := range fl.Apps {
		names = append(names, a.Name)
		if a.Name == appName {
			app = a
		}
	}
	if app == nil {
		return unknown("app", appName, names)
	}
	st, err := app.Store(ctx)
	if err != nil {
		return err
	}
	entID, err := (resolver{st, app.SyncID}).entitlement(ctx, entText)
	if err != nil {
		return err
	}
	byID := map[string]*fleet.Account{}
	for _, a := range fl.Accounts() {
		if a.App == app {
			byID[a.Ref()] = a
		}
	}
	type row struct {
		Principal string `json:"principal"`
		Name      string `json:"name"`
		Person    string `json:"person,omitempty"`
		Via       string `json:"via"`
	}
	var out []row
	chains := newChainFinder(st, app.SyncID)
	for v, err := range st.GrantViews(ctx, c1z.GrantQuery{SyncID: app.SyncID, EntitlementID: entID}) {
		if err != nil {
			return err
		}
		via, err := chains.text(ctx, v.Grant)
		if err != nil {
			return err
		}
		pid := v.Grant.GetPrincipal().GetId()
		r := row{Principal: rid(pid), Name: v.Principal.GetDisplayName(), Via: via}
		if a := byID[rid(pid)]; a != nil && a.Person != nil {
			r.Person = a.Person.Name
		}
		out = append(out, r)
	}
	if g.json() {
		return g.writeJSON(map[string]any{"app": app.Name, "entitlement": entID, "holders": out})
	}
	t := g.fleetRows("no holder", "PRINCIPAL", "NAME", "PERSON", "VIA")
	for _, r := range out {
		t.row(r.Principal, r.Name, r.Person, r.Via)
	}
	return t.close()
}

func (g *globals) fleetStats(_ context.Context, fl *fleet.Fleet) error {
	st := map[string]int{"apps": len(fl.Apps), "people": len(fl.People()), "skipped_files": len(fl.Skipped)}
	for _, a := range fl.Accounts() {
		st["accounts"]++
		switch {
		case !a.Human():
			st["service_accounts"]++
		case a.Person == nil:
			st["unmatched_accounts"]++
		}
	}
	if g.json() {
		return g.writeJSON(st)
	}
	t := g.fleetRows("", "APPS", "ACCOUNTS", "SERVICE ACCOUNTS", "PEOPLE", "UNMATCHED", "SKIPPED FILES")
	t.row(strconv.Itoa(st["apps"]), strconv.Itoa(st["accounts"]), strconv.Itoa(st["service_accounts"]), strconv.Itoa(st["people"]),
		strconv.Itoa(st["unmatched_accounts"]), strconv.Itoa(st["skipped_files"]))
	return t.close()
}

// rows is a fleet answer's table: aligned for a terminal, or CSV with
// -o csv (a header, then a record per row, nothing escaped away).
type rows interface {
	row(cols ...string)
	close() error
}

func (g *globals) fleetRows(none string, header ...string) rows {
	if g.output == "csv" {
		w := csv.NewWriter(g.stdout)
		w.Write(header)
		return csvRows{w}
	}
	return g.listing(none, header...)
}

type csvRows struct{ w *csv.Writer }

func (c csvRows) row(cols ...string) { c.w.Write(cols) }
func (c csvRows) close() error {
	c.w.Flush()
	return c.w.Error()
}

func (g *globals) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = g.stdout.Write(append(b, '\n'))
	return err
}

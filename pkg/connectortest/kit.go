package connectortest

import (
	"context"
	"fmt"
	"slices"
	"time"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/contract"
)

// A check reads through the kit and records what it finds in its result.
// needs names the checks whose reading it builds on: a check runs after
// them and is not run (failed, naming the cause) when one of them failed.
type check struct {
	id, title string
	needs     []string
	run       func(k *kit, ctx context.Context, r *CheckResult)
}

// checks is the kit, in the order it runs.
var checks = []check{
	{"metadata", "GetMetadata and Validate answer; the metadata is valid and named", nil, (*kit).checkMetadata},
	{"resource-types", "ListResourceTypes pages to its end and returns at least one type", []string{"metadata"}, (*kit).checkResourceTypes},
	{"resources", "ListResources of every type and child type answers, with objects of that type under that parent", []string{"resource-types"}, (*kit).checkResources},
	{"entitlements", "ListStaticEntitlements and ListEntitlements answer, each entitlement on the resource listed", []string{"resources"}, (*kit).checkEntitlements},
	{"grants", "ListGrants answers for every resource, each grant on an entitlement of that resource", []string{"resources"}, (*kit).checkGrants},
	{"pagination", "at every page size, each listing ends, never returns a token twice, and never goes back to a page it gave", []string{"resources"}, (*kit).checkPagination},
	{"unique-ids", "no listing returns an object twice", []string{"resources"}, (*kit).checkUniqueIDs},
	{"page-sizes", "each listing walked at small page sizes lists exactly what the default size lists", []string{"resources"}, (*kit).checkPageSizes},
	{"validate", "every object passes the contract's validation rules", []string{"entitlements", "grants"}, (*kit).checkValidate},
	{"ids", "entitlement ids are <type>:<id>:<slug>, grant ids <entitlement id>:<principal type>:<principal id>", []string{"entitlements", "grants"}, (*kit).checkIDs},
	{"references", "each grant's entitlement and principal were listed (or are announced as external), as are the entitlements it expands from", []string{"entitlements", "grants"}, (*kit).checkReferences},
	{"hierarchy", "child resource types exist, and every parent a resource names was listed", []string{"resources"}, (*kit).checkHierarchy},
	{"capabilities", "every capability the metadata advertises has a service that answers", []string{"resources"}, (*kit).checkCapabilities},
	{"get-matches-list", "GetResource returns what ListResources returned, for types that advertise targeted sync", []string{"resources"}, (*kit).checkGetMatchesList},
	{"restart", "a fresh process answers entitlement and grant listings alone, as a resumed sync asks it to", []string{"entitlements", "grants"}, (*kit).checkRestart},
	{"provisioning", "grant then revoke leaves the grants as they were; a repeated grant or revoke succeeds and says it changed nothing", []string{"entitlements", "grants"}, (*kit).checkProvisioning},
}

// Checks lists the ids and titles of the kit's checks, in the order they
// run.
func Checks() [][2]string {
	out := make([][2]string, len(checks))
	for i, c := range checks {
		out[i] = [2]string{c.id, c.title}
	}
	return out
}

// UnknownCheckError is returned by Check for a WithChecks id the kit does
// not have.
type UnknownCheckError struct{ ID string }

func (e UnknownCheckError) Error() string {
	var ids []string
	for _, c := range checks {
		ids = append(ids, c.id)
	}
	return fmt.Sprintf("no check %q (the checks: %v)", e.ID, ids)
}

type kit struct {
	c        contract.Client
	opts     options
	rep      *Report
	inserted map[string]bool // resources known only from grants (InsertResourceGrants)
	walks    map[walkKey]*walk
	// what the collecting checks read, by listing
	resourceListings []listing
	entListings      []listing
	grantListings    []listing
	scopedEnts       map[string]bool // types listing entitlements once per type
	scopedGrants     map[string]bool
}

// Check runs the kit against client and returns the report; ctx bounds
// the whole run. The error is for a WithChecks id the kit does not have.
func Check(ctx context.Context, client contract.Client, opts ...Option) (*Report, error) {
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	want := map[string]bool{}
	for _, id := range o.only {
		if !slices.ContainsFunc(checks, func(c check) bool { return c.id == id }) {
			return nil, UnknownCheckError{id}
		}
		want[id] = true
	}
	// A chosen check runs what it needs too, reported only when asked for.
	run := map[string]bool{}
	var need func(id string)
	need = func(id string) {
		run[id] = true
		for _, c := range checks {
			if c.id == id {
				for _, n := range c.needs {
					need(n)
				}
			}
		}
	}
	for id := range want {
		need(id)
	}
	k := &kit{c: client, opts: o, inserted: map[string]bool{}, walks: map[walkKey]*walk{},
		scopedEnts: map[string]bool{}, scopedGrants: map[string]bool{},
		rep: &Report{Client: client, Resources: map[string]*connectorv2.Resource{}, Entitlements: map[string]*connectorv2.Entitlement{}}}
	results := map[string]*CheckResult{}
	for _, c := range checks {
		if len(want) > 0 && !run[c.id] {
			continue
		}
		r := &CheckResult{ID: c.id, Title: c.title, Status: Pass}
		start := time.Now()
		var blocked []string
		for _, n := range c.needs {
			if p := results[n]; p != nil && p.Status == Fail {
				blocked = append(blocked, n)
			}
		}
		switch {
		case len(blocked) > 0:
			r.failf("not run: it builds on %v, which failed", blocked)
			if len(want) > 0 { // the failed check is not in the report: say why here
				for _, n := range blocked {
					for _, p := range results[n].Problems {
						r.failf("%s: %s", n, p)
					}
				}
			}
		case ctx.Err() != nil:
			r.failf("not run: %v (the --timeout ran out)", context.Cause(ctx))
		default:
			c.run(k, ctx, r)
		}
		r.Millis = time.Since(start).Milliseconds()
		results[c.id] = r
		if len(want) == 0 || want[c.id] {
			k.rep.Checks = append(k.rep.Checks, r)
		}
	}
	return k.rep, nil
}

func skip(r *CheckResult, format string, args ...any) {
	r.Status, r.Reason = Skip, fmt.Sprintf(format, args...)
}

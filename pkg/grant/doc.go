// Package grant builds grants with Baton's id convention,
// "<entitlement id>:<principal type>:<principal id>":
//
//	g := grant.New(team, "member", resource.ID("user", "u-1"))
//	nested := grant.New(team, "member", resource.ID("group", "g-2"),
//		grant.Expandable(entitlement.ID(resource.ID("group", "g-2"), "member")))
package grant

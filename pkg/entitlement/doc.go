// Package entitlement builds entitlements with Baton's id convention,
// "<resource type>:<resource id>:<slug>":
//
//	member := entitlement.NewAssignment(team, "member", entitlement.GrantableTo(userType))
//	admin := entitlement.NewPermission(repo, "admin", entitlement.WithDescription("Can change settings"))
package entitlement

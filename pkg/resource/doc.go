// Package resource builds resource types and resources with their traits,
// so connector code reads like a description of the app:
//
//	userType := resource.NewType("user", "User", resource.WithTraits(connectorv2.ResourceType_TRAIT_USER),
//		resource.WithTypeAnnotations(&connectorv2.SkipEntitlementsAndGrants{}))
//	alice, err := resource.New(userType.GetId(), "u-123", "Alice",
//		resource.User(resource.Email("alice@example.com", true), resource.Login("alice"),
//			resource.UserStatus(connectorv2.UserTrait_Status_STATUS_ENABLED)))
//
// Ids follow Baton's convention: a ResourceId is the pair (resource type id,
// the app's own id); the store keys resources by "<type>:<id>".
package resource

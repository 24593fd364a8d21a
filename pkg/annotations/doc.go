// Package annotations reads and writes the typed extras that travel with
// every connector object and response as a list of google.protobuf.Any.
//
// Traits (UserTrait, GroupTrait...), sync hints (SkipGrants,
// ChildResourceType...), rate-limit reports and grant expansion all ride in
// annotations. Wrap the list, then add, find or pick by message type:
//
//	annos := annotations.Annotations(resource.GetAnnotations())
//	var ut connectorv2.UserTrait
//	if ok, err := annos.Pick(&ut); ok { ... }
//	resource.Annotations = annos.With(&connectorv2.SkipEntitlementsAndGrants{})
package annotations

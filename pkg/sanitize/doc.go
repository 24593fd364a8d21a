// Package sanitize writes an identity-stripped copy of a sync: the same
// graph (every resource, entitlement and grant, their types, parents,
// memberships and expansion) with every id, name, address and login
// replaced by a pseudonym, consistently, so that a user can attach the
// copy to a bug report. Descriptions, profiles, assets and annotations
// other than the traits and expansion markers are left out. With
// Options.Map the pseudonyms' originals are written to a 0600 file, so an
// answer about the copy can be translated back; the copy alone reveals
// none of them.
//
//	err := sanitize.Copy(ctx, src, "", "bug-report.c1z", sanitize.Options{Map: "bug-report.map.json"})
package sanitize

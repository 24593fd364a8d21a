// Package fleet answers questions across many applications' sync files:
// one person's accounts in every app, everyone with their apps, accounts
// that belong to nobody. A fleet is a set of c1z files (v1 or v3), one
// per application; Open takes paths, directories, globs and, through
// Options.List, prefixes in object storage.
//
// Accounts (resources with a UserTrait, and principals of grants of a user
// type that the file does not list) are matched to people by keys in
// an order the caller chooses (default: every email address, primary
// first; then login and its aliases; then employee id), normalised to
// lower case. With an identity provider's file (Options.IdP), its human
// accounts are the people and everything else is matched to them; without
// one, people are the groups of human accounts that share a key. Service
// and system accounts are never merged into a person.
//
//	f, err := fleet.Open(ctx, []string{"syncs/"}, fleet.Options{IdP: "syncs/okta.c1z"})
//	defer f.Close(ctx)
//	people := f.People()
package fleet

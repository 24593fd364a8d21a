// Package ldap is a connector for an LDAP directory (OpenLDAP, 389 DS, or
// any server with RFC 2696 paged results): its people and its groups
// (groupOfNames, groupOfUniqueNames and posixGroup), and who is a member of
// what, nested groups included.
//
// It is written only against batonkit's public API, as an author would
// write it, and shows what a real directory needs from a syncer:
//
//   - Users and groups are read with RFC 2696 paged searches, each on a
//     connection of its own. A paged-results cookie is valid only on the
//     connection that issued it, and only until another search runs there;
//     the syncer's phased order (every page of a listing before anything
//     else reaches that listing's connection) is what makes that work. The
//     cookie is the page token; a resumed sync in a new process starts the
//     listing again with a clear error rather than a wrong answer.
//   - Group members are DNs (member, uniqueMember) or uids (memberUid); a
//     member that is itself a group gets an expandable grant, so the
//     syncer's grant expansion gives its members the outer group too.
//   - Which member DNs are groups is recorded while the groups are listed,
//     in the sync's session store when the syncer offers one (so a resumed
//     sync in a new process still knows), else in memory; memberUids are
//     resolved to DNs with one search each, cached for the process.
//
// Resource ids are DNs as the directory returns them. Configuration:
// --url (ldap:// or ldaps://), --bind-dn, --bind-password (a secret: pass
// it as BATON_BIND_PASSWORD), --base-dn, and optional search bases,
// filters and page size; see cmd/baton-ldap.
package ldap

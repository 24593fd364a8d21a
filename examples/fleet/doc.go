// Package fleet is the example fleet: the bundled example apps synced
// side by side, as a company with one sync file per application would
// keep them, for `baton fleet` and `baton explorer` across apps. Its tests
// sync sqlapp (its own SQLite database), httpapp (a web API served in the
// test), the PostgreSQL connector against a real server (roles match by
// login) and, as the identity provider, the LDAP connector against a real
// slapd where one person is locked, and check baton fleet's people, who
// and orphans against each file's own listing.
package fleet

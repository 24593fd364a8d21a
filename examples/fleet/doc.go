// Package fleet is the example fleet: the bundled example apps synced
// side by side, as a company with one sync file per application would
// keep them, for `baton fleet` and `baton explorer` across apps. Its test
// syncs sqlapp (its own SQLite database) and httpapp (a web API served in
// the test) and checks baton fleet's answers against each file's own
// listing.
package fleet

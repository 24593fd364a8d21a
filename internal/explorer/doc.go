// Package explorer serves a read-only web view of a sync file: resource
// types with counts, resources (searched and paged on the server), one
// resource with its entitlements and who holds each, a principal's
// effective access with the path that gives each grant drawn as a graph,
// entitlements, the syncs in the file and a diff between two of them.
//
// Every page has a JSON twin under /api (the same path and query), so a
// script gets what the page shows; API.md documents the shapes. Pages are
// rendered on the server from embedded templates and stylesheet, the graph
// as SVG: the binary needs nothing from the internet and serves no script.
//
// The data is who can reach what, so the server protects it: it answers
// only loopback clients and Host names (a web page elsewhere cannot reach
// it through DNS rebinding), and only requests carrying the token it was
// started with (in the first URL, then an HttpOnly cookie, or a bearer
// header for scripts). The file is reopened when it changes on disk, and a
// file that cannot be read gives an error page while the server keeps
// running.
//
//	srv, err := explorer.New(explorer.Config{Path: "sync.c1z"})
//	...
//	http.Serve(ln, srv)
package explorer

// Package httpapp is the example to start from: a small JSON web app and
// a complete connector for it, written as most connectors are, on
// pkg/uhttp. The app (App, also runnable as cmd/httpapp-server) has users,
// teams and projects whose viewer, editor and admin roles are given to
// users or to whole teams; its API pages by page number and wants a bearer
// token.
//
// The connector (cmd/baton-httpapp) shows the pieces an author needs:
//
//   - config fields, the token a secret (BATON_TOKEN, never a flag);
//   - a uhttp client with a base URL and bearer auth, which retries, keeps
//     to the app's rate limit and sends the token only to the app;
//   - page-number tokens (pagination.ParsePageNumber);
//   - users that nothing is granted on (connector.NoAccess plus
//     SkipEntitlementsAndGrants);
//   - a team membership entitlement, and project roles granted to teams as
//     expandable grants, so the syncer gives the team's members the role;
//   - provisioning: Grant and Revoke call the API, with 409 and 404 read
//     as already granted and already revoked (uhttp.AlreadyGranted).
//
// Try it:
//
//	go run ./examples/httpapp/cmd/httpapp-server -addr 127.0.0.1:8080 &   # token from BATON_TOKEN
//	BATON_TOKEN=... go run ./examples/httpapp/cmd/baton-httpapp --file sync.c1z
//	baton access -t user -r u2 -f sync.c1z
package httpapp

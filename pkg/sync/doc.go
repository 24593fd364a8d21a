// Package sync drives a connector into a c1z file.
//
// A Syncer takes a contract.Client (so the connector may run in this
// process, behind loopback gRPC, or as a child process in any language) and
// a writable *c1z.Store. Run walks the connector as a stack of small
// actions: list the resource types, then each type's resources page by page
// (with each page's entitlements and grants, fanned out to workers), child
// resource types as they are announced, and finally grant expansion.
//
// The stack is the sync's state. It is saved as a versioned JSON token in
// the sync run on a timer and at every phase boundary, in the same
// transaction as the rows written before it, so a sync that is killed or
// cancelled resumes where it stopped:
//
//	st, _ := c1z.Open(ctx, "sync.c1z")
//	defer st.Close(ctx)
//	res, err := sync.New(client, st, sync.WithWorkers(4)).Run(ctx)
//	if errors.Is(err, sync.ErrInterrupted) { /* run again later: it resumes */ }
//
// The token holds actions, never objects: a page token per listing in
// progress, whatever the tenant's size.
package sync

// Package compact folds a full sync and the syncs that came after it
// into one full sync: what `baton compact`, a connector's --compact-syncs
// and service mode's compact_syncs tasks do.
//
// A targeted sync (--sync-resources) writes a partial sync that readers
// ignore until it is folded into a full one; a sync diff writes a
// partial_upserts and a partial_deletions sync. Compact applies each, in
// order, to a new file (see c1z.SyncWriter.Apply for what each type
// does), and runs grant expansion again when a partial sync may have
// changed who holds what. The result lists what a full sync of the app
// after those changes would list.
//
//	inputs, err := compact.Select(ctx, "sync.c1z")
//	res, err := compact.Compact(ctx, "compacted.c1z", inputs, compact.Options{})
package compact

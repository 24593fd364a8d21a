// Package expand performs grant expansion: when a grant says its principal
// (a group, say) passes an entitlement on to the holders of other
// entitlements (connectorv2.GrantExpandable), everyone holding those
// entitlements receives the granted entitlement too, transitively.
//
// The expander builds a graph whose nodes are entitlements and whose edges
// run from a source entitlement to the entitlement its holders inherit. It
// collapses cycles into strongly connected components, walks the
// components in topological order so every source is final before it is
// copied, and iterates inside a cycle until nothing changes. Only the
// edges live in memory; grants stream through the store.
//
// Expanded grants carry their origin in Grant.sources: the entitlements
// they were derived from, and whether the principal held each directly.
// A grant created purely by expansion is marked GrantImmutable, since
// revoking it means leaving the group it came through.
package expand

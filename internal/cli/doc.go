// Package cli implements the baton command: explore, compare and export
// c1z sync files written by batonkit or by Baton's own tools, and run
// connectors into them. cmd/baton is a thin main around Execute.
package cli

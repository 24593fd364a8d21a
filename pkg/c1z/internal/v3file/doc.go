// Package v3file reads Baton's "v3" sync files for package c1z: the
// manifest (ReadHead), the payload unpacked to a directory (Extract), the
// Pebble database in it (Open, Scan, Seeker), and its c1.storage.v3
// records translated into the connector contract's messages (Resource,
// Grant, ...), as Baton's own reader gives them.
//
// The records and the manifest are decoded with the types generated from
// proto/c1/storage/v3 and proto/c1/c1z/v3, which the wire check compares
// with the descriptors Baton's own files carry, through the UnmarshalVT
// methods protoc-gen-go-vtproto generates beside them: a listing decodes
// every record of a sync, and the reflective decoder made listings a
// quarter slower than the hand decoder this package replaced. Errors wrap c1z's
// sentinels (internal/c1zerr), so c1z returns them as they are.
//
// c1z serves v3 files through the v1 readers: v3direct.go lists straight
// from a DB, v3import.go copies a DB into v1 tables for the rest.
package v3file

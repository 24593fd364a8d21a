// Command v3descriptors writes the descriptor set a v3 c1z carries in its
// manifest: the c1.storage.v3 record messages as the file's writer built
// them. The wire check compares our vendored protos against the set in
// one of Baton's own files:
//
//	v3descriptors IN.c1z OUT.binpb
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/proto"

	c1zv3 "github.com/batonkit/batonkit/pb/c1/c1z/v3"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: v3descriptors IN.c1z OUT.binpb")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "v3descriptors:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var head [9]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return fmt.Errorf("%s: header: %w", in, err)
	}
	if string(head[:5]) != "C1Z3\x00" {
		return fmt.Errorf("%s is not a v3 c1z", in)
	}
	raw := make([]byte, binary.BigEndian.Uint32(head[5:]))
	if _, err := io.ReadFull(f, raw); err != nil {
		return fmt.Errorf("%s: manifest: %w", in, err)
	}
	m := &c1zv3.C1ZManifestV3{}
	if err := proto.Unmarshal(raw, m); err != nil {
		return fmt.Errorf("%s: manifest: %w", in, err)
	}
	if len(m.GetDescriptors().GetFile()) == 0 {
		return errors.New(in + ": the manifest carries no descriptors")
	}
	b, err := proto.Marshal(m.GetDescriptors())
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o600)
}

// Command wiresubset writes the part of a FileDescriptorSet made of the
// named files, so the wire check can hold a package we implement only in
// part (c1.connectorapi.baton.v1: its session store so far) to the
// reference, file by file, with zero problems.
//
//	wiresubset -in baton.binpb -out subset.binpb c1/connectorapi/baton/v1/session.proto
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

func main() {
	in := flag.String("in", "", "FileDescriptorSet to read")
	out := flag.String("out", "", "FileDescriptorSet to write")
	flag.Parse()
	if err := run(*in, *out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "wiresubset:", err)
		os.Exit(1)
	}
}

func run(in, out string, files []string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	set := &descriptorpb.FileDescriptorSet{}
	if err := proto.Unmarshal(b, set); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	sub := &descriptorpb.FileDescriptorSet{}
	for _, f := range set.GetFile() {
		if slices.Contains(files, f.GetName()) {
			sub.File = append(sub.File, f)
		}
	}
	if len(sub.File) != len(files) {
		return fmt.Errorf("%s holds %d of the %d files asked for", in, len(sub.File), len(files))
	}
	b, err = proto.Marshal(sub)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o600)
}

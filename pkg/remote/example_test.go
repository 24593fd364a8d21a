package remote_test

import (
	"context"
	"log"
	"os"

	"github.com/batonkit/batonkit/pkg/remote"
)

// A sync into a bucket: the callback writes the local copy (here, a
// stand-in for runner.SyncToFile), Sync uploads it.
func ExampleFile_Sync() {
	ctx := context.Background()
	f, err := remote.Open(ctx, "s3://acme-baton/okta.c1z", remote.Options{Region: "eu-west-1", SSE: "aws:kms"})
	if err != nil {
		log.Fatal(err)
	}
	err = f.Sync(ctx, func(local string) error {
		return os.WriteFile(local, []byte("a c1z"), 0o600)
	})
	if err != nil {
		log.Fatal(err) // remote.ErrUpload: the file is kept locally and uploaded next time
	}
}

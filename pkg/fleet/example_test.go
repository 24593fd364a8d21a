package fleet_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/pkg/fleet"
)

// Three apps' sync files, the IdP's among them: who is everyone, and
// which accounts outlived their person.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "fleet")
	defer os.RemoveAll(dir)
	idp, _, _ := c1ztest.Fleet(&testing.T{}, dir)

	ctx := context.Background()
	f, err := fleet.Open(ctx, []string{filepath.Join(dir, "*.c1z")}, fleet.Options{IdP: idp})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close(ctx)
	for _, p := range f.People() {
		fmt.Printf("%s: %d accounts, left: %v\n", p.Name, len(p.Accounts), p.Left())
	}
	unowned, left := f.Orphans()
	fmt.Println("no person:", unowned[0].App.Name, unowned[0].Name())
	fmt.Println("person left:", left[0].App.Name, left[0].Name())
	// Output:
	// Ada Lovelace: 3 accounts, left: false
	// Bob Marley: 2 accounts, left: true
	// Cy Young: 2 accounts, left: false
	// no person: wiki Eve
	// person left: wiki Bob
}

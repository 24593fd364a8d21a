package pagination_test

import (
	"testing"

	"github.com/batonkit/batonkit/pkg/pagination"
)

// Page tokens come back from the syncer, which got them from a connector
// or from a file: any string parses or is ErrBadToken, and a parsed bag
// round-trips.
func FuzzParse(f *testing.F) {
	b := &pagination.Bag{}
	b.Push(pagination.State{Kind: "user", Token: "p2"})
	tok, _ := b.Token()
	f.Add(tok)
	f.Add("")
	f.Add("e30")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, token string) {
		bag, err := pagination.Parse(token)
		if err != nil {
			return
		}
		again, err := bag.Token()
		if err != nil {
			return // too large for the contract: refused, not broken
		}
		if _, err := pagination.Parse(again); err != nil {
			t.Fatalf("a marshalled bag does not parse: %v", err)
		}
	})
}

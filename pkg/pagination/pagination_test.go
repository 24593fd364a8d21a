package pagination_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/batonkit/batonkit/pkg/pagination"
)

// api pages two lists of 3 items, 2 at a time.
func api(kind, cursor string) ([]string, string) {
	start := 0
	fmt.Sscan(cursor, &start)
	var out []string
	for i := start; i < min(start+2, 3); i++ {
		out = append(out, fmt.Sprintf("%s%d", kind, i))
	}
	if start+2 < 3 {
		return out, fmt.Sprint(start + 2)
	}
	return out, ""
}

func TestBagWalksNestedListings(t *testing.T) {
	var got []string
	token := ""
	for calls := 0; ; calls++ {
		if calls > 10 {
			t.Fatal("paging does not end")
		}
		bag, err := pagination.Parse(token)
		if err != nil {
			t.Fatal(err)
		}
		if bag.Current() == nil && token == "" {
			bag.Push(pagination.State{Kind: "owner"})
			bag.Push(pagination.State{Kind: "member"})
		}
		cur := bag.Current()
		items, next := api(cur.Kind, cur.Token)
		got = append(got, items...)
		bag.Next(next)
		if token, err = bag.Token(); err != nil {
			t.Fatal(err)
		}
		if token == "" {
			break
		}
	}
	want := []string{"member0", "member1", "member2", "owner0", "owner1", "owner2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	for _, tok := range []string{"!!!", "bm90IGpzb24"} {
		if _, err := pagination.Parse(tok); !errors.Is(err, pagination.ErrBadToken) {
			t.Errorf("Parse(%q) = %v, want ErrBadToken", tok, err)
		}
	}
}

func ExampleBag() {
	bag, _ := pagination.Parse("")
	bag.Push(pagination.State{Kind: "team", ID: "t1"})
	bag.Next("cursor-2")
	token, _ := bag.Token()
	again, _ := pagination.Parse(token)
	fmt.Println(again.Current().Kind, again.Current().ID, again.Current().Token)
	// Output: team t1 cursor-2
}

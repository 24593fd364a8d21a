package pagination_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/batonkit/batonkit/pkg/pagination"
)

func TestOffsetAndPageNumber(t *testing.T) {
	o, err := pagination.ParseOffset("", 0, 50)
	if err != nil || o.Start != 0 || o.Size != 50 || o.Next(50) != "50" || o.Next(49) != "" {
		t.Fatalf("offset: %+v %v", o, err)
	}
	o, _ = pagination.ParseOffset("50", 10, 50)
	if o.Start != 50 || o.Size != 10 || o.Next(10) != "60" {
		t.Fatalf("offset 50: %+v", o)
	}
	if _, err := pagination.ParseOffset("-1", 0, 50); !errors.Is(err, pagination.ErrBadToken) {
		t.Fatalf("bad offset: %v", err)
	}
	p, err := pagination.ParsePageNumber("")
	if err != nil || p.Page != 1 || p.Next(true) != "2" || p.Next(false) != "" {
		t.Fatalf("page: %+v %v", p, err)
	}
	if _, err := pagination.ParsePageNumber("0"); !errors.Is(err, pagination.ErrBadToken) {
		t.Fatalf("page 0: %v", err)
	}
}

func ExampleParseOffset() {
	items := []string{"a", "b", "c", "d", "e"}
	token := ""
	for {
		o, _ := pagination.ParseOffset(token, 2, 50) // as from a PageRequest
		page := items[o.Start:min(o.Start+o.Size, len(items))]
		fmt.Println(page)
		if token = o.Next(len(page)); token == "" {
			break
		}
	}
	// Output:
	// [a b]
	// [c d]
	// [e]
}

// Page-number APIs: the token is the next page's number.
func ExampleParsePageNumber() {
	token := ""
	for {
		pg, err := pagination.ParsePageNumber(token)
		if err != nil {
			panic(err)
		}
		more := pg.Page < 3 // the API said has_more
		fmt.Println("GET /users?page=" + fmt.Sprint(pg.Page))
		if token = pg.Next(more); token == "" {
			break
		}
	}
	// Output:
	// GET /users?page=1
	// GET /users?page=2
	// GET /users?page=3
}

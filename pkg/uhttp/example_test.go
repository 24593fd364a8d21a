package uhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/batonkit/batonkit/pkg/uhttp"
)

func ExampleClient_GetJSON() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "41")
		fmt.Fprint(w, `{"users":[{"id":"u1","email":"ada@example.com"}]}`)
	}))
	defer api.Close()

	c, err := uhttp.New(uhttp.WithBaseURL(api.URL+"/v1/"), uhttp.WithBearerToken("secret-token"))
	if err != nil {
		panic(err)
	}
	var page struct {
		Users []struct{ ID, Email string }
	}
	resp, err := c.GetJSON(context.Background(), "users", &page)
	if err != nil {
		panic(err)
	}
	fmt.Println(page.Users[0].Email, resp.RateLimit.GetRemaining(), len(resp.Annotations))
	// Output: ada@example.com 41 1
}

func ExampleWithBaseURL() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
	}))
	defer api.Close()

	// No trailing slash needed, and a leading one on the path is fine:
	// both requests go below /api/v2.
	c, _ := uhttp.New(uhttp.WithBaseURL(api.URL + "/api/v2"))
	for _, p := range []string{"teams", "/teams/t1"} {
		var out struct{ Path string }
		if _, err := c.GetJSON(context.Background(), p, &out); err != nil {
			panic(err)
		}
		fmt.Println(out.Path)
	}
	// Output:
	// /api/v2/teams
	// /api/v2/teams/t1
}

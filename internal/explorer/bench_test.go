package explorer_test

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkPagesH100k times each page's server answer on the H100k file
// (100k users, 5k groups of 20), over loopback HTTP as a browser asks.
//
//	go test ./internal/explorer -run '^$' -bench PagesH100k -benchtime 20x
func BenchmarkPagesH100k(b *testing.B) {
	base, token := serve(b, h100kFile(b))
	client := &http.Client{}
	for _, p := range []struct{ name, path string }{
		{"overview", "/"},
		{"resources", "/resources?type=user"},
		{"resources-page-1000", "/resources?type=user&page=cjUwMDAw"}, // after row 50,000
		{"search-one-of-100k", "/resources?type=user&q=u0099999"},
		{"search-common", "/resources?type=user&q=user"},
		{"group", "/resource?type=group&id=g00001"},
		{"user", "/resource?type=user&id=u0000020"},
		{"access", "/access?type=user&id=u0000020"},
		{"entitlements", "/entitlements"},
		{"entitlement", "/entitlement?id=group:g00001:member"},
		{"api-resources", "/api/resources?type=user"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, base+p.path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", p.path, resp.StatusCode)
				}
			}
		})
	}
}

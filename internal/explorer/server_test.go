package explorer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonkit/batonkit/internal/explorer"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/c1z"
)

func fetch(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func request(t *testing.T, url, token string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// Who may read: loopback clients with the token, nobody else.
func TestOnlyLoopbackWithTheToken(t *testing.T) {
	base, token := serve(t, demoFile(t))

	resp, body := fetch(t, request(t, base+"/", ""))
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "token") {
		t.Errorf("no token: %d %q", resp.StatusCode, body)
	}
	if resp, _ := fetch(t, request(t, base+"/api/", "wrong")); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong bearer token: %d", resp.StatusCode)
	}
	if resp, _ := fetch(t, request(t, base+"/?token=wrong", "")); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong URL token: %d", resp.StatusCode)
	}

	// The URL's token becomes a strict, script-proof cookie and leaves
	// the address.
	resp, _ = fetch(t, request(t, base+"/resources?type=user&token="+token, ""))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != prefix(base)+"resources?type=user" {
		t.Fatalf("token URL: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		cookie = c
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie %+v", cookie)
	}
	// The cookie is this run's alone: its own name and path, and not the
	// token itself.
	if cookie.Path != prefix(base) || !strings.Contains(cookie.Name, strings.Trim(prefix(base), "/")) || cookie.Value == token {
		t.Fatalf("cookie %+v is not scoped to the run at %s", cookie, prefix(base))
	}
	req := request(t, base+"/resources?type=user", "")
	req.AddCookie(cookie)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, body := fetch(t, req); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Ada Lovelace") {
		t.Errorf("with the cookie: %d", resp.StatusCode)
	}

	// A page elsewhere that rebinds its name to 127.0.0.1 still sends its
	// own Host: refused.
	req = request(t, base+"/api/", token)
	req.Host = "attacker.example:80"
	if resp, _ := fetch(t, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: %d", resp.StatusCode)
	}
	req = request(t, base+"/api/", token)
	req.Host = "localhost"
	if resp, _ := fetch(t, req); resp.StatusCode != http.StatusOK {
		t.Errorf("Host localhost: %d", resp.StatusCode)
	}

	// Read-only.
	req, _ = http.NewRequest(http.MethodPost, base+"/api/", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, _ := fetch(t, req); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}

	resp, _ = fetch(t, request(t, base+"/", token))
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func prefix(base string) string {
	u, _ := url.Parse(base)
	return u.Path + "/"
}

// A page another local server shows (another port is the same site to a
// browser) or a script that got hold of the cookie reads nothing: the
// cookie counts only on the explorer's own requests, scripts need the
// token, and nothing outside the run's path answers or receives it.
func TestCookieStaysWithItsExplorer(t *testing.T) {
	base, token := serve(t, demoFile(t))
	resp, _ := fetch(t, request(t, base+"/?token="+token, ""))
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	withCookie := func(path string, headers ...string) int {
		req := request(t, base+path, "")
		req.AddCookie(cookies[0])
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, _ := fetch(t, req)
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name    string
		headers []string
		want    int
	}{
		{"the explorer's own page", []string{"Sec-Fetch-Site", "same-origin"}, http.StatusOK},
		{"the address bar", []string{"Sec-Fetch-Site", "none"}, http.StatusOK},
		{"a page on another port", []string{"Sec-Fetch-Site", "same-site", "Origin", "http://127.0.0.1:3000"}, http.StatusForbidden},
		{"another site", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"a script replaying the cookie", nil, http.StatusForbidden},
		{"a foreign Origin", []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1:3000"}, http.StatusForbidden},
	} {
		if got := withCookie("/api/resources?type=user", tc.headers...); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	// Outside the run's path there is nothing, with any credential.
	u, _ := url.Parse(base)
	root := u.Scheme + "://" + u.Host
	if resp, _ := fetch(t, request(t, root+"/api/", token)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("outside the prefix: %d", resp.StatusCode)
	}
	// The redirect that drops the token stays on the explorer, whatever
	// the path says.
	for _, path := range []string{"//evil.example/x", "/%2F%2Fevil.example", "/\\evil.example"} {
		resp, _ := fetch(t, request(t, base+path+"?token="+token, ""))
		loc := resp.Header.Get("Location")
		if !strings.HasPrefix(loc, prefix(base)) || strings.HasPrefix(loc, "//") {
			t.Errorf("%s: redirect to %q", path, loc)
		}
	}
}

// A client that is not on loopback is refused even with the token. The
// handler sees the peer address the server gives it; here a request as the
// server would build it for a peer at 10.1.2.3.
func TestRefusesNonLoopbackClients(t *testing.T) {
	srv, err := explorer.New(explorer.Config{Path: demoFile(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	for _, remote := range []string{"10.1.2.3:5555", "[2001:db8::1]:443", "192.168.0.9:80"} {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/api/", nil)
		req.RemoteAddr = remote
		req.Header.Set("Authorization", "Bearer "+srv.Token())
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusForbidden {
			t.Errorf("peer %s: %d", remote, w.Code)
		}
	}
}

// Names from the file are text, never markup.
func TestNamesAreEscaped(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.c1z")
	st, err := c1z.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	run, err := st.StartSync(ctx, c1z.SyncFull, "")
	if err != nil {
		t.Fatal(err)
	}
	evil := `<img src=x onerror=alert(1)>`
	if err := run.PutResourceTypes(ctx, &connectorv2.ResourceType{Id: "user", DisplayName: evil}); err != nil {
		t.Fatal(err)
	}
	if err := run.PutResources(ctx, &connectorv2.Resource{Id: &connectorv2.ResourceId{ResourceType: "user", Resource: `"><script>x()</script>`}, DisplayName: evil}); err != nil {
		t.Fatal(err)
	}
	if _, err := run.End(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	base, token := serve(t, path)
	for _, p := range []string{"/", "/resources?type=user", "/resource?type=user&id=%22%3E%3Cscript%3Ex()%3C/script%3E"} {
		resp, body := fetch(t, request(t, base+p, token))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
		if strings.Contains(body, "<img") || strings.Contains(body, "<script") {
			t.Errorf("%s carries markup from the file:\n%s", p, body)
		}
		if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s does not show the name as text", p)
		}
	}
}

// Every page's JSON twin, on the demo file.
func TestAPI(t *testing.T) {
	base, token := serve(t, demoFile(t))
	decode := func(path string, wantCode int, v any) {
		t.Helper()
		resp, body := fetch(t, request(t, base+path, token))
		if resp.StatusCode != wantCode {
			t.Fatalf("%s: %d, want %d: %s", path, resp.StatusCode, wantCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s: Content-Type %q", path, ct)
		}
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	var o explorer.Overview
	decode("/api/", 200, &o)
	if len(o.Types) != 3 || o.Total.Grants != 19 || o.Sync.ID == "" {
		t.Errorf("overview %+v", o)
	}
	var rl explorer.ResourceList
	decode("/api/resources?type=user&q=hopper", 200, &rl)
	if len(rl.Items) != 1 || rl.Items[0].ID != "u2" {
		t.Errorf("search: %+v", rl)
	}
	var rd explorer.ResourceDetail
	decode("/api/resource?type=group&id=engineering", 200, &rd)
	if len(rd.Entitlements) != 1 || len(rd.Entitlements[0].Holders) != 4 || !rd.HoldsGrants || len(rd.Raw) == 0 {
		t.Errorf("group: %+v", rd)
	}
	var a explorer.Access
	decode("/api/access?type=user&id=u1&ent=group:everyone:member", 200, &a)
	if len(a.Grants) != 4 || len(a.Graph.Nodes) != 4 || len(a.Graph.Edges) != 3 {
		t.Errorf("access: %d grants, graph %d nodes %d edges", len(a.Grants), len(a.Graph.Nodes), len(a.Graph.Edges))
	}
	var el explorer.EntitlementList
	decode("/api/entitlements", 200, &el)
	if len(el.Items) != 6 {
		t.Errorf("entitlements: %d", len(el.Items))
	}
	var ed explorer.EntitlementDetail
	decode("/api/entitlement?id=role:admin:assigned", 200, &ed)
	if len(ed.Holders) != 1 || ed.Holders[0].Principal.ID != "u1" || !ed.Holders[0].Via.Direct {
		t.Errorf("admin holders %+v", ed.Holders)
	}
	var sl explorer.SyncList
	decode("/api/syncs", 200, &sl)
	if len(sl.Items) != 1 || !sl.Items[0].Current {
		t.Errorf("syncs %+v", sl)
	}
	var e struct {
		Error  string
		Status int
	}
	for path, code := range map[string]int{
		"/api/resource?type=user&id=nosuch": 404, "/api/resource?type=user": 400, "/api/nosuch": 404,
		"/api/resources?type=user&page=garbage!": 400, "/api/diff": 404, "/api/?sync=nosuch": 404,
		"/api/access?type=user&id=u2&ent=role:admin:assigned": 404,
	} {
		decode(path, code, &e)
		if e.Error == "" || e.Status != code {
			t.Errorf("%s: %+v", path, e)
		}
	}
}

// The same over a real socket: a server told to listen on every address
// still refuses a client that reaches it through the machine's network
// address.
func TestRefusesAClientOnTheNetworkAddress(t *testing.T) {
	var ip net.IP
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
			ip = n.IP
			break
		}
	}
	if ip == nil {
		t.Fatalf("this machine has no non-loopback IPv4 address to connect from (addresses: %v)", addrs)
	}
	srv, err := explorer.New(explorer.Config{Path: demoFile(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	defer hs.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	resp, body := fetch(t, request(t, fmt.Sprintf("http://%s:%d%sapi/", ip, port, srv.Prefix()), srv.Token()))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a client at %s: %d %s", ip, resp.StatusCode, body)
	}
}

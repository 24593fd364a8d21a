package uhttp_test

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/uhttp"
)

// seen records the Authorization header each path received.
type seen struct {
	mu   sync.Mutex
	auth map[string]string
}

func (s *seen) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.auth == nil {
		s.auth = map[string]string{}
	}
	s.auth[r.Host+r.URL.Path] = r.Header.Get("Authorization")
}

func (s *seen) get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.auth[key]
	return v, ok
}

// Credentials go only to the origin (scheme, host, port) the client was
// built for: a redirect to another port or host is followed without them
// (or refused, when asked), one within the origin keeps them, and a
// redirect from https to http is refused, for every kind of auth.
func TestCredentialsStayWithTheirOrigin(t *testing.T) {
	var log seen
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record(r)
		w.Write([]byte(`{}`))
	}))
	defer other.Close()
	otherHost := strings.TrimPrefix(other.URL, "http://")
	var api *httptest.Server
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record(r)
		switch r.URL.Path {
		case "/token":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"oauth-secret","token_type":"bearer","expires_in":3600}`))
		case "/elsewhere":
			http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/landed", http.StatusFound)
		default:
			w.Write([]byte(`{}`))
		}
	})
	api = httptest.NewServer(handler)
	defer api.Close()
	apiHost := strings.TrimPrefix(api.URL, "http://")

	kinds := map[string]uhttp.Option{
		"bearer": uhttp.WithBearerToken("bearer-secret"),
		"basic":  uhttp.WithBasicAuth("user", "basic-secret"),
		"oauth2": uhttp.WithOAuth2ClientCredentials(clientcredentials.Config{ClientID: "id", ClientSecret: "cs", TokenURL: api.URL + "/token"}),
	}
	for name, auth := range kinds {
		t.Run(name, func(t *testing.T) {
			c, err := uhttp.New(uhttp.WithBaseURL(api.URL+"/"), auth)
			if err != nil {
				t.Fatal(err)
			}
			var out map[string]any
			if _, err := c.GetJSON(t.Context(), "elsewhere", &out); err != nil {
				t.Fatal(err)
			}
			if a, ok := log.get(otherHost + "/landed"); !ok || a != "" {
				t.Fatalf("the other origin got Authorization %q (reached: %v)", a, ok)
			}
			if _, err := c.GetJSON(t.Context(), "here", &out); err != nil {
				t.Fatal(err)
			}
			if a, _ := log.get(apiHost + "/landed"); a == "" {
				t.Fatal("a redirect within the origin lost the credentials")
			}
			strict, err := uhttp.New(uhttp.WithBaseURL(api.URL+"/"), auth, uhttp.WithRedirects(uhttp.RefuseCrossOrigin))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := strict.GetJSON(t.Context(), "elsewhere", &out); !errors.Is(err, uhttp.ErrRedirectRefused) {
				t.Fatalf("RefuseCrossOrigin: err = %v", err)
			}
		})
	}

	// https -> http, on the same host: refused before anything is sent.
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/downgraded", http.StatusFound)
	}))
	defer secure.Close()
	hc := secure.Client()
	hc.Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a test server
	c, err := uhttp.New(uhttp.WithHTTPClient(hc), uhttp.WithBaseURL(secure.URL+"/"), uhttp.WithBearerToken("bearer-secret"))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if _, err := c.GetJSON(t.Context(), "x", &out); !errors.Is(err, uhttp.ErrRedirectRefused) {
		t.Fatalf("https to http: err = %v, want ErrRedirectRefused", err)
	}
	if _, ok := log.get(otherHost + "/downgraded"); ok {
		t.Fatal("the downgraded request was sent")
	}
}

// Errors never carry a URL's query (API keys live there) or credential
// values from the response body.
func TestErrorsCarryNoCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"denied","access_token":"tok-123","echo":"Authorization: Bearer abc.def"}`))
	}))
	defer srv.Close()
	c, err := uhttp.New(uhttp.WithBaseURL(srv.URL + "/"))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_, err = c.GetJSON(t.Context(), "users?api_key=k-456", &out)
	if err == nil {
		t.Fatal("a 403 was not an error")
	}
	for _, secret := range []string{"k-456", "tok-123", "abc.def"} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("the error shows %q: %v", secret, err)
		}
	}
	if !strings.Contains(err.Error(), "denied") || !strings.Contains(err.Error(), "/users") {
		t.Fatalf("the error lost what it is about: %v", err)
	}
	dead, _ := uhttp.New(uhttp.WithBaseURL("http://127.0.0.1:1/"), uhttp.WithRetry(uhttp.Retry{MaxAttempts: 1}))
	if _, err := dead.GetJSON(t.Context(), "x?token=k-789", &out); err == nil || strings.Contains(err.Error(), "k-789") {
		t.Fatalf("a transport error shows the query: %v", err)
	}
}

// Paths join the base URL's path, with or without a leading slash.
func TestPathsJoinTheBase(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RequestURI())
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c, err := uhttp.New(uhttp.WithBaseURL(srv.URL + "/api/v2"))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	for _, p := range []string{"users", "/users", "users?page=2"} {
		if _, err := c.GetJSON(t.Context(), p, &out); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(got, " ") != "/api/v2/users /api/v2/users /api/v2/users?page=2" {
		t.Fatalf("requested %v", got)
	}
	if _, err := uhttp.New(uhttp.WithBaseURL("api.example.com")); err == nil {
		t.Fatal("a base URL without scheme and host was accepted")
	}
}

// 409 on a grant and 404 on a revoke are "nothing to do", reported as the
// contract asks; the debug log shows each request without its query.
func TestProvisioningHelpersAndRequestLog(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			w.WriteHeader(http.StatusConflict)
		case http.MethodDelete:
			w.WriteHeader(http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer srv.Close()
	var logs strings.Builder
	c, _ := uhttp.New(uhttp.WithBaseURL(srv.URL), uhttp.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, err := c.PostJSON(t.Context(), "members?key=k-1", map[string]string{"user": "u1"}, nil)
	if annos, err := uhttp.AlreadyGranted(err); err != nil || !annos.Contains(&connectorv2.GrantAlreadyExists{}) {
		t.Fatalf("409: %v %v", annos, err)
	}
	_, err = c.DoJSON(t.Context(), http.MethodDelete, "members/u1", nil, nil)
	if annos, err := uhttp.AlreadyRevoked(err); err != nil || !annos.Contains(&connectorv2.GrantAlreadyRevoked{}) {
		t.Fatalf("404: %v %v", annos, err)
	}
	_, err = c.GetJSON(t.Context(), "members", nil)
	if _, err := uhttp.AlreadyGranted(err); err == nil {
		t.Fatal("a 403 became success")
	}
	if !strings.Contains(logs.String(), "status=409") || !strings.Contains(logs.String(), "method=DELETE") || strings.Contains(logs.String(), "k-1") {
		t.Fatalf("request log:\n%s", logs.String())
	}
}

package uhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/uhttp"
)

var fast = uhttp.WithRetry(uhttp.Retry{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond})

func TestJSONAndBearerAndRateLimitHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", "99")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
		json.NewEncoder(w).Encode(map[string]any{"users": []string{"a", "b"}})
	}))
	defer srv.Close()
	c, err := uhttp.New(uhttp.WithBaseURL(srv.URL+"/v1/"), uhttp.WithBearerToken("tok"), fast)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Users []string }
	resp, err := c.GetJSON(context.Background(), "users", &out)
	if err != nil || len(out.Users) != 2 {
		t.Fatalf("GetJSON: %v %v", out, err)
	}
	var rl connectorv2.RateLimitDescription
	if ok, _ := annotations.Annotations(resp.Annotations).Pick(&rl); !ok || rl.GetLimit() != 100 || rl.GetRemaining() != 99 ||
		rl.GetStatus() != connectorv2.RateLimitDescription_STATUS_OK || rl.GetResetAt() == nil {
		t.Fatalf("rate limit annotation %v", &rl)
	}
	bad, _ := uhttp.New(uhttp.WithBaseURL(srv.URL), fast)
	_, err = bad.GetJSON(context.Background(), "/v1/users", nil)
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("missing token: %v, want Unauthenticated", err)
	}
}

func TestRetriesUnavailableAndRespectsRetryAfter(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer srv.Close()
	c, _ := uhttp.New(fast)
	var out struct{ OK bool }
	if _, err := c.GetJSON(context.Background(), srv.URL, &out); err != nil || !out.OK || calls.Load() != 3 {
		t.Fatalf("after retries: %v %v (%d calls)", out, err, calls.Load())
	}
}

func TestPostIsNotRetriedOnServerErrors(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, _ := uhttp.New(fast)
	_, err := c.PostJSON(context.Background(), srv.URL, map[string]string{"a": "b"}, nil)
	if calls.Load() != 1 || status.Code(err) != codes.Unavailable {
		t.Fatalf("POST: %d calls, %v", calls.Load(), err)
	}
}

func TestPersistentRateLimitBecomesResourceExhaustedWithReset(t *testing.T) {
	reset := time.Now().Add(90 * time.Second).Unix()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c, _ := uhttp.New(uhttp.WithRetry(uhttp.Retry{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	_, err := c.GetJSON(context.Background(), srv.URL, nil)
	var ue *uhttp.Error
	if !errors.As(err, &ue) || ue.StatusCode != 429 {
		t.Fatalf("err %v", err)
	}
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || len(st.Details()) != 1 {
		t.Fatalf("status %v", st)
	}
	rl := st.Details()[0].(*connectorv2.RateLimitDescription)
	if rl.GetStatus() != connectorv2.RateLimitDescription_STATUS_OVERLIMIT || rl.GetResetAt().GetSeconds() != reset {
		t.Fatalf("rate limit detail %v", rl)
	}
}

func TestBasicAuthAndOAuth2ClientCredentials(t *testing.T) {
	var tokenCalls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			tokenCalls.Add(1)
			if id, secret, ok := r.BasicAuth(); !ok || id != "cid" || secret != "csecret" {
				http.Error(w, "bad client", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"at-1","token_type":"Bearer","expires_in":3600}`))
		case "/basic":
			if u, p, ok := r.BasicAuth(); !ok || u != "me" || p != "pw" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			w.Write([]byte(`{}`))
		default:
			if r.Header.Get("Authorization") != "Bearer at-1" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer srv.Close()
	basic, _ := uhttp.New(uhttp.WithBasicAuth("me", "pw"), fast)
	if _, err := basic.GetJSON(context.Background(), srv.URL+"/basic", nil); err != nil {
		t.Fatalf("basic auth: %v", err)
	}
	oc, err := uhttp.New(uhttp.WithOAuth2ClientCredentials(clientcredentials.Config{ClientID: "cid", ClientSecret: "csecret", TokenURL: srv.URL + "/token"}), fast)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		var out struct{ OK bool }
		if _, err := oc.GetJSON(context.Background(), srv.URL+"/api", &out); err != nil || !out.OK {
			t.Fatalf("oauth2 call %d: %v", i, err)
		}
	}
	if tokenCalls.Load() != 1 {
		t.Fatalf("token fetched %d times, want once (cached)", tokenCalls.Load())
	}
}

package uhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/batonkit/batonkit/internal/safetext"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

// Client is an HTTP client for one API. Safe for concurrent use.
type Client struct {
	hc        *http.Client
	base      *url.URL
	auth      func(*http.Request) error
	redirects RedirectPolicy
	log       *slog.Logger
	userAgent string
	retry     Retry
	limiter   *rate.Limiter
	gate      gate
}

// Retry bounds retries of failed requests.
type Retry struct {
	MaxAttempts int           // total attempts (default 4)
	BaseDelay   time.Duration // first backoff (default 250ms), doubled each time
	MaxDelay    time.Duration // longest single wait, Retry-After included (default 30s)
}

// Option configures New.
type Option func(*Client) error

// WithBaseURL makes request paths relative to base, as authors expect:
// with base "https://h/api/v2", GetJSON("users") and GetJSON("/users")
// both request https://h/api/v2/users. A full URL is used as it is.
func WithBaseURL(base string) Option {
	return func(c *Client) error {
		u, err := url.Parse(base)
		if err != nil {
			return fmt.Errorf("uhttp: base URL: %w", err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("uhttp: base URL %q: want http(s)://host[/path]", base)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.base = u
		return nil
	}
}

// WithBearerToken sends "Authorization: Bearer <token>".
func WithBearerToken(token string) Option {
	return func(c *Client) error {
		c.auth = func(r *http.Request) error { r.Header.Set("Authorization", "Bearer "+token); return nil }
		return nil
	}
}

// WithBasicAuth sends HTTP basic authentication.
func WithBasicAuth(user, password string) Option {
	return func(c *Client) error {
		c.auth = func(r *http.Request) error { r.SetBasicAuth(user, password); return nil }
		return nil
	}
}

// WithOAuth2ClientCredentials fetches and refreshes tokens with the
// client-credentials grant. The token is sent by this client, on requests
// to its own origin only (never by a transport on every request, where a
// redirect would carry it elsewhere).
func WithOAuth2ClientCredentials(cfg clientcredentials.Config) Option {
	return func(c *Client) error {
		// The token endpoint is called through the client configured so far.
		ts := cfg.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, c.hc))
		c.auth = func(r *http.Request) error {
			tok, err := ts.Token()
			if err != nil {
				return fmt.Errorf("uhttp: get an OAuth2 token: %w", err)
			}
			tok.SetAuthHeader(r)
			return nil
		}
		return nil
	}
}

// RedirectPolicy says what a redirect to another origin (scheme, host
// and port) does with the client's credentials.
type RedirectPolicy int

const (
	// StripCredentials follows the redirect without the credentials (the
	// default). Redirects within the origin keep them.
	StripCredentials RedirectPolicy = iota
	// RefuseCrossOrigin fails the request instead.
	RefuseCrossOrigin
)

// WithRedirects sets the redirect policy. Whatever it is, a redirect from
// https to http is refused: it would send the request in clear text.
func WithRedirects(p RedirectPolicy) Option {
	return func(c *Client) error { c.redirects = p; return nil }
}

// ErrRedirectRefused is returned for a redirect the policy refuses.
var ErrRedirectRefused = errors.New("uhttp: redirect refused")

func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// checkRedirect keeps credentials to the origin of the first request.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("%w: more than 10 redirects", ErrRedirectRefused)
	}
	from := via[0].URL
	if from.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: %s would downgrade to %s", ErrRedirectRefused, origin(from), origin(req.URL))
	}
	if origin(req.URL) != origin(from) {
		if c.redirects == RefuseCrossOrigin {
			return fmt.Errorf("%w: from %s to another origin, %s", ErrRedirectRefused, origin(from), origin(req.URL))
		}
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
		req.Header.Del("Proxy-Authorization")
	}
	return nil
}

// WithHTTPClient replaces the underlying client (timeouts, proxies, TLS).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error { c.hc = hc; return nil }
}

// WithRetry sets the retry policy.
func WithRetry(r Retry) Option { return func(c *Client) error { c.retry = r; return nil } }

// WithRateLimit spaces requests client-side (for example 10 per second).
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *Client) error {
		c.limiter = rate.NewLimiter(rate.Limit(perSecond), max(1, burst))
		return nil
	}
}

// WithLogger logs every request at debug level: method, URL without its
// query, status, time and attempt; never headers or bodies.
func WithLogger(l *slog.Logger) Option { return func(c *Client) error { c.log = l; return nil } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) error { c.userAgent = ua; return nil } }

// New returns a client.
func New(opts ...Option) (*Client, error) {
	c := &Client{hc: &http.Client{Timeout: 60 * time.Second}, userAgent: "batonkit-uhttp/1"}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	// Our own copy, so the redirect policy never changes a caller's client.
	hc := *c.hc
	hc.CheckRedirect = c.checkRedirect
	c.hc = &hc
	if c.retry.MaxAttempts <= 0 {
		c.retry.MaxAttempts = 4
	}
	if c.retry.BaseDelay <= 0 {
		c.retry.BaseDelay = 250 * time.Millisecond
	}
	if c.retry.MaxDelay <= 0 {
		c.retry.MaxDelay = 30 * time.Second
	}
	return c, nil
}

// Response is what a request returned, body already consumed.
type Response struct {
	StatusCode int
	Header     http.Header
	// RateLimit is the app's rate-limit state, when its headers say.
	RateLimit *connectorv2.RateLimitDescription
	// Annotations holds RateLimit as an annotation, ready to return with a
	// page of results.
	Annotations annotations.Annotations
}

// Error is a request that failed for good.
type Error struct {
	Method     string
	URL        string
	StatusCode int // 0 when no response arrived
	Body       string
	RateLimit  *connectorv2.RateLimitDescription
	Err        error // transport error, when StatusCode is 0 (its text without the URL's query)
	cause      error // the transport error itself, for errors.Is
}

func (e *Error) Error() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("%s %s: %v", e.Method, e.URL, e.Err)
	}
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.StatusCode, e.Body)
}

// withoutQuery drops a URL's query and credentials: errors and logs end up
// in places (tickets, CI output) where API keys in a query must not.
func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// redactBody shortens an error body and hides credential-looking values.
func redactBody(b string) string { return safetext.Redact(safetext.Clip(b, 512)) }

func (e *Error) Unwrap() error {
	if e.cause != nil {
		return e.cause
	}
	return e.Err
}

// GRPCStatus maps the failure to the status a connector should answer.
func (e *Error) GRPCStatus() *status.Status {
	code := codes.Unknown
	switch {
	case e.StatusCode == 0:
		code = codes.Unavailable
	case e.StatusCode == http.StatusUnauthorized:
		code = codes.Unauthenticated
	case e.StatusCode == http.StatusForbidden:
		code = codes.PermissionDenied
	case e.StatusCode == http.StatusNotFound:
		code = codes.NotFound
	case e.StatusCode == http.StatusTooManyRequests:
		code = codes.ResourceExhausted
	case e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity:
		code = codes.InvalidArgument
	case e.StatusCode == http.StatusConflict:
		code = codes.AlreadyExists
	case e.StatusCode >= 500:
		code = codes.Unavailable
	}
	st := status.New(code, e.Error())
	if e.RateLimit != nil {
		if d, err := st.WithDetails(e.RateLimit); err == nil {
			return d
		}
	}
	return st
}

// GetJSON sends GET path and decodes a JSON body into out (if non-nil).
func (c *Client) GetJSON(ctx context.Context, path string, out any) (*Response, error) {
	return c.DoJSON(ctx, http.MethodGet, path, nil, out)
}

// PostJSON sends body as JSON and decodes the reply into out.
func (c *Client) PostJSON(ctx context.Context, path string, body, out any) (*Response, error) {
	return c.DoJSON(ctx, http.MethodPost, path, body, out)
}

// DoJSON sends a request with an optional JSON body and decodes a JSON
// reply into out.
func (c *Client) DoJSON(ctx context.Context, method, path string, body, out any) (*Response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("uhttp: encode %s %s body: %w", method, path, err)
		}
	}
	u, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	idempotent := method != http.MethodPost && method != http.MethodPatch
	for attempt := 1; ; attempt++ {
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				return nil, err
			}
		}
		if err := c.gate.acquire(ctx); err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(payload))
		if err != nil {
			c.gate.release(nil, 0)
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.userAgent)
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.auth != nil {
			if err := c.auth(req); err != nil {
				c.gate.release(nil, 0)
				return nil, err
			}
		}
		began := time.Now()
		resp, rerr := c.hc.Do(req)
		if c.log != nil {
			code := 0
			if resp != nil {
				code = resp.StatusCode
			}
			c.log.DebugContext(ctx, "http request", "method", method, "url", withoutQuery(u), "status", code,
				"duration", time.Since(began).Round(time.Microsecond), "attempt", attempt)
		}
		var res *Response
		var fail *Error
		if rerr != nil {
			fail = &Error{Method: method, URL: withoutQuery(u), Err: errors.New(strings.ReplaceAll(rerr.Error(), u, withoutQuery(u))), cause: rerr}
		} else {
			res, fail = c.read(resp, method, u, out)
		}
		c.gate.release(res, c.retry.MaxDelay)
		if fail == nil {
			return res, nil
		}
		retryable := (fail.StatusCode == 0 && idempotent && ctx.Err() == nil && !errors.Is(fail, ErrRedirectRefused)) ||
			fail.StatusCode == http.StatusTooManyRequests ||
			(idempotent && (fail.StatusCode == http.StatusBadGateway || fail.StatusCode == http.StatusServiceUnavailable || fail.StatusCode == http.StatusGatewayTimeout))
		if !retryable || attempt >= c.retry.MaxAttempts {
			return res, fail
		}
		wait := c.backoff(attempt, res)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, fail
		case <-t.C:
		}
	}
}

func (c *Client) resolve(path string) (string, error) {
	if c.base == nil {
		return path, nil
	}
	ref, err := url.Parse(path)
	if err != nil {
		return "", fmt.Errorf("uhttp: path %q: %w", path, err)
	}
	if ref.IsAbs() {
		return ref.String(), nil
	}
	// Below the base's path, whether or not the path starts with a slash.
	ref.Path = strings.TrimLeft(ref.Path, "/")
	return c.base.ResolveReference(ref).String(), nil
}

func (c *Client) read(resp *http.Response, method, u string, out any) (*Response, *Error) {
	defer resp.Body.Close()
	res := &Response{StatusCode: resp.StatusCode, Header: resp.Header, RateLimit: rateLimitOf(resp)}
	if res.RateLimit != nil {
		res.Annotations = annotations.New(res.RateLimit)
	}
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return res, &Error{Method: method, URL: withoutQuery(u), StatusCode: resp.StatusCode, Body: redactBody(strings.TrimSpace(string(b))), RateLimit: res.RateLimit}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		io.Copy(io.Discard, resp.Body)
		return res, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil && !errors.Is(err, io.EOF) {
		return res, &Error{Method: method, URL: withoutQuery(u), StatusCode: resp.StatusCode, Body: "invalid JSON: " + err.Error()}
	}
	return res, nil
}

// backoff waits as long as the server asked (Retry-After, or until the
// rate-limit reset), else exponentially with full jitter.
func (c *Client) backoff(attempt int, res *Response) time.Duration {
	if res != nil {
		if d, ok := retryAfter(res.Header.Get("Retry-After")); ok {
			return min(d, c.retry.MaxDelay)
		}
		if res.RateLimit.GetResetAt() != nil && res.StatusCode == http.StatusTooManyRequests {
			if d := time.Until(res.RateLimit.GetResetAt().AsTime()); d > 0 {
				return min(d, c.retry.MaxDelay)
			}
		}
	}
	d := c.retry.BaseDelay << (attempt - 1)
	if d <= 0 || d > c.retry.MaxDelay {
		d = c.retry.MaxDelay
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t), true
	}
	return 0, false
}

// rateLimitOf reads the X-RateLimit-* family of headers (also the
// RateLimit-* draft names). Reset may be a Unix time or seconds from now.
func rateLimitOf(resp *http.Response) *connectorv2.RateLimitDescription {
	get := func(names ...string) string {
		for _, n := range names {
			if v := resp.Header.Get(n); v != "" {
				return v
			}
		}
		return ""
	}
	limit, remaining, reset := get("X-RateLimit-Limit", "RateLimit-Limit"), get("X-RateLimit-Remaining", "RateLimit-Remaining"), get("X-RateLimit-Reset", "RateLimit-Reset")
	if limit == "" && remaining == "" && reset == "" && resp.StatusCode != http.StatusTooManyRequests {
		return nil
	}
	rl := &connectorv2.RateLimitDescription{Status: connectorv2.RateLimitDescription_STATUS_OK}
	rl.Limit, _ = strconv.ParseInt(strings.TrimSpace(limit), 10, 64)
	rl.Remaining, _ = strconv.ParseInt(strings.TrimSpace(remaining), 10, 64)
	if n, err := strconv.ParseInt(strings.TrimSpace(reset), 10, 64); err == nil {
		at := time.Unix(n, 0)
		if n < 1_000_000_000 { // seconds from now, not a timestamp
			at = time.Now().Add(time.Duration(n) * time.Second)
		}
		rl.ResetAt = timestamppb.New(at)
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok && rl.ResetAt == nil {
		rl.ResetAt = timestamppb.New(time.Now().Add(d))
	}
	if resp.StatusCode == http.StatusTooManyRequests || (remaining != "" && rl.Remaining == 0) {
		rl.Status = connectorv2.RateLimitDescription_STATUS_OVERLIMIT
	}
	return rl
}

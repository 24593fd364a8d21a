// Package uhttp is the HTTP client connector authors reach for when the
// app has a REST API. It sends and decodes JSON, authenticates (bearer
// token, basic auth, OAuth2 client credentials), retries what is safe to
// retry with exponential backoff and jitter, honours Retry-After, and turns
// X-RateLimit-* headers into the RateLimitDescription annotation the
// syncer understands:
//
//	c, err := uhttp.New(uhttp.WithBaseURL("https://api.acme.test/v1/"), uhttp.WithBearerToken(token))
//	var page struct{ Users []apiUser; Next string }
//	resp, err := c.GetJSON(ctx, "users?cursor="+url.QueryEscape(cursor), &page)
//	// resp.Annotations carries the rate-limit report; return it with the page.
//
// Errors are *uhttp.Error values that carry a gRPC status (401 is
// Unauthenticated, 404 NotFound, 429 ResourceExhausted with the reset time,
// 5xx Unavailable), so the syncer retries and waits correctly.
package uhttp

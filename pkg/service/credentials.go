package service

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// Facts of ConductorOne's client-credentials exchange, as Baton's service
// mode speaks it.
const (
	assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	tokenPath     = "/auth/v1/token"
	secretVersion = "v1"
	// assertionLifetime bounds how long a signed assertion is good for;
	// the not-before goes as far back, for clocks that run behind.
	assertionLifetime = 2 * time.Minute
)

var (
	// ErrBadClientID: the client id is not NAME@TENANT-HOST/PATH.
	ErrBadClientID = errors.New("invalid client id: want the form name@tenant.conductor.one/pcc, as ConductorOne shows it")
	// ErrBadClientSecret: the client secret is not a v1 secret holding an
	// Ed25519 private key.
	ErrBadClientSecret = errors.New("invalid client secret: want the v1 secret ConductorOne showed when the client was created")
	// ErrUnauthenticated: the control plane refused the credentials. Not
	// worth retrying with the same ones.
	ErrUnauthenticated = errors.New("the control plane refused the client credentials")
)

// Credentials are a service-mode client: its id, the tenant host the id
// names, and the private key its secret holds. Their String and LogValue
// never show the key.
type Credentials struct {
	// ClientID is the whole id, NAME@HOST/PATH.
	ClientID string
	// Name is the part before the @; it prefixes the user agent.
	Name string
	// TenantHost is the host between the @ and the first /: where tokens
	// come from and what they are for (the assertion's audience).
	TenantHost string
	key        *jose.JSONWebKey
}

// ParseCredentials checks a client id and secret as ConductorOne issues
// them: the secret is four colon-separated parts, the third "v1" and the
// fourth a base64url JWK of an Ed25519 private key.
func ParseCredentials(clientID, clientSecret string) (*Credentials, error) {
	name, rest, ok := strings.Cut(clientID, "@")
	if !ok || name == "" {
		return nil, ErrBadClientID
	}
	host, _, ok := strings.Cut(rest, "/")
	if !ok || host == "" {
		return nil, ErrBadClientID
	}
	parts := strings.SplitN(clientSecret, ":", 4)
	if len(parts) != 4 || parts[2] != secretVersion {
		return nil, ErrBadClientSecret
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		return nil, ErrBadClientSecret
	}
	key := &jose.JSONWebKey{}
	if err := key.UnmarshalJSON(raw); err != nil || key.IsPublic() || !key.Valid() {
		return nil, ErrBadClientSecret
	}
	if _, ok := key.Key.(ed25519.PrivateKey); !ok {
		return nil, ErrBadClientSecret
	}
	return &Credentials{ClientID: clientID, Name: name, TenantHost: host, key: key}, nil
}

// NewSecret returns a client secret in ConductorOne's v1 format for key,
// and is how a test control plane issues one.
func NewSecret(key ed25519.PrivateKey) (string, error) {
	b, err := (&jose.JSONWebKey{Key: key}).MarshalJSON()
	if err != nil {
		return "", err
	}
	return "secret-token:conductorone.com:" + secretVersion + ":" + base64.RawURLEncoding.EncodeToString(b), nil
}

func (c *Credentials) String() string { return "client " + c.ClientID }

// LogValue keeps the key out of structured logs.
func (c *Credentials) LogValue() slog.Value { return slog.StringValue(c.ClientID) }

// audience is the tenant host without a port: tokens are for the tenant,
// whichever port the API answers on.
func (c *Credentials) audience() string {
	if h, _, err := net.SplitHostPort(c.TenantHost); err == nil {
		return h
	}
	return c.TenantHost
}

// assertion signs a fresh client assertion: EdDSA over the standard
// claims, with a random nonce in the protected header so a captured
// assertion cannot be replayed.
func (c *Credentials) assertion(now time.Time) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: c.key},
		&jose.SignerOptions{NonceSource: nonceSource{}})
	if err != nil {
		return "", err
	}
	claims := jwt.Claims{
		Issuer:    c.ClientID,
		Subject:   c.ClientID,
		Audience:  jwt.Audience{c.audience()},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-assertionLifetime)),
		Expiry:    jwt.NewNumericDate(now.Add(assertionLifetime)),
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// tokenSource trades assertions for access tokens at one origin, and
// only there: it follows no redirects.
type tokenSource struct {
	creds *Credentials
	url   string
	http  *http.Client
	agent string
}

func newTokenSource(creds *Credentials, apiHost string, tlsConfig *tls.Config, agent string) *tokenSource {
	return &tokenSource{
		creds: creds,
		url:   (&url.URL{Scheme: "https", Host: apiHost, Path: tokenPath}).String(),
		agent: agent,
		http: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{TLSClientConfig: tlsConfig, ForceAttemptHTTP2: true, Proxy: http.ProxyFromEnvironment},
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return errors.New("the token endpoint redirected; credentials are only sent to the configured host")
			},
		},
	}
}

// tokenResponse is the token endpoint's answer (RFC 6749 §5.1), with the
// error fields of §5.2.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// Token implements oauth2.TokenSource. A refusal (4xx) is a gRPC
// Unauthenticated status, so the RPC that needed the token fails with
// that code instead of gRPC's default Unavailable and is not retried.
func (s *tokenSource) Token() (*oauth2.Token, error) {
	assertion, err := s.creds.assertion(time.Now())
	if err != nil {
		return nil, fmt.Errorf("sign client assertion: %w", err)
	}
	form := url.Values{
		"client_id":             {s.creds.ClientID},
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {assertionType},
		"client_assertion":      {assertion},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", s.agent)
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "get an access token from %s: %v", s.url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "read the token from %s: %v", s.url, err)
	}
	var tr tokenResponse
	jsonErr := json.Unmarshal(bytes.TrimSpace(body), &tr)
	switch {
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		why := resp.Status
		if tr.Error != "" {
			why += ": " + strings.TrimSpace(tr.Error+" "+tr.Description)
		}
		return nil, status.Errorf(codes.Unauthenticated, "%v as %s: %s answered %q", ErrUnauthenticated, s.creds.ClientID, s.url, why)
	case resp.StatusCode != http.StatusOK:
		return nil, status.Errorf(codes.Unavailable, "get an access token from %s: %s", s.url, resp.Status)
	case jsonErr != nil:
		return nil, status.Errorf(codes.Unavailable, "the token endpoint %s answered something other than a token: %v", s.url, jsonErr)
	case tr.AccessToken == "":
		return nil, status.Errorf(codes.Unauthenticated, "%v as %s: %s answered without an access token", ErrUnauthenticated, s.creds.ClientID, s.url)
	}
	tok := &oauth2.Token{AccessToken: tr.AccessToken, TokenType: tr.TokenType}
	if tr.ExpiresIn > 0 {
		tok.Expiry = time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	}
	return tok, nil
}

// nonceSource gives each assertion 16 random bytes of nonce.
type nonceSource struct{}

func (nonceSource) Nonce() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// bearer puts the current access token on every RPC, and refuses to over
// a connection without TLS.
type bearer struct{ tokens oauth2.TokenSource }

func (b bearer) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	ri, _ := credentials.RequestInfoFromContext(ctx)
	if err := credentials.CheckSecurityLevel(ri.AuthInfo, credentials.PrivacyAndIntegrity); err != nil {
		return nil, fmt.Errorf("refusing to send the access token over an insecure connection: %w", err)
	}
	tok, err := b.tokens.Token()
	if err != nil {
		return nil, err
	}
	return map[string]string{"authorization": tok.Type() + " " + tok.AccessToken}, nil
}

func (bearer) RequireTransportSecurity() bool { return true }

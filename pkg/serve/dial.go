package serve

import (
	"context"
	"crypto/tls"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/batonkit/batonkit/pkg/contract"
)

// ClientOptions say how to reach a served connector.
type ClientOptions struct {
	CA               string // PEM file of the CAs the server's certificate must chain to (empty: the system's)
	Cert, Key        string // a client certificate, for a server that requires one
	ServerName       string // the name the server's certificate must carry (empty: the address's host)
	Token            string // the bearer token the server requires
	InsecureLoopback bool   // plaintext, to a Unix socket or a loopback address only
}

// Dial connects to a connector served at addr (unix:///path.sock or
// host:port). The same rules as the server's hold: plaintext only to a
// Unix socket or loopback address, and only when asked for; a token is
// sent only over TLS or a Unix socket or loopback.
func Dial(addr string, o ClientOptions) (contract.Client, func() error, error) {
	a, err := parseAddress(addr)
	if err != nil {
		return nil, nil, err
	}
	tlsOn := o.CA != "" || o.Cert != "" || !o.InsecureLoopback
	if !tlsOn && !a.loopback() {
		return nil, nil, fmt.Errorf("%w: plaintext to %s would cross the network: connect with TLS (drop --insecure-loopback)", ErrRefused, addr)
	}
	var creds credentials.TransportCredentials = insecure.NewCredentials()
	if tlsOn {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName}
		if o.CA != "" {
			if cfg.RootCAs, err = loadPool(o.CA); err != nil {
				return nil, nil, fmt.Errorf("--tls-ca: %w", err)
			}
		}
		if (o.Cert == "") != (o.Key == "") {
			return nil, nil, fmt.Errorf("%w: give both --tls-cert and --tls-key", ErrRefused)
		}
		if o.Cert != "" {
			cert, err := tls.LoadX509KeyPair(o.Cert, o.Key)
			if err != nil {
				return nil, nil, fmt.Errorf("load --tls-cert/--tls-key: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		creds = credentials.NewTLS(cfg)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if o.Token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{o.Token, tlsOn}))
	}
	target := addr
	if a.network == "unix" {
		target = "unix://" + a.addr
	} else {
		target = "passthrough:///" + a.addr
	}
	cc, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	return contract.NewClient(cc), cc.Close, nil
}

// bearer sends the token with every call.
type bearer struct {
	token string
	tls   bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity is false only for plaintext, which Dial
// allows to a Unix socket or a loopback address alone.
func (b bearer) RequireTransportSecurity() bool { return b.tls }

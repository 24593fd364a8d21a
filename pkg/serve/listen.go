package serve

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/batonkit/batonkit/internal/safefs"
)

// ErrRefused marks a combination of address and options that would let
// callers in without a check the operator asked for.
var ErrRefused = errors.New("refused")

// Options say where a connector is served and who may call it.
type Options struct {
	Listen           string // unix:///path.sock or host:port
	TLSCert, TLSKey  string // the server's certificate and key (PEM files)
	ClientCA         string // PEM file of CAs whose client certificates are accepted (mutual TLS)
	Token            string // a bearer token callers must send (BATON_SERVE_TOKEN)
	InsecureLoopback bool   // allow plaintext on a Unix socket or a loopback address
	Provisioning     bool   // allow the operations that change the application
}

// address is a parsed Listen value.
type address struct {
	network, addr string // "unix" and a path, or "tcp" and host:port
}

func parseAddress(s string) (address, error) {
	if s == "" {
		return address{}, fmt.Errorf("%w: no address to listen on: give unix:///path.sock or host:port", ErrRefused)
	}
	if path, ok := strings.CutPrefix(s, "unix://"); ok {
		if !filepath.IsAbs(path) {
			return address{}, fmt.Errorf("unix socket %q: want an absolute path, unix:///dir/name.sock", path)
		}
		return address{"unix", filepath.Clean(path)}, nil
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		return address{}, fmt.Errorf("address %q: want unix:///path.sock or host:port: %v", s, err)
	}
	return address{"tcp", s}, nil
}

// loopback reports whether a TCP address can only be reached from this
// machine: a loopback IP or "localhost".
func (a address) loopback() bool {
	if a.network == "unix" {
		return true
	}
	host, _, _ := net.SplitHostPort(a.addr)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// check refuses what would let a caller in unchecked.
func (o Options) check(a address) error {
	tlsOn := o.TLSCert != "" || o.TLSKey != ""
	switch {
	case (o.TLSCert == "") != (o.TLSKey == ""):
		return fmt.Errorf("%w: give both --tls-cert and --tls-key", ErrRefused)
	case o.ClientCA != "" && !tlsOn:
		return fmt.Errorf("%w: --tls-client-ca needs --tls-cert and --tls-key (client certificates are checked during the TLS handshake)", ErrRefused)
	case !tlsOn && !a.loopback():
		return fmt.Errorf("%w: %s is reachable from other machines: serve it with --tls-cert and --tls-key (plaintext only on a Unix socket or a loopback address, with --insecure-loopback)", ErrRefused, a.addr)
	case !tlsOn && !o.InsecureLoopback:
		return fmt.Errorf("%w: no TLS on %s: give --tls-cert and --tls-key, or --insecure-loopback to serve plaintext on this %s", ErrRefused, a.addr, map[string]string{"unix": "Unix socket", "tcp": "loopback address"}[a.network])
	case a.network == "tcp" && tlsOn && o.ClientCA == "" && o.Token == "":
		return fmt.Errorf("%w: anyone who can reach %s could call the connector: require client certificates (--tls-client-ca) or a token (BATON_SERVE_TOKEN)", ErrRefused, a.addr)
	}
	return nil
}

// serverTLS loads the server's certificate and, for mutual TLS, the CAs
// its callers' certificates must chain to.
func (o Options) serverTLS() (*tls.Config, error) {
	if o.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("load --tls-cert/--tls-key: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if o.ClientCA != "" {
		pool, err := loadPool(o.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca: %w", err)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

func loadPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// listen opens the address. A socket is made 0600 from the start (the
// umask is narrowed while it is created), in a directory no other user
// can rearrange; a socket left by an earlier run of this user is
// replaced, anything else at the path is an error.
func listen(a address) (net.Listener, error) {
	if a.network == "tcp" {
		return net.Listen("tcp", a.addr)
	}
	if err := safefs.CheckParent(a.addr); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(a.addr); err == nil {
		if fi.Mode()&os.ModeSocket == 0 || !safefs.Mine(fi) {
			return nil, fmt.Errorf("%s exists and is not a socket of yours: remove it or choose another path", a.addr)
		}
		if c, err := net.Dial("unix", a.addr); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s is in use: another server is listening on it", a.addr)
		}
		if err := os.Remove(a.addr); err != nil {
			return nil, err
		}
	}
	old := syscall.Umask(0o177)
	lis, err := net.Listen("unix", a.addr)
	syscall.Umask(old)
	if err != nil {
		return nil, err
	}
	lis.(*net.UnixListener).SetUnlinkOnClose(true)
	return lis, nil
}

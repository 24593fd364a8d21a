package subprocess

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"

	utlsv1 "github.com/batonkit/batonkit/pb/c1/utls/v1"
)

// NewCredentials creates a fresh CA and a client and a server credential
// signed by it. Nothing is reused between runs.
func NewCredentials() (client, server *utlsv1.Credential, err error) {
	_, caKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "batonkit connector CA"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.AddDate(1, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("create CA: %w", err)
	}
	leaf := func(name string) (*utlsv1.Credential, error) {
		pub, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: serial(),
			Subject:      pkix.Name{CommonName: name},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
			NotBefore:    now.Add(-time.Minute),
			NotAfter:     now.AddDate(1, 0, 0),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, pub, caKey)
		if err != nil {
			return nil, fmt.Errorf("create %s certificate: %w", name, err)
		}
		return &utlsv1.Credential{CaCert: caDER, Key: key, Cert: der}, nil
	}
	if client, err = leaf("batonkit connector client"); err != nil {
		return nil, nil, err
	}
	if server, err = leaf("batonkit connector server"); err != nil {
		return nil, nil, err
	}
	return client, server, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

func keyPair(c *utlsv1.Credential) (tls.Certificate, *x509.CertPool, error) {
	ca, err := x509.ParseCertificate(c.GetCaCert())
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(c.GetCert())
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("parse certificate: %w", err)
	}
	if len(c.GetKey()) != ed25519.PrivateKeySize {
		return tls.Certificate{}, nil, fmt.Errorf("private key is %d bytes, want an ed25519 key (%d)", len(c.GetKey()), ed25519.PrivateKeySize)
	}
	key := ed25519.PrivateKey(c.GetKey())
	if pub, ok := leaf.PublicKey.(ed25519.PublicKey); !ok || !pub.Equal(key.Public()) {
		return tls.Certificate{}, nil, fmt.Errorf("the private key does not match the certificate")
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return tls.Certificate{Certificate: [][]byte{c.GetCert()}, PrivateKey: ed25519.PrivateKey(c.GetKey()), Leaf: leaf}, pool, nil
}

// ServerTLS is the child's TLS configuration: its own certificate, and a
// client certificate signed by the CA required of every caller.
func ServerTLS(c *utlsv1.Credential) (*tls.Config, error) {
	cert, pool, err := keyPair(c)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		NextProtos:   []string{"h2"},
	}, nil
}

// ClientTLS is the parent's TLS configuration for dialling the child.
func ClientTLS(c *utlsv1.Credential) (*tls.Config, error) {
	cert, pool, err := keyPair(c)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ServerName:   "127.0.0.1",
	}, nil
}

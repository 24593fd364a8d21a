package connector

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"fmt"

	"filippo.io/age"
	"github.com/go-jose/go-jose/v4"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// Providers named in EncryptedData.provider.
const (
	ProviderJWK = "jwk"
	ProviderAge = "age"
)

// encryptAll encrypts every plaintext secret for every recipient. Secrets
// never leave the process in the clear: with secrets but no recipients the
// call fails.
func encryptAll(secrets []*connectorv2.PlaintextData, configs []*connectorv2.EncryptionConfig) ([]*connectorv2.EncryptedData, error) {
	if len(secrets) == 0 {
		return nil, nil
	}
	if len(configs) == 0 {
		return nil, status.Error(codes.FailedPrecondition,
			"the operation produced secrets but the request has no encryption_configs; refusing to return them in plaintext")
	}
	var out []*connectorv2.EncryptedData
	for _, cfg := range configs {
		for _, pt := range secrets {
			ed, err := Encrypt(pt, cfg)
			if err != nil {
				return nil, status.Error(codes.InvalidArgument, err.Error())
			}
			out = append(out, ed)
		}
	}
	return out, nil
}

// Encrypt encrypts one secret for one recipient: a JWE (compact
// serialization) for a JWK recipient, an age file for an age recipient.
func Encrypt(pt *connectorv2.PlaintextData, cfg *connectorv2.EncryptionConfig) (*connectorv2.EncryptedData, error) {
	ed := &connectorv2.EncryptedData{Name: pt.GetName(), Description: pt.GetDescription(), Schema: pt.GetSchema()}
	if cfg.GetKeyId() != "" {
		ed.KeyIds = []string{cfg.GetKeyId()}
	}
	switch c := cfg.GetConfig().(type) {
	case *connectorv2.EncryptionConfig_JwkPublicKeyConfig:
		b, kid, err := encryptJWK(pt.GetBytes(), c.JwkPublicKeyConfig.GetPubKey())
		if err != nil {
			return nil, err
		}
		ed.Provider, ed.EncryptedBytes = ProviderJWK, b
		if len(ed.KeyIds) == 0 && kid != "" {
			ed.KeyIds = []string{kid}
		}
	case *connectorv2.EncryptionConfig_AgeRecipientConfig_:
		b, err := encryptAge(pt.GetBytes(), c.AgeRecipientConfig.GetRecipient())
		if err != nil {
			return nil, err
		}
		ed.Provider, ed.EncryptedBytes = ProviderAge, b
	default:
		return nil, fmt.Errorf("encryption config for provider %q has no public key", cfg.GetProvider())
	}
	if cfg.GetProvider() != "" {
		ed.Provider = cfg.GetProvider()
	}
	return ed, nil
}

func encryptJWK(plain, pubJSON []byte) ([]byte, string, error) {
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(pubJSON, &jwk); err != nil {
		return nil, "", fmt.Errorf("parse JWK: %w", err)
	}
	var alg jose.KeyAlgorithm
	switch jwk.Key.(type) {
	case *ecdsa.PublicKey:
		alg = jose.ECDH_ES_A256KW
	case *rsa.PublicKey:
		alg = jose.RSA_OAEP_256
	default:
		return nil, "", fmt.Errorf("JWK of type %T cannot receive encrypted secrets (use an EC or RSA public key)", jwk.Key)
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: alg, Key: jwk.Key, KeyID: jwk.KeyID}, nil)
	if err != nil {
		return nil, "", fmt.Errorf("JWE encrypter: %w", err)
	}
	obj, err := enc.Encrypt(plain)
	if err != nil {
		return nil, "", fmt.Errorf("JWE encrypt: %w", err)
	}
	s, err := obj.CompactSerialize()
	return []byte(s), jwk.KeyID, err
}

func encryptAge(plain []byte, recipient string) ([]byte, error) {
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, fmt.Errorf("parse age recipient: %w", err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

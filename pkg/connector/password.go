package connector

import (
	"crypto/rand"
	"math/big"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// PasswordAlphabet is what RandomPassword draws from: letters and digits
// without look-alikes (0 O, 1 l I), none of which a SQL literal, an LDAP
// filter or a shell needs escaped, so a generated password can go into
// any API as it is.
const PasswordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// Password lengths: RandomPassword never makes one shorter than
// MinPasswordLength, and makes DefaultPasswordLength when the caller asks
// for none.
const (
	MinPasswordLength     = 16
	DefaultPasswordLength = 24
)

// RandomPassword makes a password for CreateAccount or RotateCredential
// from crypto/rand, of the length the caller's credential options ask
// for (at least MinPasswordLength). Return it as PlaintextData: the
// server encrypts it for the caller.
func RandomPassword(creds *connectorv2.LocalCredentialOptions) (string, error) {
	n := int(creds.GetRandomPassword().GetLength())
	switch {
	case n == 0:
		n = DefaultPasswordLength
	case n < MinPasswordLength:
		n = MinPasswordLength
	}
	b := make([]byte, n)
	max := big.NewInt(int64(len(PasswordAlphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b[i] = PasswordAlphabet[k.Int64()]
	}
	return string(b), nil
}

package fakeissuer

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
)

// CacheIdentity covers what chooses the principal and audience of the
// fake's tokens and whether they are still good: the issuer URL, the
// audience, the OAuth2 client id and the signing key (its digest). A fake
// generates a new key in each process, so a token it signed is never
// resumed by another process, whose fake would refuse it; a restart inside
// the process (same fake, same key) resumes it.
func (i *Issuer) CacheIdentity(digest func(secret string) string) string {
	var key []byte
	switch k := i.key.verify.(type) {
	case *ecdsa.PublicKey:
		key, _ = x509.MarshalPKIXPublicKey(k) // a P-256 key always marshals
	case *rsa.PublicKey:
		key = x509.MarshalPKCS1PublicKey(k)
	case []byte:
		key = k
	}
	b, err := json.Marshal([][]string{
		{"kind", "fake"},
		{"iss", i.issuerURL},
		{"aud", i.audience},
		{"client_id", i.clientID},
		{"key", i.key.alg, digest(string(key))},
	})
	if err != nil { // strings always marshal
		panic(err)
	}
	return string(b)
}

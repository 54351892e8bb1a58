package fakeissuer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// Supported signing algorithms.
const (
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
	AlgHS256 = "HS256"
)

// minHMACKeyLen is the shortest HS256 secret accepted (RFC 7518 §3.2: a key of
// the same size as the hash output or larger).
const minHMACKeyLen = 32

// signingKey is the key the issuer signs with, its algorithm and key id.
type signingKey struct {
	alg    string
	method jwt.SigningMethod
	kid    string
	sign   any       // *ecdsa.PrivateKey, *rsa.PrivateKey or []byte
	verify any       // *ecdsa.PublicKey, *rsa.PublicKey or []byte
	header string    // the base64url JOSE header of every token: alg, kid, typ
	hmac   *hmacPool // HS256: reusable signers

	// buffers holds the claims JSON and the token being signed between
	// mints (*[2][]byte), so that only the token string is allocated.
	buffers sync.Pool
}

// newSigningKey generates a key for alg, or loads it from keyFile when set.
// An empty alg means ES256, or the algorithm that fits the key file.
func newSigningKey(alg, keyFile string) (*signingKey, error) {
	alg = strings.ToUpper(strings.TrimSpace(alg))
	var key any
	if keyFile != "" {
		data, err := ReadFileLimited(keyFile, MaxKeyFileBytes)
		if err != nil {
			return nil, fmt.Errorf("read the signing key file: %w", err)
		}
		key, err = parseKeyFile(data, alg)
		if err != nil {
			return nil, fmt.Errorf("signing key file %s: %w", keyFile, err)
		}
		if alg == "" {
			alg = algForKey(key)
		}
	}
	if alg == "" {
		alg = AlgES256
	}
	if key == nil {
		var err error
		if key, err = generateKey(alg); err != nil {
			return nil, err
		}
	}
	return buildSigningKey(alg, key)
}

func generateKey(alg string) (any, error) {
	switch alg {
	case AlgES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgRS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case AlgHS256:
		secret := make([]byte, minHMACKeyLen)
		_, _ = rand.Read(secret) // crypto/rand.Read never fails
		return secret, nil
	}
	return nil, unsupportedAlg(alg)
}

func unsupportedAlg(alg string) error {
	return fmt.Errorf("signing algorithm %q is not supported; use ES256, RS256 or HS256", alg)
}

// parseKeyFile reads a PEM private key (EC, PKCS#1 RSA or PKCS#8), or for
// HS256 the raw secret bytes.
func parseKeyFile(data []byte, alg string) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		if alg != AlgHS256 {
			return nil, errors.New("no PEM block found; give a PEM private key (or use --alg HS256 for a raw secret)")
		}
		secret := []byte(strings.TrimSpace(string(data)))
		if len(secret) < minHMACKeyLen {
			return nil, fmt.Errorf("an HS256 secret needs at least %d bytes, the file has %d", minHMACKeyLen, len(secret))
		}
		return secret, nil
	}
	switch block.Type {
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		switch k.(type) {
		case *ecdsa.PrivateKey, *rsa.PrivateKey:
			return k, nil
		}
		return nil, fmt.Errorf("a %T key is not supported; use an EC P-256 or RSA key", k)
	}
	return nil, fmt.Errorf("PEM block %q is not a private key; want EC PRIVATE KEY, RSA PRIVATE KEY or PRIVATE KEY", block.Type)
}

func algForKey(key any) string {
	switch key.(type) {
	case *rsa.PrivateKey:
		return AlgRS256
	case []byte:
		return AlgHS256
	}
	return AlgES256
}

func buildSigningKey(alg string, key any) (*signingKey, error) {
	sk := &signingKey{alg: alg, sign: key}
	switch alg {
	case AlgES256:
		k, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("ES256 needs an EC P-256 key, the key is %s", keyKind(key))
		}
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("ES256 needs a P-256 key, the key is on %s", k.Curve.Params().Name)
		}
		sk.method, sk.verify = jwt.SigningMethodES256, &k.PublicKey
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("encode the public key: %w", err)
		}
		sk.kid = fingerprint(der)
	case AlgRS256:
		k, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("RS256 needs an RSA key, the key is %s", keyKind(key))
		}
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RS256 needs an RSA key of at least 2048 bits, the key has %d", k.N.BitLen())
		}
		sk.method, sk.verify = jwt.SigningMethodRS256, &k.PublicKey
		sk.kid = fingerprint(x509.MarshalPKCS1PublicKey(&k.PublicKey))
	case AlgHS256:
		k, ok := key.([]byte)
		if !ok {
			return nil, fmt.Errorf("HS256 needs a raw secret, the key is %s", keyKind(key))
		}
		sk.method, sk.verify = jwt.SigningMethodHS256, k
		sk.kid = fingerprint(append([]byte("tokentop-hs256-kid:"), k...))
		sk.hmac = newHMACPool(k)
	default:
		return nil, unsupportedAlg(alg)
	}
	// The header golang-jwt writes for NewWithClaims plus a kid: a map, so
	// its keys are sorted.
	h, err := json.Marshal(map[string]string{"alg": alg, "kid": sk.kid, "typ": "JWT"})
	if err != nil {
		return nil, fmt.Errorf("encode the token header: %w", err)
	}
	sk.header = base64.RawURLEncoding.EncodeToString(h)
	return sk, nil
}

func keyKind(key any) string {
	switch key.(type) {
	case *ecdsa.PrivateKey:
		return "an EC key"
	case *rsa.PrivateKey:
		return "an RSA key"
	case []byte:
		return "a raw secret"
	}
	return fmt.Sprintf("%T", key)
}

// fingerprint is a short, stable, non-reversible id for key material.
func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// jwk is one public key of a JWK Set (RFC 7517).
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// jwkSet is a JWK Set document.
type jwkSet struct {
	Keys []jwk `json:"keys"`
}

// publicJWKS returns the public keys as a JWK Set. An HS256 secret is never
// published: the set is then empty.
func (k *signingKey) publicJWKS() jwkSet {
	b64 := base64.RawURLEncoding.EncodeToString
	set := jwkSet{Keys: []jwk{}}
	switch pub := k.verify.(type) {
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		ecdh, err := pub.ECDH()
		if err != nil {
			return set
		}
		raw := ecdh.Bytes() // 0x04 || X || Y
		set.Keys = append(set.Keys, jwk{Kty: "EC", Use: "sig", Alg: k.alg, Kid: k.kid, Crv: "P-256",
			X: b64(raw[1 : 1+size]), Y: b64(raw[1+size:])})
	case *rsa.PublicKey:
		set.Keys = append(set.Keys, jwk{Kty: "RSA", Use: "sig", Alg: k.alg, Kid: k.kid,
			N: b64(pub.N.Bytes()), E: b64(big.NewInt(int64(pub.E)).Bytes())})
	}
	return set
}

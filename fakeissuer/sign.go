package fakeissuer

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"sync"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// hmacPool keeps HS256 signers of one key for reuse: hmac.New costs five
// allocations, a tenth of an HS256 mint.
type hmacPool struct {
	pool sync.Pool
}

// hmacSigner is one pooled signer with the buffer its sum is written to
// (a sum on the stack escapes through hash.Hash: an allocation a mint).
type hmacSigner struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

func newHMACPool(secret []byte) *hmacPool {
	key := append([]byte(nil), secret...)
	p := &hmacPool{}
	p.pool.New = func() any { return &hmacSigner{h: hmac.New(sha256.New, key)} }
	return p
}

// appendSignature appends "." and the base64url HS256 signature of signing.
func (p *hmacPool) appendSignature(signing []byte) []byte {
	s := p.pool.Get().(*hmacSigner)
	defer p.pool.Put(s)
	s.h.Reset()
	s.h.Write(signing)
	mac := s.h.Sum(s.sum[:0])
	signing = append(signing, '.')
	return base64.RawURLEncoding.AppendEncode(signing, mac)
}

// appendES256Signature appends "." and the base64url JWS signature of
// signing by key: r and s as 32 big-endian bytes each (RFC 7518, 3.4). It
// signs with crypto/ecdsa as jwt's SigningMethodES256 does, but takes r and
// s straight from the DER signature instead of through big.Int, and copies
// no string: a third less garbage per ES256 mint.
func appendES256Signature(signing []byte, key *ecdsa.PrivateKey) ([]byte, error) {
	digest := sha256.Sum256(signing)
	der, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return nil, fmt.Errorf("signing the token (ES256): %w", err)
	}
	var seq, r, s cryptobyte.String
	in := cryptobyte.String(der)
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !seq.ReadASN1(&r, asn1.INTEGER) || !seq.ReadASN1(&s, asn1.INTEGER) {
		return nil, errors.New("signing the token (ES256): crypto/ecdsa returned a malformed signature")
	}
	var sig [64]byte
	if !putFixed(sig[:32], r) || !putFixed(sig[32:], s) {
		return nil, errors.New("signing the token (ES256): a signature integer does not fit 32 bytes")
	}
	signing = append(signing, '.')
	return base64.RawURLEncoding.AppendEncode(signing, sig[:]), nil
}

// putFixed writes the non-negative DER integer v right-aligned into dst; it
// reports false if v does not fit.
func putFixed(dst []byte, v []byte) bool {
	for len(v) > 0 && v[0] == 0 {
		v = v[1:]
	}
	if len(v) > len(dst) {
		return false
	}
	copy(dst[len(dst)-len(v):], v)
	return true
}

package fakeissuer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"sync"
)

// hmacPool keeps HS256 signers of one key for reuse: hmac.New costs five
// allocations, a tenth of an HS256 mint.
type hmacPool struct {
	pool sync.Pool
}

func newHMACPool(secret []byte) *hmacPool {
	key := append([]byte(nil), secret...)
	p := &hmacPool{}
	p.pool.New = func() any { return hmac.New(sha256.New, key) }
	return p
}

// appendSignature appends "." and the base64url HS256 signature of signing.
func (p *hmacPool) appendSignature(signing []byte) []byte {
	h := p.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(signing)
	var sum [sha256.Size]byte
	mac := h.Sum(sum[:0])
	p.pool.Put(h)
	signing = append(signing, '.')
	return base64.RawURLEncoding.AppendEncode(signing, mac)
}

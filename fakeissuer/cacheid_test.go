package fakeissuer

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func plainDigest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// Issue 20, defect 2: the fake's cache identity follows its signing key:
// two fakes with generated keys (two processes) differ, so a token one
// signed is never resumed by the other; one key file gives one identity.
func TestCacheIdentityFollowsTheSigningKey(t *testing.T) {
	for _, alg := range []string{AlgES256, AlgRS256, AlgHS256} {
		a, _ := newTestIssuer(t, Options{Algorithm: alg})
		b, _ := newTestIssuer(t, Options{Algorithm: alg})
		if a.CacheIdentity(plainDigest) == b.CacheIdentity(plainDigest) {
			t.Errorf("%s: two fakes with their own keys share a cache identity", alg)
		}
		if a.CacheIdentity(plainDigest) != a.CacheIdentity(plainDigest) {
			t.Errorf("%s: one fake gives two cache identities", alg)
		}
	}
	file := writeKeyFile(t, "secret", []byte(strings.Repeat("k", 40)))
	a, _ := newTestIssuer(t, Options{KeyFile: file, Algorithm: AlgHS256})
	b, _ := newTestIssuer(t, Options{KeyFile: file, Algorithm: AlgHS256})
	if id := a.CacheIdentity(plainDigest); id != b.CacheIdentity(plainDigest) || strings.Contains(id, strings.Repeat("k", 40)) {
		t.Errorf("one HS256 key file: identities %s and %s; want one, without the secret", id, b.CacheIdentity(plainDigest))
	}
}

package fakeissuer

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// Every ES256 signature made without big.Int verifies as jwt's own: over
// enough signatures some r and s have their top bit set (DER pads them with
// a zero byte) and some are shorter than 32 bytes (they must be padded).
func TestES256SignaturesVerifyWithJWT(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signing := []byte("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0")
	for i := range 2000 {
		out, err := appendES256Signature(bytes.Clone(signing), key)
		if err != nil {
			t.Fatal(err)
		}
		sig, ok := strings.CutPrefix(string(out), string(signing)+".")
		if !ok {
			t.Fatalf("signature %d: %q does not extend the signing input", i, out)
		}
		raw, err := base64.RawURLEncoding.DecodeString(sig)
		if err != nil || len(raw) != 64 {
			t.Fatalf("signature %d: %d bytes (%v), want 64", i, len(raw), err)
		}
		if err := jwt.SigningMethodES256.Verify(string(signing), raw, &key.PublicKey); err != nil {
			t.Fatalf("signature %d does not verify: %v", i, err)
		}
	}
}

func TestPutFixedPadsAndRefusesWhatDoesNotFit(t *testing.T) {
	dst := make([]byte, 4)
	if !putFixed(dst, []byte{0, 0x81, 2}) || !bytes.Equal(dst, []byte{0, 0, 0x81, 2}) {
		t.Errorf("putFixed(00 81 02) = % x, want 00 00 81 02", dst)
	}
	if putFixed(dst, []byte{1, 2, 3, 4, 5}) {
		t.Error("putFixed took a 5-byte integer into 4 bytes")
	}
}

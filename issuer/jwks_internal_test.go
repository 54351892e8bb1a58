package issuer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"
)

// b64 is base64url without padding, as a JWK member.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// selfSigned is a DER certificate of pub signed by priv, as an x5c holds it.
func selfSigned(t *testing.T, pub, priv any) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "k"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// Each key of a set is read by jwkset alone: a good one is kept whatever
// else it carries, and a bad one is skipped with why in tokentop's words
// (issue 20, defects 8 and 13).
func TestReadJWKSKeepsGoodKeysAndNamesWhyEachBadOneIsSkipped(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	n, e := b64(rsaKey.N.Bytes()), "AQAB"
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	point := func(v *big.Int) string { return b64(v.FillBytes(make([]byte, 48))) }
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	huge := make([]byte, 16384/8)
	huge[0], huge[len(huge)-1] = 0x80, 1
	for _, tc := range []struct {
		name string
		key  any
		why  string // "" if the key is kept
	}{
		{"RSA", map[string]any{"kty": "RSA", "n": n, "e": e, "alg": "RS256"}, ""},
		{"RSA with its certificate", map[string]any{"kty": "RSA", "n": n, "e": e,
			"x5c": []string{selfSigned(t, &rsaKey.PublicKey, rsaKey)}}, ""},
		{"RSA for an unregistered use, with an http x5u", map[string]any{"kty": "RSA", "n": n, "e": e,
			"use": "audit", "key_ops": []string{"attest"}, "x5u": "http://example.com/k"}, ""},
		{"EC P-384", map[string]any{"kty": "EC", "crv": "P-384", "x": point(ecKey.X), "y": point(ecKey.Y)}, ""},
		{"Ed25519 with its certificate", map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(edPub), "alg": "EdDSA",
			"x5c": []string{selfSigned(t, edPub, edPriv)}}, ""},
		{"Ed25519 with its certificate and no alg", map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(edPub),
			"x5c": []string{selfSigned(t, edPub, edPriv)}}, ""},
		{"not an object", 42, "not a JWK object with string members"},
		{"no kty", map[string]any{"n": n}, `no "kty"`},
		{"shared secret", map[string]any{"kty": "oct", "k": "c2VjcmV0"}, `kty "oct" is a shared secret, not a public key`},
		{"unknown kty", map[string]any{"kty": "XYZ"}, `kty "XYZ" is not a key type tokentop reads (RSA, EC, OKP)`},
		{"secp256k1", map[string]any{"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"},
			`crv "secp256k1" is not a curve tokentop reads (P-256, P-384, P-521)`},
		{"X25519", map[string]any{"kty": "OKP", "crv": "X25519", "x": b64(edPub)},
			`crv "X25519" is not a signature curve tokentop reads (Ed25519)`},
		{"no n", map[string]any{"kty": "RSA", "e": e}, `no "n"`},
		{"no y", map[string]any{"kty": "EC", "crv": "P-384", "x": point(ecKey.X)}, `no "y"`},
		{"n not base64url", map[string]any{"kty": "RSA", "n": "n*t", "e": e}, `"n" is not base64url`},
		{"e zero", map[string]any{"kty": "RSA", "n": n, "e": "AA"}, errNotExponent.Error()},
		{"e even", map[string]any{"kty": "RSA", "n": n, "e": "BA"}, errNotExponent.Error()},
		{"e past 2^31", map[string]any{"kty": "RSA", "n": n, "e": "AQAAAAE"}, errNotExponent.Error()},
		{"modulus of 16384 bits", map[string]any{"kty": "RSA", "n": b64(huge), "e": e},
			"its RSA modulus has 16384 bits, more than the 8192 tokentop reads"},
		{"point off its curve", map[string]any{"kty": "EC", "crv": "P-384", "x": point(ecKey.X), "y": point(ecKey.X)},
			"its point is not on curve P-384"},
		{"short Ed25519 key", map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(edPub[1:])},
			`"x" is not the 32 bytes of an Ed25519 key`},
		{"another key's certificate", map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(edPub),
			"x5c": []string{selfSigned(t, &rsaKey.PublicKey, rsaKey)}}, "jwkset refuses it: failed to validate JWK the X.509 " +
			"certificate does not match Golang key type: Golang key is type ed25519.PublicKey but X.509 public key was of type *rsa.PublicKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]any{"keys": []any{tc.key}})
			if err != nil {
				t.Fatal(err)
			}
			set, err := readJWKS(body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.why == "" {
				if len(set.keys) != 1 || set.nSkip != 0 {
					t.Fatalf("kept %d keys, %q; want the key kept", len(set.keys), set.skipNote())
				}
				return
			}
			if want := "skipped 1 key of the set: key #1: " + tc.why; len(set.keys) != 0 || set.skipNote() != want {
				t.Errorf("kept %d keys, %q; want none, %q", len(set.keys), set.skipNote(), want)
			}
		})
	}
}

// Whatever a key set holds, jwkset does not panic on it, what is kept is a
// key tokentop checks within its limits, and the note is one printable line.
func FuzzReadJWKS(f *testing.F) {
	f.Add(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`)
	f.Add(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","x5c":["AA"]}]}`)
	f.Add(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","x5u":"::"}]}`)
	f.Add(`{"keys":[{"kty":"oct","k":"AA"},{"kty":"RSA","oth":[{}],"d":"AA"},7,null]}`)
	f.Fuzz(func(t *testing.T, body string) {
		set, err := readJWKS([]byte(body))
		if err != nil {
			return
		}
		if len(set.keys) > maxSetKeys {
			t.Fatalf("kept %d keys, more than %d", len(set.keys), maxSetKeys)
		}
		for _, k := range set.keys {
			switch pub := k.pub.(type) {
			case *rsa.PublicKey:
				if pub.N.BitLen() > maxRSABits || pub.E < 3 || pub.E%2 == 0 {
					t.Fatalf("kept an RSA key of %d bits, e %d", pub.N.BitLen(), pub.E)
				}
			case *ecdsa.PublicKey, ed25519.PublicKey:
			default:
				t.Fatalf("kept a %T", pub)
			}
		}
		if note := set.skipNote(); strings.ContainsAny(note, "\n\r") {
			t.Fatalf("the note %q is not one line", note)
		}
	})
}

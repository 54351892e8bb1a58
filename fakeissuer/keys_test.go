package fakeissuer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tokentop/issuer"
)

func writeKeyFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func pemFile(t *testing.T, typ string, der []byte) string {
	return writeKeyFile(t, "key.pem", pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestKeyFileChoosesTheAlgorithmAndKeepsTheKid(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ec)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, tc := range []struct {
		name, file, alg, want string
	}{
		{"EC SEC1", pemFile(t, "EC PRIVATE KEY", sec1), "", AlgES256},
		{"EC PKCS8", pemFile(t, "PRIVATE KEY", pkcs8), "", AlgES256},
		{"RSA PKCS1", pemFile(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)), "", AlgRS256},
		{"HS256 secret", writeKeyFile(t, "secret", []byte(strings.Repeat("k", 40)+"\n")), AlgHS256, AlgHS256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := newTestIssuer(t, Options{KeyFile: tc.file, Algorithm: tc.alg})
			b, _ := newTestIssuer(t, Options{KeyFile: tc.file, Algorithm: tc.alg})
			if a.Algorithm() != tc.want || a.KeyID() != b.KeyID() {
				t.Fatalf("alg %s kids %s %s, want %s and one kid", a.Algorithm(), a.KeyID(), b.KeyID(), tc.want)
			}
			tok, _ := a.Issue(context.Background(), issuer.Request{Identity: "alice"})
			if _, err := b.Verify(tok.Token); err != nil {
				t.Errorf("a token of one issuer does not verify at another with the same key: %v", err)
			}
		})
	}
}

func TestKeyFileRefusesKeysThatDoNotFit(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384der, _ := x509.MarshalECPrivateKey(p384)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, tc := range []struct {
		name, file, alg, want string
	}{
		{"RSA key for ES256", pemFile(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)), AlgES256, "ES256 needs an EC P-256 key"},
		{"P-384 key", pemFile(t, "EC PRIVATE KEY", p384der), "", "P-256"},
		{"1024-bit RSA", pemFile(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small)), "", "2048"},
		{"short HS256 secret", writeKeyFile(t, "s", []byte("short")), AlgHS256, "at least 32 bytes"},
		{"not PEM", writeKeyFile(t, "s", []byte("hello")), "", "no PEM block"},
		{"certificate", pemFile(t, "CERTIFICATE", []byte{1, 2}), "", "not a private key"},
		{"broken DER", pemFile(t, "EC PRIVATE KEY", []byte{1, 2, 3}), "", "signing key file"},
	} {
		if _, err := New(Options{KeyFile: tc.file, Algorithm: tc.alg}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

func TestRevocationAfterARestartCoversTokensOfTheEarlierRun(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(ec)
	file := pemFile(t, "EC PRIVATE KEY", der)
	before, _ := newTestIssuer(t, Options{KeyFile: file})
	old, _ := before.Issue(context.Background(), issuer.Request{Identity: "alice"})
	after, _ := newTestIssuer(t, Options{KeyFile: file})
	if _, err := after.Verify(old.Token); err != nil {
		t.Fatalf("the earlier run's token: %v", err)
	}
	_ = after.Revoke(context.Background(), "alice")
	if _, err := after.Verify(old.Token); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("after revoking in the new run: err = %v, want ErrTokenRevoked", err)
	}
}

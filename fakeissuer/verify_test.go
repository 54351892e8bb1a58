package fakeissuer

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tokentop/issuer"
)

// forge signs claims like the issuer's own, with another method and key.
func forge(t *testing.T, iss *Issuer, method jwt.SigningMethod, key any) string {
	t.Helper()
	now := iss.clock.Now()
	c := Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: iss.issuerURL, Subject: "mallory",
		Audience: jwt.ClaimStrings{iss.audience}, IssuedAt: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), ID: "1.aa"}}
	tok := jwt.NewWithClaims(method, c)
	tok.Header["kid"] = iss.KeyID()
	raw, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestVerifyRefusesAlgNone(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	raw := forge(t, iss, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType)
	if _, err := iss.Verify(raw); !errors.Is(err, ErrBadSignature) {
		t.Errorf("alg none: err = %v, want ErrBadSignature", err)
	}
}

func TestVerifyRefusesHS256SignedWithThePublicKey(t *testing.T) {
	// The classic key-confusion attack: HMAC keyed with the public key.
	iss, _ := newTestIssuer(t, Options{Algorithm: AlgRS256})
	der, err := x509.MarshalPKIXPublicKey(iss.VerificationKey())
	if err != nil {
		t.Fatal(err)
	}
	raw := forge(t, iss, jwt.SigningMethodHS256, der)
	if _, err := iss.Verify(raw); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong alg: err = %v, want ErrBadSignature", err)
	}
}

func TestVerifyRefusesAnotherIssuersSignature(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	other, _ := newTestIssuer(t, Options{})
	raw := forge(t, iss, jwt.SigningMethodES256, other.key.sign)
	if _, err := iss.Verify(raw); !errors.Is(err, ErrBadSignature) {
		t.Errorf("foreign key: err = %v, want ErrBadSignature", err)
	}
	tok, _ := other.Issue(context.Background(), issuer.Request{Identity: "x"})
	if _, err := iss.Verify(tok.Token); !errors.Is(err, ErrBadSignature) {
		t.Errorf("foreign token (other kid): err = %v, want ErrBadSignature", err)
	}
}

func TestVerifyRefusesMalformedTokens(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for _, raw := range []string{"", "abc", "a.b.c", "a.b", "eyJhbGciOiJFUzI1NiJ9.!!!.sig"} {
		if _, err := iss.Verify(raw); !errors.Is(err, ErrMalformedToken) {
			t.Errorf("Verify(%q) = %v, want ErrMalformedToken", raw, err)
		}
	}
}

func TestVerifyRefusesExpiredTokenOnTheIssuerClock(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{})
	tok, _ := iss.Issue(context.Background(), issuer.Request{Identity: "alice", Lifetime: time.Hour})
	clk.Advance(tok.ExpiresOn.Sub(clk.Now()) - time.Millisecond)
	if _, err := iss.Verify(tok.Token); err != nil {
		t.Errorf("just before exp: %v, want valid", err)
	}
	clk.Advance(time.Millisecond)
	_, err := iss.Verify(tok.Token)
	if !errors.Is(err, ErrTokenExpired) {
		t.Errorf("at exp: err = %v, want ErrTokenExpired", err)
	}
}

func TestVerifyRefusesWrongIssuerAndAudience(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for name, mutate := range map[string]func(*Claims){
		"issuer":   func(c *Claims) { c.Issuer = "https://evil.example" },
		"audience": func(c *Claims) { c.Audience = jwt.ClaimStrings{"someone-else"} },
		"no exp":   func(c *Claims) { c.ExpiresAt = nil },
	} {
		now := iss.clock.Now()
		c := Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: iss.issuerURL, Subject: "x",
			Audience: jwt.ClaimStrings{iss.audience}, IssuedAt: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), ID: "1.aa"}}
		mutate(&c)
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
		tok.Header["kid"] = iss.KeyID()
		raw, _ := tok.SignedString(iss.key.sign)
		if _, err := iss.Verify(raw); !errors.Is(err, ErrInvalidClaims) {
			t.Errorf("%s: err = %v, want ErrInvalidClaims", name, err)
		}
	}
}

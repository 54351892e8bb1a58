package fakeissuer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tokentop/issuer"
)

func TestIssueMintsES256TokenWithStandardClaimsAndKid(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{})
	tok, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice", Scopes: []string{"chat"}, Lifetime: time.Hour})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(tok.Token, &Claims{})
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Method.Alg() != "ES256" || parsed.Header["kid"] != iss.KeyID() || iss.KeyID() == "" {
		t.Errorf("header = %v, want alg ES256 and kid %q", parsed.Header, iss.KeyID())
	}
	c := unverifiedClaims(t, tok.Token)
	now := clk.Now().Truncate(time.Second)
	if c.Subject != "alice" || c.Issuer != DefaultIssuerURL || len(c.Audience) != 1 || c.Audience[0] != DefaultAudience {
		t.Errorf("sub/iss/aud = %q %q %v", c.Subject, c.Issuer, c.Audience)
	}
	if !c.IssuedAt.Equal(now) || !c.NotBefore.Equal(now) || !c.ExpiresAt.Equal(now.Add(time.Hour)) || c.ID == "" {
		t.Errorf("iat/nbf/exp/jti = %v %v %v %q, want iat=nbf=%v exp=+1h", c.IssuedAt, c.NotBefore, c.ExpiresAt, c.ID, now)
	}
	if len(c.Scopes) != 1 || c.Scopes[0] != "chat" {
		t.Errorf("scp = %v, want [chat]", c.Scopes)
	}
	if !tok.ExpiresOn.Equal(c.ExpiresAt.Time) {
		t.Errorf("ExpiresOn %v differs from exp %v", tok.ExpiresOn, c.ExpiresAt)
	}
	if iss.Name() != "fake (in-process)" {
		t.Errorf("Name = %q", iss.Name())
	}
}

func TestIssueDefaultsToTwentyFourHoursAndChatVoip(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	tok, err := iss.Issue(context.Background(), issuer.Request{Identity: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	c := unverifiedClaims(t, tok.Token)
	if lifetimeOf(c) != 24*time.Hour || strings.Join(c.Scopes, " ") != "chat voip" {
		t.Errorf("lifetime %v scopes %v, want 24h [chat voip]", lifetimeOf(c), c.Scopes)
	}
}

func TestEveryAlgorithmMintsTokensItVerifies(t *testing.T) {
	for _, alg := range []string{AlgES256, AlgRS256, AlgHS256} {
		t.Run(alg, func(t *testing.T) {
			iss, _ := newTestIssuer(t, Options{Algorithm: alg})
			tok, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			parsed, _, _ := jwt.NewParser().ParseUnverified(tok.Token, &Claims{})
			if parsed.Method.Alg() != alg {
				t.Errorf("alg = %s, want %s", parsed.Method.Alg(), alg)
			}
			if _, err := iss.Verify(tok.Token); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestNewRefusesUnknownAlgorithmAndBadKeyFiles(t *testing.T) {
	if _, err := New(Options{Algorithm: "PS512"}); err == nil || !strings.Contains(err.Error(), "PS512") {
		t.Errorf("unknown alg: err = %v, want one naming PS512", err)
	}
	if _, err := New(Options{KeyFile: t.TempDir() + "/missing.pem"}); err == nil || !strings.Contains(err.Error(), "signing key file") {
		t.Errorf("missing key file: err = %v", err)
	}
	if _, err := New(Options{DefaultLifetime: -time.Second}); err == nil {
		t.Error("negative default lifetime accepted")
	}
}

func TestIssueRefusesEmptyIdentityAndBadLifetimes(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for name, r := range map[string]issuer.Request{
		"empty identity":    {},
		"negative lifetime": {Identity: "a", Lifetime: -time.Minute},
		"too long lifetime": {Identity: "a", Lifetime: MaxLifetime + time.Hour},
	} {
		_, err := iss.Issue(context.Background(), r)
		var se *StatusError
		if !errors.As(err, &se) || se.Status != 400 || !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: err = %v, want a 400 *StatusError wrapping ErrBadRequest", name, err)
		}
	}
	if s := iss.Stats(); s.Failed != 3 || s.Issued != 0 {
		t.Errorf("stats = %+v, want 3 failed, 0 issued", s.Counters)
	}
}

func TestCreateIdentityMakesACSStyleIDs(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{ResourceID: "res-1"})
	a, b := createIdentity(t, iss), createIdentity(t, iss)
	if !strings.HasPrefix(a, "8:acs:res-1_") || len(a) != len("8:acs:res-1_")+36 || a == b {
		t.Fatalf("ids %q %q, want distinct 8:acs:res-1_<uuid>", a, b)
	}
	if _, err := iss.Issue(context.Background(), issuer.Request{Identity: a}); err != nil {
		t.Errorf("Issue for a created identity: %v", err)
	}
}

func TestIssueRefusesUnknownAndDeletedACSIdentities(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	_, err := iss.Issue(context.Background(), issuer.Request{Identity: "8:acs:nope_123"})
	if !errors.Is(err, ErrUnknownIdentity) {
		t.Errorf("unknown ACS id: err = %v, want ErrUnknownIdentity", err)
	}
	id := createIdentity(t, iss)
	tok, err := iss.Issue(context.Background(), issuer.Request{Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.DeleteIdentity(id); err != nil {
		t.Fatal(err)
	}
	if iss.HasIdentity(id) {
		t.Error("HasIdentity true after delete")
	}
	if _, err := iss.Issue(context.Background(), issuer.Request{Identity: id}); !errors.Is(err, ErrUnknownIdentity) {
		t.Errorf("deleted id: err = %v, want ErrUnknownIdentity", err)
	}
	if _, err := iss.Verify(tok.Token); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("token of a deleted identity: err = %v, want ErrTokenRevoked", err)
	}
	if err := iss.DeleteIdentity(id); !errors.Is(err, ErrUnknownIdentity) {
		t.Errorf("second delete: err = %v", err)
	}
}

func TestRevokeRefusesEarlierTokensButNotLaterOnes(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	ctx := context.Background()
	old, _ := iss.Issue(ctx, issuer.Request{Identity: "alice"})
	other, _ := iss.Issue(ctx, issuer.Request{Identity: "bob"})
	if _, err := iss.Verify(old.Token); err != nil {
		t.Fatalf("before revocation: %v", err)
	}
	if err := iss.Revoke(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	// The clock is paused: the new token has the same iat as the revoked one
	// and must still be valid.
	fresh, _ := iss.Issue(ctx, issuer.Request{Identity: "alice"})
	if _, err := iss.Verify(old.Token); !errors.Is(err, ErrTokenRevoked) || !strings.Contains(err.Error(), "alice") {
		t.Errorf("old token: err = %v, want ErrTokenRevoked naming alice", err)
	}
	if _, err := iss.Verify(fresh.Token); err != nil {
		t.Errorf("token issued after revocation: %v", err)
	}
	if _, err := iss.Verify(other.Token); err != nil {
		t.Errorf("other identity's token: %v", err)
	}
	s := iss.Stats()
	if s.Issued != 3 || s.Revoked != 1 || s.Accepted != 3 || s.Refused != 1 {
		t.Errorf("totals = %+v", s.Counters)
	}
	var alice IdentityStats
	for _, is := range s.Identities {
		if is.ID == "alice" {
			alice = is
		}
	}
	if alice.Issued != 2 || alice.Revoked != 1 || alice.Refused != 1 || alice.RevokedAt.IsZero() {
		t.Errorf("alice = %+v", alice)
	}
}

func TestRevokeHonoursContextAndRefusesEmptyIdentity(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := iss.Revoke(ctx, "alice"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v", err)
	}
	if err := iss.Revoke(context.Background(), ""); !errors.Is(err, ErrBadRequest) {
		t.Errorf("empty identity: err = %v", err)
	}
}

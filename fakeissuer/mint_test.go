package fakeissuer

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwtSigned is the token golang-jwt signs for claims with the issuer's key
// and kid: what mint wrote before it built the JSON itself.
func jwtSigned(t testing.TB, iss *Issuer, c Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(iss.key.method, c)
	tok.Header["kid"] = iss.key.kid
	raw, err := tok.SignedString(iss.key.sign)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// awkwardNames are identities that JSON escapes (quote, backslash, HTML
// characters, U+2028) or that take several bytes a character.
var awkwardNames = []string{"alice", `quo"te\back`, "<b>&amp;</b>", "ünïcødé 名前", "line\u2028sep\u2029", "sl/ash+plus", "e\u0301"}

func TestMintedTokensAreByteForByteWhatGolangJWTSigns(t *testing.T) {
	// HS256 and RS256 signatures are deterministic, so whole tokens compare.
	for _, alg := range []string{AlgHS256, AlgRS256} {
		t.Run(alg, func(t *testing.T) {
			iss, _ := newTestIssuer(t, Options{Algorithm: alg})
			ctx := context.Background()
			for _, name := range awkwardNames {
				specs := []mintSpec{
					{subject: name, scopes: []string{"chat", name}, lifetime: time.Hour, audience: iss.audience},
					{subject: name, lifetime: time.Hour, audience: UpstreamAudience, appID: "app<1>", objectID: "oid", tenantID: upstreamTenantID},
					{subject: name, scopes: []string{"a", "b", "c", "d", name}, lifetime: time.Hour, audience: iss.audience}, // more than claimsBacking holds
				}
				for _, spec := range specs {
					tok, claims, err := iss.issue(ctx, spec)
					if err != nil {
						t.Fatalf("%q: %v", name, err)
					}
					if want := jwtSigned(t, iss, claims); tok.Token != want {
						t.Errorf("%q:\n got %s\nwant %s", name, tok.Token, want)
					}
				}
			}
		})
	}
}

// An HS256 mint allocates the jti, the token and one backing for the
// claims it returns, which own their scopes.
func TestHS256MintAllocatesThree(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{Algorithm: AlgHS256})
	scopes := []string{"chat", "voip"}
	spec := mintSpec{subject: "alice", scopes: scopes, lifetime: time.Hour, audience: iss.audience}
	ctx := context.Background()
	_, claims, err := iss.issue(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	scopes[0] = "changed"
	if claims.Scopes[0] != "chat" {
		t.Errorf("the claims' scopes follow the caller's slice: %q", claims.Scopes)
	}
	if raceEnabled {
		return
	}
	if n := testing.AllocsPerRun(200, func() { _, _, _ = iss.issue(ctx, spec) }); n > 3 {
		t.Errorf("an HS256 mint allocates %v times, want at most 3", n)
	}
}

func TestMintedES256TokensParseWithGolangJWT(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for _, name := range awkwardNames {
		tok, claims, err := iss.issue(context.Background(), mintSpec{subject: name, scopes: []string{name}, lifetime: time.Hour, audience: iss.audience})
		if err != nil {
			t.Fatal(err)
		}
		var got Claims
		parsed, err := jwt.NewParser(jwt.WithTimeFunc(iss.clock.Now)).ParseWithClaims(tok.Token, &got, func(*jwt.Token) (any, error) { return iss.key.verify, nil })
		if err != nil || parsed.Header["kid"] != iss.KeyID() || got.Subject != claims.Subject || got.Scopes[0] != name || got.ID != claims.ID {
			t.Errorf("%q: parsed %+v header %v: %v", name, got, parsed.Header, err)
		}
	}
}

// claimsFor builds claims from fuzzed strings.
func claimsFor(sub, scope, app string, secs int64) Claims {
	at := jwt.NewNumericDate(time.Unix(secs, 0))
	return Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: app, Subject: sub, Audience: jwt.ClaimStrings{scope},
			ExpiresAt: at, NotBefore: at, IssuedAt: at, ID: sub + scope},
		Scopes: []string{scope, sub}, AppID: app, ObjectID: sub, TenantID: scope, NominalLifetime: secs,
	}
}

// FuzzClaimsJSON checks that the claims JSON mint builds is the JSON
// encoding/json writes, for any strings and times.
func FuzzClaimsJSON(f *testing.F) {
	for _, name := range awkwardNames {
		f.Add(name, "chat", "", int64(1_700_000_000))
	}
	f.Add("\x00\x1f\x7f", "\xff\xfe", "\xed\xa0\x80", int64(-1))
	f.Add("", "", "", int64(0))
	f.Fuzz(func(t *testing.T, sub, scope, app string, secs int64) {
		secs %= 1 << 40 // within what time.Unix and golang-jwt represent exactly
		c := claimsFor(sub, scope, app, secs)
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendClaimsJSON(nil, &c); string(got) != string(want) {
			t.Errorf("claims JSON\n got %s\nwant %s", got, want)
		}
	})
}

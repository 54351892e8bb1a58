package fakeissuer

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tokentop/issuer"
)

// A warped issuer on the real clock stamps the real time, divides the
// lifetime, records the nominal one, and its /api/me agrees with exp: what
// any JOSE verifier on the real clock concludes.
func TestWarpSixtyStampsRealTimesAndAnHourTokenLivesOneRealMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		iss, err := New(Options{Warp: 60}) // the real clock: bubble time here
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		tok, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice", Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		c := unverifiedClaims(t, tok.Token)
		if d := c.IssuedAt.Sub(now); d > 0 || d <= -time.Second || !c.NotBefore.Equal(c.IssuedAt.Time) {
			t.Errorf("iat %v nbf %v; want both the real now %v (whole second)", c.IssuedAt, c.NotBefore, now)
		}
		if got := lifetimeOf(c); got != time.Minute {
			t.Errorf("exp - iat = %v, want 1m (1h / 60)", got)
		}
		if c.NominalLifetime != 3600 {
			t.Errorf("ttl_nominal = %d, want 3600", c.NominalLifetime)
		}
		if !tok.ExpiresOn.Equal(c.ExpiresAt.Time) {
			t.Errorf("ExpiresOn %v, want exp %v", tok.ExpiresOn, c.ExpiresAt)
		}
		// A plain JOSE verifier on the real clock, no leeway, accepts it.
		if _, err := jwt.NewParser(jwt.WithIssuedAt(), jwt.WithExpirationRequired()).Parse(tok.Token,
			func(*jwt.Token) (any, error) { return iss.VerificationKey(), nil }); err != nil {
			t.Errorf("a verifier on the real clock: %v", err)
		}
		me := func() int {
			return call(iss.Handler(), "GET", PathMe, "", "", "Authorization", "Bearer "+tok.Token).Code
		}
		if code := me(); code != http.StatusOK {
			t.Errorf("/api/me at once: %d, want 200", code)
		}
		time.Sleep(59 * time.Second)
		if code := me(); code != http.StatusOK {
			t.Errorf("/api/me after 59 s: %d, want 200", code)
		}
		time.Sleep(2 * time.Second)
		if code := me(); code != http.StatusUnauthorized {
			t.Errorf("/api/me after 61 s: %d, want 401", code)
		}
		if _, err := iss.Verify(tok.Token); !errors.Is(err, ErrTokenExpired) {
			t.Errorf("Verify after 61 s: %v, want ErrTokenExpired", err)
		}
	})
}

// Every HTTP route that answers with an expiry says the warped one, equal to
// the token's exp.
func TestWarpedExpiryOfEveryRouteMatchesExp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		iss, err := New(Options{Warp: 3600, ACS: ACSOptions{AccessKey: testACSKey}, ClientID: "teams-app"})
		if err != nil {
			t.Fatal(err)
		}
		h := iss.Handler()
		check := func(route, raw string, expiresOn time.Time, wantLife time.Duration, wantNominal int64) {
			t.Helper()
			c := unverifiedClaims(t, raw)
			if !expiresOn.Equal(c.ExpiresAt.Time) || lifetimeOf(c) != wantLife || c.NominalLifetime != wantNominal {
				t.Errorf("%s: expiresOn %v, exp %v, exp - iat %v, ttl_nominal %d; want expiresOn = exp, %v, %d",
					route, expiresOn, c.ExpiresAt.Time, lifetimeOf(c), c.NominalLifetime, wantLife, wantNominal)
			}
		}

		id := createACSIdentity(t, h)
		w := acsCall(t, h, "POST", acsPath(id, ":issueAccessToken", ACSAPIVersion), `{"scopes":["chat"],"expiresInMinutes":60}`)
		wantStatus(t, w, http.StatusOK)
		acs := decodeBody[acsAccessToken](t, w.Body)
		check("ACS issueAccessToken", acs.Token, acs.ExpiresOn, time.Second, 3600)

		w = call(h, "POST", PathGetToken, "application/json", `{"username":"bob","expiresInMinutes":1440}`)
		wantStatus(t, w, http.StatusOK)
		app := decodeBody[appTokenResponse](t, w.Body)
		check("/getToken", app.Token, app.ExpiresOn, 24*time.Second, 86400)

		up, w := oauth2Token(t, iss, nil)
		wantStatus(t, w, http.StatusOK)
		c := unverifiedClaims(t, up.AccessToken)
		if up.ExpiresIn != 1 || lifetimeOf(c) != time.Second || c.NominalLifetime != 3600 {
			t.Errorf("/oauth2/token: expires_in %d, exp - iat %v, ttl_nominal %d; want 1, 1s, 3600", up.ExpiresIn, lifetimeOf(c), c.NominalLifetime)
		}

		// The Teams exchange expires with the upstream token: its nominal
		// lifetime is what is left of the upstream token's, unwarped.
		w = acsCall(t, h, "POST", PathACSTeamsUserExchange+"?api-version="+ACSAPIVersion, teamsExchangeBody(up.AccessToken, "teams-app", c.ObjectID))
		wantStatus(t, w, http.StatusOK)
		ex := decodeBody[acsAccessToken](t, w.Body)
		check("Teams exchange", ex.Token, ex.ExpiresOn, time.Second, 3600)
	})
}

func TestWarpRoundsUpToWholeSecondsAndSlowsBelowOne(t *testing.T) {
	for _, tt := range []struct {
		warp     float64
		lifetime time.Duration
		want     time.Duration
	}{
		{60, 24 * time.Hour, 24 * time.Minute},
		{7200, time.Hour, time.Second},    // half a second, rounded up
		{1e6, time.Minute, time.Second},   // never zero
		{90, time.Hour, 40 * time.Second}, // 3600 / 90
		{0.5, time.Hour, 2 * time.Hour},   // slower than real time
		{MinWarp, MaxLifetime, 36600 * 24 * time.Hour},
	} {
		iss, _ := newTestIssuer(t, Options{Warp: tt.warp})
		tok, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice", Lifetime: tt.lifetime})
		if err != nil {
			t.Fatal(err)
		}
		c := unverifiedClaims(t, tok.Token)
		if got := lifetimeOf(c); got != tt.want || c.NominalLifetime != int64(tt.lifetime/time.Second) {
			t.Errorf("warp %g, lifetime %v: exp - iat %v, ttl_nominal %d; want %v, %d", tt.warp, tt.lifetime, got, c.NominalLifetime, tt.want, int64(tt.lifetime/time.Second))
		}
	}
}

// Without a warp the token is as before: no ttl_nominal claim.
func TestNoWarpMintsNoNominalLifetimeClaim(t *testing.T) {
	for _, warp := range []float64{0, 1} {
		iss, _ := newTestIssuer(t, Options{Warp: warp})
		tok, _ := iss.Issue(context.Background(), issuer.Request{Identity: "alice", Lifetime: time.Hour})
		c := unverifiedClaims(t, tok.Token)
		if lifetimeOf(c) != time.Hour || c.NominalLifetime != 0 || iss.Warp() != 1 {
			t.Errorf("warp %g: exp - iat %v, ttl_nominal %d, Warp() %g; want 1h, none, 1", warp, lifetimeOf(c), c.NominalLifetime, iss.Warp())
		}
	}
}

func TestWarpOutOfRangeIsRefused(t *testing.T) {
	for _, w := range []float64{-1, 0.001, 2e6, math.NaN(), math.Inf(1)} {
		if _, err := New(Options{Warp: w}); err == nil {
			t.Errorf("New(Warp %v): no error", w)
		}
	}
}

// The upstream cache renews a warped token as far before its expiry as the
// offset is before a nominal one: 5 nominal minutes are 5 real seconds at 60.
func TestWarpDividesTheUpstreamCacheRenewalOffset(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{Warp: 60, UpstreamCache: UpstreamCacheOptions{Enabled: true}})
	form := url.Values{"expires_in": {"3600"}}
	first, _ := oauth2Token(t, iss, form)
	clk.Advance(54 * time.Second) // 6 s left: more than the 5 s offset
	again, w := oauth2Token(t, iss, form)
	if again.AccessToken != first.AccessToken || w.Header().Get(UpstreamCacheHeader) != "hit" {
		t.Errorf("6 s before a warped expiry: cache %q; want a hit", w.Header().Get(UpstreamCacheHeader))
	}
	clk.Advance(2 * time.Second) // 4 s left
	renewed, w := oauth2Token(t, iss, form)
	if renewed.AccessToken == first.AccessToken || w.Header().Get(UpstreamCacheHeader) != "miss" {
		t.Errorf("4 s before a warped expiry: cache %q; want a miss (renewed)", w.Header().Get(UpstreamCacheHeader))
	}
}

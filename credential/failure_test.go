package credential

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestSDKPoliciesStopProactiveRefreshAfterAFailedProactiveAttempt(t *testing.T) {
	for _, p := range []Policy{PolicyJS, PolicyDotNet, PolicyJava, PolicyPython} {
		t.Run(p.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				r := &fakeRefresher{next: func(_ context.Context, n int) (AccessToken, error) {
					if n == 1 {
						return AccessToken{}, errTest
					}
					return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
				}}
				exp := time.Now().Add(time.Hour)
				c := sh.new(t, Options{Refresher: r.refresh, InitialToken: mintJWT(exp), RefreshProactively: true, Policy: p})
				defer c.Dispose()
				time.Sleep(50 * time.Minute)
				synctest.Wait()
				if s := c.Snapshot(); s.Phase != PhaseFailed || !s.NextRefreshAt.IsZero() || !errors.Is(s.LastErr, errTest) {
					t.Fatalf("after the failed proactive refresh: %+v, want failed with nothing scheduled", s)
				}
				time.Sleep(time.Until(exp) + time.Hour)
				synctest.Wait()
				if r.Calls() != 1 {
					t.Fatalf("refresher calls = %d, want 1: proactive refresh stops after a failure", r.Calls())
				}
				// A later success (on demand) reschedules.
				if _, err := c.GetToken(context.Background()); err != nil {
					t.Fatal(err)
				}
				if s := c.Snapshot(); s.NextRefreshAt.IsZero() || s.Phase != PhaseValid {
					t.Fatalf("after an on-demand success: %+v, want a proactive refresh scheduled", s)
				}
			})
		})
	}
}

// The tokentop policy retries after 1 s, doubling up to 1 minute, and goes
// on after the token expires until the issuer answers.
func TestTokentopPolicyRetriesWithBackoffUntilTheIssuerAnswers(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		exp := time.Now().Add(time.Hour)
		healAt := exp.Add(10 * time.Minute)
		r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
			if time.Now().Before(healAt) {
				return AccessToken{}, errTest
			}
			return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
		}}
		rec := &recorder{}
		c, err := sh.newJittered(Options{Refresher: r.refresh, InitialToken: mintJWT(exp), RefreshProactively: true, OnEvent: rec.on},
			func() float64 { return 0 })
		if err != nil {
			t.Fatal(err)
		}
		defer c.Dispose()
		time.Sleep(50*time.Minute + time.Second/2)
		synctest.Wait()
		if s := c.Snapshot(); s.Phase != PhaseRetrying || s.Attempt != 2 {
			t.Fatalf("after the first failure: %+v, want retrying attempt 2", s)
		}
		time.Sleep(time.Until(healAt) + time.Minute)
		synctest.Wait()
		retries := rec.events(EventRetryScheduled)
		// 1 s, doubling, at most 1 min, each at 80% with the jitter pinned to 0
		// (and never below the 1 s floor).
		want := []time.Duration{1000, 1600, 3200, 6400, 12800, 25600, 48000, 48000}
		for i, w := range want {
			if d := retries[i].NextAt.Sub(retries[i].At); d != w*time.Millisecond {
				t.Errorf("retry %d after %v, want %v", i+1, d, w*time.Millisecond)
			}
		}
		if last := retries[len(retries)-1]; !last.At.After(exp) {
			t.Errorf("last retry scheduled at %v, want retries after the expiry %v", last.At, exp)
		}
		s := c.Snapshot()
		if s.Phase != PhaseValid || !s.Token.ExpiresOn.After(healAt) || s.Attempt != 0 || s.NextRefreshAt.IsZero() {
			t.Fatalf("after the issuer healed: %+v, want a valid token and a proactive schedule", s)
		}
		if s.Counters.Failures+1 != s.Counters.RefresherCalls || s.Counters.Successes != 1 {
			t.Errorf("counters %+v, want every call but the last failed", s.Counters)
		}
	})
}

// Jitter is applied after the caps, downwards, so that sessions failing in
// one outage do not retry in lockstep at a cap, and no cap is exceeded.
func TestRetryDelayIsCappedJitteredAndFloored(t *testing.T) {
	p := DefaultPolicy
	for _, tc := range []struct {
		n        int
		ttl      time.Duration
		jitter   float64
		min, max time.Duration
	}{
		{1, 0, 0, time.Second, time.Second},     // 0.8 s, floored
		{1, 0, 0.999, time.Second, time.Second}, // never above the base
		{3, 0, 0.5, 3600 * time.Millisecond, 3600 * time.Millisecond},
		{7, 0, 0, 48 * time.Second, 48 * time.Second}, // jittered also at the 1 min cap
		{7, 0, 0.999, 59900 * time.Millisecond, time.Minute},
		{1000, 0, 0.5, 54 * time.Second, 54 * time.Second},
		{6, 10 * time.Second, 0, 4 * time.Second, 4 * time.Second},     // at most ttl/2 while valid, jittered
		{6, 10 * time.Second, 0.999, 4 * time.Second, 5 * time.Second}, // never above ttl/2
		{6, time.Second, 0, time.Second, time.Second},                  // never below 1 s
	} {
		if d := p.retryDelay(tc.n, tc.ttl, tc.jitter); d < tc.min || d > tc.max {
			t.Errorf("retryDelay(%d, %v, %v) = %v, want in [%v, %v]", tc.n, tc.ttl, tc.jitter, d, tc.min, tc.max)
		}
	}
}

// Doubling must saturate at the cap for any number of failures, not wrap
// around (a shift by 31 or more used to fall back to the 1 s floor).
func TestRetryDelayOfACustomPolicySaturatesAtTheCapAfterManyFailures(t *testing.T) {
	p := Policy{RetryOnFailure: true, RetryFirstDelay: 5 * time.Second, RetryMaxDelay: time.Hour}
	for _, n := range []int{11, 30, 31, 32, 33, 64, 1 << 20} {
		if d := p.retryDelay(n, 0, 0); d < 45*time.Minute || d > time.Hour {
			t.Errorf("retryDelay(%d) = %v, want the 1h cap less at most 20%% jitter", n, d)
		}
	}
}

func TestExpiredTokenFromTheRefresherIsRejected(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		expired := time.Now().Add(-3 * time.Minute)
		r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
			return AccessToken{Token: mintJWT(expired)}, nil
		}}
		rec := &recorder{}
		old := mintJWT(time.Now().Add(-time.Hour))
		c := sh.new(t, Options{Refresher: r.refresh, InitialToken: old, OnEvent: rec.on})
		defer c.Dispose()
		_, err := c.GetToken(context.Background())
		var ee *ExpiredTokenError
		if !errors.Is(err, ErrExpiredToken) || !errors.As(err, &ee) || !ee.ExpiresOn.Equal(expired) {
			t.Fatalf("GetToken = %v, want an *ExpiredTokenError", err)
		}
		want := "credential: the refresher returned an expired token: it expired at 1999-12-31T23:57:00Z, 3m0s before it was received"
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("message %q\nwant prefix  %q", err.Error(), want)
		}
		s := c.Snapshot()
		if s.Token.Token != old || s.Counters.Rejections != 1 || len(rec.events(EventRejected)) != 1 {
			t.Errorf("Snapshot = %+v, want the old token kept and one rejection", s)
		}
	})
}

func TestMalformedTokenFromTheRefresherIsRejected(t *testing.T) {
	for _, tc := range []struct {
		token string
		part  TokenPart
	}{
		{"", PartSegments},
		{"%%%.abc.def", PartBase64},
		{mintJWTClaims(`{"sub":"x"}`), PartExp},
	} {
		onEachShell(t, func(t *testing.T, sh shell) {
			r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) { return AccessToken{Token: tc.token}, nil }}
			rec := &recorder{}
			c := sh.new(t, Options{Refresher: r.refresh, OnEvent: rec.on})
			defer c.Dispose()
			_, err := c.GetToken(context.Background())
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Part != tc.part {
				t.Fatalf("token %q: GetToken = %v, want a *ParseError about %s", tc.token, err, tc.part)
			}
			if ev := rec.events(EventRejected); len(ev) != 1 || !errors.As(ev[0].Err, &pe) {
				t.Errorf("rejected events = %+v", ev)
			}
			if s := c.Snapshot(); s.Token.Token != "" {
				t.Errorf("a malformed token was stored")
			}
		})
	}
}

// A token its refresher minted (Minted, with ExpiresOn) is taken without
// being read back; without either, the same bytes are parsed and refused.
func TestMintedTokenIsTakenWithoutParsing(t *testing.T) {
	const raw = "%%%.abc.def" // not base64url: any parse refuses it
	for _, tc := range []struct {
		name   string
		minted bool
		expiry bool
		ok     bool
	}{
		{"minted with its expiry", true, true, true},
		{"minted without an expiry", true, false, false},
		{"not minted", false, true, false},
	} {
		onEachShell(t, func(t *testing.T, sh shell) {
			exp := time.Now().Add(time.Hour)
			r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
				tok := AccessToken{Token: raw, Minted: tc.minted}
				if tc.expiry {
					tok.ExpiresOn = exp
				}
				return tok, nil
			}}
			c := sh.new(t, Options{Refresher: r.refresh})
			defer c.Dispose()
			tok, err := c.GetToken(context.Background())
			if !tc.ok {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Part != PartBase64 {
					t.Fatalf("%s: GetToken = %+v, %v; want a *ParseError about base64", tc.name, tok, err)
				}
				return
			}
			if err != nil || tok.Token != raw || !tok.ExpiresOn.Equal(exp) {
				t.Fatalf("%s: GetToken = %+v, %v; want the token as minted, expiring at %v", tc.name, tok, err, exp)
			}
		})
	}
}

func TestOpaqueTokenGetsTheOpaqueLifetimeAndAWarning(t *testing.T) {
	for _, raw := range []string{"opaque-random-string", "a.b.c.d.e"} { // opaque, five-segment JWE
		onEachShell(t, func(t *testing.T, sh shell) {
			r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) { return AccessToken{Token: raw}, nil }}
			rec := &recorder{}
			c := sh.new(t, Options{Refresher: r.refresh, OnEvent: rec.on})
			defer c.Dispose()
			tok, err := c.GetToken(context.Background())
			if err != nil || tok.Token != raw || !tok.ExpiresOn.Equal(time.Now().Add(10*time.Minute)) {
				t.Fatalf("GetToken = %+v, %v; want the token valid for 10 minutes", tok, err)
			}
			if w := rec.events(EventOpaqueToken); len(w) != 1 || !w[0].ExpiresOn.Equal(tok.ExpiresOn) {
				t.Errorf("opaque-token events = %+v, want one", w)
			}
		})
	}
}

// A three-segment token must parse even when the refresher gives its
// expiry; that expiry still wins over exp, and makes exp optional.
func TestMalformedJWTIsRejectedEvenWhenTheRefresherGivesItsExpiry(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, tc := range []struct {
		token string
		part  TokenPart // "" means accepted
	}{
		{"%%%.abc.def", PartBase64},
		{enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte("not json")) + "." + enc([]byte("sig")), PartJSON},
		{mintJWTClaims(`{"sub":"x","exp":"soon"}`), PartExp},
		{mintJWTClaims(`{"sub":"x"}`), ""},
		{mintJWT(time.Date(2000, 1, 1, 5, 0, 0, 0, time.UTC)), ""},
	} {
		onEachShell(t, func(t *testing.T, sh shell) {
			exp := time.Now().Add(time.Hour)
			r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
				return AccessToken{Token: tc.token, ExpiresOn: exp}, nil
			}}
			c := sh.new(t, Options{Refresher: r.refresh})
			defer c.Dispose()
			tok, err := c.GetToken(context.Background())
			var pe *ParseError
			switch {
			case tc.part == "" && (err != nil || !tok.ExpiresOn.Equal(exp)):
				t.Fatalf("token %d: GetToken = %v, %v; want it accepted with the refresher's expiry", len(tc.token), tok.ExpiresOn, err)
			case tc.part != "" && (!errors.As(err, &pe) || pe.Part != tc.part):
				t.Fatalf("token %d: GetToken = %v, want a *ParseError about %s", len(tc.token), err, tc.part)
			}
		})
	}
}

func TestRefresherExpiryOverridesTheJWTClaim(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		exp := time.Now().Add(5 * time.Minute)
		r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
			return AccessToken{Token: "opaque", ExpiresOn: exp}, nil
		}}
		rec := &recorder{}
		c := sh.new(t, Options{Refresher: r.refresh, OnEvent: rec.on})
		defer c.Dispose()
		tok, err := c.GetToken(context.Background())
		if err != nil || !tok.ExpiresOn.Equal(exp) || len(rec.events(EventOpaqueToken)) != 0 {
			t.Fatalf("GetToken = %+v, %v; want the refresher's expiry and no warning", tok, err)
		}
	})
}

func TestRefresherPanicWithAnErrorKeepsItForErrorsIs(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		c := sh.new(t, Options{Refresher: func(context.Context) (AccessToken, error) { panic(errTest) }})
		defer c.Dispose()
		_, err := c.GetToken(context.Background())
		if !errors.Is(err, errTest) || !strings.Contains(err.Error(), "it panicked: "+errTest.Error()) {
			t.Fatalf("GetToken = %v, want the panic's error, wrapped", err)
		}
	})
}

// An AsyncRefresher that panics is wrapped as a Refresher's panic is: with
// %w, so that errors.Is sees an error value (it used to be flattened).
func TestAsyncRefresherPanicWithAnErrorKeepsItForErrorsIs(t *testing.T) {
	c := mustNew(t, Options{AsyncRefresher: func(context.Context, func(AccessToken, error)) { panic(errTest) }})
	defer c.Dispose()
	var got error
	c.GetTokenAsync(func(_ AccessToken, err error) { got = err })
	if !errors.Is(got, errTest) || got.Error() != "credential: the refresher failed (attempt 1): it panicked: "+errTest.Error() {
		t.Fatalf("GetTokenAsync got %v, want the panic's error, wrapped", got)
	}
}

func TestRefresherPanicBecomesAnError(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		c := sh.new(t, Options{Refresher: func(context.Context) (AccessToken, error) { panic("boom") }})
		defer c.Dispose()
		_, err := c.GetToken(context.Background())
		if err == nil || err.Error() != "credential: the refresher failed (attempt 1): it panicked: boom" {
			t.Fatalf("GetToken = %v, want the panic as an error", err)
		}
		if !strings.HasPrefix(err.Error(), "credential: the refresher failed (attempt 1): ") {
			t.Errorf("message %q", err)
		}
	})
}

package credential

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestStaticCredentialReturnsItsTokenEvenWhenExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		raw := mintJWT(time.Now().Add(-time.Hour))
		c, err := NewStatic(raw)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.GetToken(context.Background())
		if err != nil || tok.Token != raw {
			t.Fatalf("GetToken = %q, %v; want the expired static token", tok.Token, err)
		}
		if s := c.Snapshot(); s.Phase != PhaseExpired || !s.Static || s.Policy != "static" {
			t.Errorf("Snapshot = %+v, want a static credential in phase expired", s)
		}
		if _, err := c.Refresh(context.Background()); !errors.Is(err, ErrStatic) {
			t.Errorf("Refresh = %v, want ErrStatic", err)
		}
		c.Dispose()
		if _, err := c.GetToken(context.Background()); !errors.Is(err, ErrDisposed) {
			t.Errorf("GetToken after Dispose = %v, want ErrDisposed", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close after Dispose = %v, want nil", err)
		}
	})
}

// The messages name the token once and say "credential:" once.
func TestMalformedStaticAndInitialTokenMessagesReadOnce(t *testing.T) {
	refresher := func(context.Context) (AccessToken, error) { return AccessToken{}, nil }
	raw := mintJWTClaims(`{"sub":"x"}`)
	_, err := NewStatic(raw)
	if want := `credential: malformed static token: the payload has no "exp" claim, so the token's expiry is unknown`; err == nil || err.Error() != want {
		t.Errorf("NewStatic = %v, want %q", err, want)
	}
	_, err = New(Options{Refresher: refresher, InitialToken: raw})
	if err == nil || strings.Count(err.Error(), "credential:") != 1 || !strings.Contains(err.Error(), "malformed initial token") {
		t.Errorf("New = %v, want one sentence about the malformed initial token", err)
	}
}

func TestStaticAndInitialTokensMustBeJWTsWithExp(t *testing.T) {
	refresher := func(context.Context) (AccessToken, error) { return AccessToken{}, nil }
	for _, raw := range []string{"opaque-token", "a.b.c.d.e", mintJWTClaims(`{"sub":"x"}`), "x.y.z"} {
		var pe *ParseError
		if _, err := NewStatic(raw); !errors.As(err, &pe) {
			t.Errorf("NewStatic(%q) = %v, want a *ParseError", raw, err)
		}
		if _, err := New(Options{Refresher: refresher, InitialToken: raw}); !errors.As(err, &pe) {
			t.Errorf("New with InitialToken %q = %v, want a *ParseError", raw, err)
		}
	}
}

func TestNewRejectsMissingRefresherAndBadPolicy(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("New without a Refresher succeeded")
	}
	refresher := func(context.Context) (AccessToken, error) { return AccessToken{}, nil }
	bad := DefaultPolicy
	bad.RefreshFraction = 1.5
	if _, err := New(Options{Refresher: refresher, Policy: bad}); err == nil {
		t.Error("New with RefreshFraction 1.5 succeeded")
	}
}

func TestPolicyByNameKnowsTheFivePolicies(t *testing.T) {
	for _, name := range []string{"tokentop", "js", "dotnet", "java", "python"} {
		p, err := PolicyByName(name)
		if err != nil || p.Name != name {
			t.Errorf("PolicyByName(%q) = %q, %v", name, p.Name, err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("policy %q: %v", name, err)
		}
	}
	if p, err := PolicyByName(""); err != nil || p != DefaultPolicy {
		t.Errorf(`PolicyByName("") = %q, %v; want the default`, p.Name, err)
	}
	if _, err := PolicyByName("rust"); err == nil {
		t.Error(`PolicyByName("rust") succeeded`)
	}
}

func TestValidInitialTokenIsServedWithoutCallingTheRefresher(t *testing.T) {
	for _, p := range Policies() {
		t.Run(p.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := &fakeRefresher{next: lifetime(time.Hour)}
				raw := mintJWT(time.Now().Add(time.Hour))
				c := mustNew(t, Options{Refresher: r.refresh, InitialToken: raw, RefreshProactively: true, Policy: p})
				defer c.Dispose()
				tok, err := c.GetToken(context.Background())
				synctest.Wait()
				if err != nil || tok.Token != raw || r.Calls() != 0 {
					t.Fatalf("GetToken = %v, %v after %d refresher calls; want the initial token and no call", tok.ExpiresOn, err, r.Calls())
				}
			})
		})
	}
}

func TestExpiredInitialTokenWithoutProactiveRefreshWaitsForGetToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRefresher{next: lifetime(time.Hour)}
		c := mustNew(t, Options{Refresher: r.refresh, InitialToken: mintJWT(time.Now().Add(-time.Minute))})
		defer c.Dispose()
		time.Sleep(time.Hour)
		synctest.Wait()
		if r.Calls() != 0 {
			t.Fatalf("refresher called %d times before any GetToken", r.Calls())
		}
		tok, err := c.GetToken(context.Background())
		if err != nil || r.Calls() != 1 || !tok.ExpiresOn.Equal(time.Now().Add(time.Hour)) {
			t.Fatalf("GetToken = %v, %v after %d calls; want a fresh token from 1 call", tok.ExpiresOn, err, r.Calls())
		}
	})
}

func TestExpiredInitialTokenWithProactiveRefreshRefreshesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRefresher{next: lifetime(time.Hour)}
		rec := &recorder{}
		c := mustNew(t, Options{Refresher: r.refresh, InitialToken: mintJWT(time.Now().Add(-time.Minute)),
			RefreshProactively: true, OnEvent: rec.on})
		defer c.Dispose()
		synctest.Wait()
		if r.Calls() != 1 {
			t.Fatalf("refresher called %d times, want 1 at once", r.Calls())
		}
		if started := rec.events(EventStarted); len(started) != 1 || started[0].Reason != ReasonProactive {
			t.Errorf("started events = %+v, want one proactive", started)
		}
	})
}

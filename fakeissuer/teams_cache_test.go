package fakeissuer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/issuer"
)

func TestTeamsOAuth2TokenWithoutTheUpstreamCacheMintsEveryTime(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	a, w := oauth2Token(t, iss, nil)
	b, _ := oauth2Token(t, iss, nil)
	if a.AccessToken == b.AccessToken {
		t.Error("two token requests got the same token without the upstream cache")
	}
	if h := w.Header().Get(UpstreamCacheHeader); h != "" {
		t.Errorf("%s: %q without the cache, want none", UpstreamCacheHeader, h)
	}
}

func TestTeamsUpstreamCacheHandsBackTheSameTokenUntilFiveMinutesBeforeExpiry(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{UpstreamCache: UpstreamCacheOptions{Enabled: true}})
	// Start on a whole second, as tokens do, so expires_in is exact.
	clk.Advance(clk.Now().Truncate(time.Second).Add(time.Second).Sub(clk.Now()))
	first, w := oauth2Token(t, iss, nil)
	if got := w.Header().Get(UpstreamCacheHeader); got != "miss" {
		t.Errorf("first request: cache %q, want miss", got)
	}
	clk.Advance(DefaultUpstreamLifetime - DefaultUpstreamRenewalOffset - time.Second)
	again, w := oauth2Token(t, iss, nil)
	if again.AccessToken != first.AccessToken || w.Header().Get(UpstreamCacheHeader) != "hit" {
		t.Errorf("5m1s before expiry: got a new token (cache %q), want the cached one", w.Header().Get(UpstreamCacheHeader))
	}
	if again.ExpiresIn != int64((DefaultUpstreamRenewalOffset+time.Second)/time.Second) {
		t.Errorf("cached token expires_in %d, want the %v it has left", again.ExpiresIn, DefaultUpstreamRenewalOffset+time.Second)
	}
	clk.Advance(time.Second)
	renewed, w := oauth2Token(t, iss, nil)
	if renewed.AccessToken == first.AccessToken || w.Header().Get(UpstreamCacheHeader) != "miss" {
		t.Errorf("5m before expiry: cache %q gave the old token; want a renewal", w.Header().Get(UpstreamCacheHeader))
	}
	if renewed.ExpiresIn != int64(DefaultUpstreamLifetime/time.Second) {
		t.Errorf("renewed token expires_in %d, want a full hour", renewed.ExpiresIn)
	}
	if latest, _ := oauth2Token(t, iss, nil); latest.AccessToken != renewed.AccessToken {
		t.Error("the renewed token was not cached")
	}
}

func TestTeamsUpstreamCacheForceRefreshMintsAndCachesANewToken(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{UpstreamCache: UpstreamCacheOptions{Enabled: true}})
	first, _ := oauth2Token(t, iss, nil)
	forced, w := oauth2Token(t, iss, url.Values{ForceRefreshParam: {"true"}})
	if forced.AccessToken == first.AccessToken || w.Header().Get(UpstreamCacheHeader) != "refresh" {
		t.Errorf("force_refresh=true: cache %q and the same token; want a new one", w.Header().Get(UpstreamCacheHeader))
	}
	if next, _ := oauth2Token(t, iss, url.Values{ForceRefreshParam: {"false"}}); next.AccessToken != forced.AccessToken {
		t.Error("after a forced refresh the cache still hands back the old token")
	}
	_, w = oauth2Token(t, iss, url.Values{ForceRefreshParam: {"yes please"}})
	if w.Code != http.StatusBadRequest || oauthCode(t, w.Body.Bytes()) != "invalid_request" || !strings.Contains(w.Body.String(), "force_refresh") {
		t.Errorf("force_refresh=yes please: %d %s, want 400 invalid_request naming force_refresh", w.Code, w.Body.Bytes())
	}
}

func TestTeamsUpstreamCacheKeysOnScopesAndAskedLifetime(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{UpstreamCache: UpstreamCacheOptions{Enabled: true}})
	a, _ := oauth2Token(t, iss, url.Values{"scope": {"a"}})
	b, _ := oauth2Token(t, iss, url.Values{"scope": {"b"}})
	c, _ := oauth2Token(t, iss, url.Values{"scope": {"a"}, "expires_in": {"1800"}})
	a2, _ := oauth2Token(t, iss, url.Values{"scope": {"a"}})
	if a.AccessToken == b.AccessToken || a.AccessToken == c.AccessToken || a2.AccessToken != a.AccessToken {
		t.Error("the cache mixes up requests for other scopes or lifetimes")
	}
}

func TestTeamsUpstreamCacheNeverHandsBackTokensShorterThanTheRenewalOffset(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{UpstreamCache: UpstreamCacheOptions{Enabled: true, RenewalOffset: 10 * time.Minute}})
	short := url.Values{"expires_in": {"600"}} // exactly the offset: always due for renewal
	a, _ := oauth2Token(t, iss, short)
	b, w := oauth2Token(t, iss, short)
	if a.AccessToken == b.AccessToken || w.Header().Get(UpstreamCacheHeader) != "miss" {
		t.Errorf("a token with no more than the renewal offset left was handed back from the cache (%q)", w.Header().Get(UpstreamCacheHeader))
	}
}

func TestTeamsIssueUpstreamCachedInProcessFollowsTheSameRules(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{UpstreamCache: UpstreamCacheOptions{RenewalOffset: time.Minute}})
	ctx := context.Background()
	first, cached, err := iss.IssueUpstreamCached(ctx, "app", 0, false)
	if err != nil || cached {
		t.Fatalf("first call: cached %v, err %v; want a fresh token", cached, err)
	}
	clk.Advance(DefaultUpstreamLifetime - time.Minute - time.Second)
	again, cached, _ := iss.IssueUpstreamCached(ctx, "app", 0, false)
	if !cached || again != first {
		t.Errorf("61s before expiry with a 1m offset: cached %v; want the cached token", cached)
	}
	forced, cached, _ := iss.IssueUpstreamCached(ctx, "app", 0, true)
	if cached || forced == first {
		t.Error("forceRefresh handed back the cached token")
	}
	other, cached, _ := iss.IssueUpstreamCached(ctx, "other-app", 0, false)
	if cached || other == forced {
		t.Error("another client got the first client's token")
	}
	// The in-process cache does not change /oauth2/token, whose option is off.
	a, _ := oauth2Token(t, iss, nil)
	b, _ := oauth2Token(t, iss, nil)
	if a.AccessToken == b.AccessToken {
		t.Error("/oauth2/token cached with UpstreamCacheOptions.Enabled false")
	}
}

func TestTeamsUpstreamCacheHitBypassesFaultsButAMissDoesNot(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{UpstreamCache: UpstreamCacheOptions{Enabled: true}})
	first, _ := oauth2Token(t, iss, nil)
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Status: http.StatusServiceUnavailable}); err != nil {
		t.Fatal(err)
	}
	if hit, w := oauth2Token(t, iss, nil); w.Code != http.StatusOK || hit.AccessToken != first.AccessToken {
		t.Errorf("cache hit under a fault: %d, want the cached token (a cache reaches no issuer)", w.Code)
	}
	if _, w := oauth2Token(t, iss, url.Values{ForceRefreshParam: {"true"}}); w.Code != http.StatusServiceUnavailable {
		t.Errorf("forced refresh under a 503 fault: %d, want 503", w.Code)
	}
}

func TestACSAndTeamsOptionsRefuseANegativeRenewalOffsetAndABadAccessKey(t *testing.T) {
	for _, tc := range []struct {
		opts     Options
		fragment string
	}{
		{Options{UpstreamCache: UpstreamCacheOptions{RenewalOffset: -time.Second}}, "renewal offset -1s is out of range"},
		{Options{ACS: ACSOptions{AccessKey: "not base64!"}}, "not standard base64"},
		{Options{ACS: ACSOptions{AccessKey: "c2hvcnQ="}}, "decodes to 5 bytes; use at least 16"},
	} {
		if _, err := New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.fragment) {
			t.Errorf("New(%+v) = %v, want an error saying %q", tc.opts, err, tc.fragment)
		}
	}
}

func TestTeamsUpstreamCacheAndACSRoutesAreSafeUnderConcurrentRequests(t *testing.T) {
	iss := newACSIssuer(t, Options{UpstreamCache: UpstreamCacheOptions{Enabled: true}})
	h := iss.Handler()
	id := createACSIdentity(t, h)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Go(func() {
			for n := range 10 {
				if tok, w := oauth2Token(t, iss, url.Values{"scope": {fmt.Sprint("s", n%2)}}); w.Code != http.StatusOK {
					errs <- fmt.Sprintf("goroutine %d: /oauth2/token %d", g, w.Code)
				} else if _, err := iss.Verify(tok.AccessToken); err != nil {
					errs <- fmt.Sprintf("goroutine %d: cached token refused: %v", g, err)
				}
				if w := acsCall(t, h, "POST", acsPath(id, ":issueAccessToken", ACSAPIVersion), `{"scopes":["chat"]}`); w.Code != http.StatusOK {
					errs <- fmt.Sprintf("goroutine %d: issueAccessToken %d", g, w.Code)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestTeamsIssueUpstreamCachedHonoursACancelledContextEvenOnAHit(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	if _, _, err := iss.IssueUpstreamCached(context.Background(), "app", 0, false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := iss.IssueUpstreamCached(ctx, "app", 0, false); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err %v, want context.Canceled", err)
	}
}

func TestTeamsUpstreamCacheHoldsAtMostItsMaximumOfEntries(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{Algorithm: AlgHS256})
	ctx := context.Background()
	for n := range maxUpstreamCacheEntries + 50 {
		if _, _, err := iss.IssueUpstreamCached(ctx, "app", time.Hour+time.Duration(n)*time.Second, false); err != nil {
			t.Fatal(err)
		}
	}
	iss.upstreamCache.mu.Lock()
	held := len(iss.upstreamCache.entries)
	iss.upstreamCache.mu.Unlock()
	if held != maxUpstreamCacheEntries {
		t.Errorf("the cache holds %d entries, want %d", held, maxUpstreamCacheEntries)
	}
	last := time.Hour + time.Duration(maxUpstreamCacheEntries+49)*time.Second
	if _, cached, err := iss.IssueUpstreamCached(ctx, "app", last, false); err != nil || !cached {
		t.Errorf("the newest entry: cached %v, %v", cached, err)
	}
}

func TestIssueUpstreamRefusesAnUnprintableClientID(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for _, id := range []string{"app\x1b[2J", strings.Repeat("a", MaxIdentityLen+1)} {
		if _, err := iss.IssueUpstream(context.Background(), id, 0); !errors.Is(err, ErrBadRequest) || strings.Contains(err.Error(), "\x1b") {
			t.Errorf("client id %.20q: err = %v, want a bad request", id, err)
		}
	}
}

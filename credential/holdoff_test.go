package credential

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// statusErr is a refresher error with an HTTP status, as the issuer adapters
// return: 429 and 503 carry a Retry-After; 400, 401, 403, 404 are permanent.
type statusErr struct {
	status int
	after  time.Duration
}

func (e *statusErr) Error() string { return "server answered " + statusText(e.status) }
func (e *statusErr) RetryDelay() time.Duration {
	if e.status == 429 || e.status == 503 {
		return e.after
	}
	return 0
}
func (e *statusErr) Permanent() bool { return e.status >= 400 && e.status <= 404 && e.status != 402 }

func statusText(status int) string {
	return map[int]string{429: "429", 503: "503", 401: "401 invalid_client"}[status]
}

// callTimes records when a refresher was called.
type callTimes struct {
	mu sync.Mutex
	at []time.Time
}

func (c *callTimes) add(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = append(c.at, t)
}

func (c *callTimes) times() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.at...)
}

// failingUntil returns a refresher that fails with err until healAt, then
// succeeds, recording when it was called.
func failingUntil(err error, healAt time.Time, calls *callTimes) *fakeRefresher {
	return &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
		calls.add(time.Now())
		if time.Now().Before(healAt) {
			return AccessToken{}, err
		}
		return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
	}}
}

func TestTokentopPolicyNeverRetriesSoonerThanRetryAfter(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		start := time.Now()
		var calls callTimes
		r := failingUntil(&statusErr{status: 429, after: 30 * time.Second}, start.Add(50*time.Second), &calls)
		c := sh.new(t, Options{Refresher: r.refresh, RefreshProactively: true})
		defer c.Dispose()
		synctest.Wait()
		time.Sleep(10 * time.Second)
		// A caller inside the wait gets the failure at once, without a call.
		synctest.Wait()
		if _, err := c.GetToken(context.Background()); err == nil || !strings.Contains(err.Error(), "asked to wait") || len(calls.times()) != 1 {
			t.Fatalf("GetToken 10 s into a 30 s Retry-After: %v after %d calls; want the hold error and no new call", err, len(calls.times()))
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		at := calls.times()
		if len(at) != 3 {
			t.Fatalf("%d issuer calls, want 3 (at 0, 30 s and 60 s)", len(at))
		}
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap < 30*time.Second {
				t.Errorf("call %d came %v after the one before; the issuer asked for 30 s", i+1, gap)
			}
		}
		if c.Snapshot().Phase != PhaseValid {
			t.Errorf("phase %v after the issuer healed, want valid", c.Snapshot().Phase)
		}
	})
}

func TestTwoPermanentFailuresInARowNeedAttentionAndARetryAMinute(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		start := time.Now()
		var calls callTimes
		r := failingUntil(&statusErr{status: 401}, start.Add(time.Hour), &calls)
		c := sh.new(t, Options{Refresher: r.refresh, RefreshProactively: true})
		defer c.Dispose()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		s := c.Snapshot()
		if s.Phase != PhaseAttention || !strings.Contains(s.LastErr.Error(), "401") {
			t.Fatalf("after 10 minutes of 401s: phase %v (%v), want needs attention", s.Phase, s.LastErr)
		}
		// Attempts at 0 and 1 s (the backoff), then once a minute.
		at := calls.times()
		if len(at) < 10 || len(at) > 12 {
			t.Fatalf("%d calls in 10 minutes, want about one a minute", len(at))
		}
		for i := 2; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap != time.Minute {
				t.Errorf("call %d came %v after the one before, want 1m", i+1, gap)
			}
		}
		// r (Refresh) asks at once.
		n := len(at)
		if _, err := c.Refresh(context.Background()); err == nil || len(calls.times()) != n+1 {
			t.Fatalf("Refresh: %v after %d calls (was %d); want one call now, failing", err, len(calls.times()), n)
		}
	})
}

func TestSDKPoliciesIgnoreRetryAfterAndAttention(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		for _, p := range []Policy{PolicyJS, PolicyDotNet, PolicyJava, PolicyPython} {
			var calls callTimes
			r := failingUntil(&statusErr{status: 429, after: time.Hour}, time.Now().Add(time.Hour), &calls)
			c := sh.new(t, Options{Refresher: r.refresh, Policy: p})
			for range 3 {
				if _, err := c.GetToken(context.Background()); err == nil {
					t.Fatalf("%s: GetToken succeeded against a failing issuer", p.Name)
				}
			}
			if n := len(calls.times()); n != 3 || c.Snapshot().Phase == PhaseAttention {
				t.Errorf("%s: %d calls for 3 GetTokens, phase %v; the SDKs ask every time", p.Name, n, c.Snapshot().Phase)
			}
			c.Dispose()
		}
	})
}

func TestRejectedTokensCountAsPermanentFailures(t *testing.T) {
	err := &ExpiredTokenError{ExpiresOn: time.Unix(0, 0), ReceivedAt: time.Unix(60, 0)}
	if !isPermanent(err) || !isPermanent(&ParseError{Part: PartSegments}) || isPermanent(errors.New("connection refused")) {
		t.Error("expired and malformed tokens are permanent failures; a network error is not")
	}
}

package credential

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// hangUntil returns a refresher answer that hangs until its ctx is done while
// the time is before healAt, and then answers with an hour-long token.
func hangUntil(healAt time.Time) func(context.Context, int) (AccessToken, error) {
	return func(ctx context.Context, _ int) (AccessToken, error) {
		if time.Now().Before(healAt) {
			<-ctx.Done()
			return AccessToken{}, ctx.Err()
		}
		return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
	}
}

// A hung issuer must not hold a tokentop credential for good: each background
// attempt is cancelled after Policy.AttemptTimeout, counts as a failure, and
// the policy retries until the issuer answers again.
func TestHungBackgroundRefreshTimesOutAndTheTokentopPolicyRetriesUntilTheIssuerAnswers(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		exp := time.Now().Add(time.Hour)
		r := &fakeRefresher{next: hangUntil(exp.Add(time.Hour))}
		rec := &recorder{}
		c := sh.new(t, Options{Refresher: r.refresh, InitialToken: mintJWT(exp), RefreshProactively: true, OnEvent: rec.on})
		defer c.Dispose()

		time.Sleep(50*time.Minute + DefaultAttemptTimeout)
		synctest.Wait()
		failed := rec.events(EventFailed)
		if len(failed) != 1 || !errors.Is(failed[0].Err, context.DeadlineExceeded) ||
			!strings.Contains(failed[0].Err.Error(), "did not answer within 30s") {
			t.Fatalf("30 s after the proactive refresh started: failed events %+v, want one timeout", failed)
		}
		if s := c.Snapshot(); s.Phase != PhaseRetrying || s.Counters.Aborts != 0 {
			t.Fatalf("after the timeout: %+v, want retrying and no abort", s)
		}

		time.Sleep(time.Until(exp.Add(2 * time.Hour)))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := c.GetToken(ctx); err != nil {
			t.Fatalf("GetToken an hour after the issuer recovered: %v, want a token", err)
		}
		if s := c.Snapshot(); s.Phase != PhaseValid || r.Calls() < 3 {
			t.Fatalf("after recovery: phase %v, refresher calls %d; want valid after several attempts", s.Phase, r.Calls())
		}
	})
}

// A caller that joins a background refresh after the token expired, and
// gives up, does not abort it: the schedule owns that refresh, and
// AttemptTimeout bounds it.
func TestCallerGivingUpOnABackgroundRefreshLeavesItToTheAttemptTimeout(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		r := &fakeRefresher{next: hangUntil(time.Now().Add(time.Hour))}
		c := sh.new(t, Options{Refresher: r.refresh, RefreshProactively: true})
		defer c.Dispose()
		synctest.Wait() // the initial refresh is in flight

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.GetToken(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("GetToken = %v, want the caller's own deadline", err)
		}
		if s := c.Snapshot(); s.Phase != PhaseRefreshing || s.Counters.Aborts != 0 {
			t.Fatalf("after the caller gave up: %+v, want the background refresh still in flight", s)
		}
		time.Sleep(DefaultAttemptTimeout - 5*time.Second)
		synctest.Wait()
		if s := c.Snapshot(); s.Counters.Failures != 1 || s.Phase != PhaseRetrying {
			t.Fatalf("at the attempt timeout: %+v, want one failure and a retry scheduled", s)
		}
	})
}

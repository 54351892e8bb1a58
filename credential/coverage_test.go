package credential

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// When the proactive schedule falls due while a caller's refresh is in
// flight, the schedule adopts it instead of calling the refresher again, and
// the refresh goes on when that caller gives up.
func TestScheduledRefreshAdoptsTheRefreshInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRefresher{next: func(ctx context.Context, _ int) (AccessToken, error) {
			if err := sleep(ctx, 10*time.Second); err != nil {
				return AccessToken{}, err
			}
			return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
		}}
		rec := &recorder{}
		c := mustNew(t, Options{Refresher: r.refresh, InitialToken: mintJWT(time.Now().Add(time.Hour)),
			RefreshProactively: true, OnEvent: rec.on})
		defer c.Dispose()
		time.Sleep(50*time.Minute - 5*time.Second) // the schedule falls due at 50 min
		ctx, cancel := context.WithTimeout(context.Background(), 7*time.Second)
		defer cancel()
		if _, err := c.Refresh(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Refresh = %v, want the caller's deadline", err)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		s := c.Snapshot()
		if r.Calls() != 1 || s.Counters.Aborts != 0 || s.Counters.Successes != 1 || s.Phase != PhaseValid {
			t.Fatalf("calls %d, %+v; want one call, adopted and finished without an abort", r.Calls(), s)
		}
		if got, want := rec.kinds(), "scheduled started succeeded scheduled"; got != want {
			t.Fatalf("events %q, want %q", got, want)
		}
	})
}

// Abort with no valid token: tokentop retries after backoff instead of
// restarting at once; an SDK policy stops, as after a failure.
func TestAbortWithoutAValidTokenRetriesUnderTokentopAndStopsUnderJS(t *testing.T) {
	for _, tc := range []struct {
		policy    Policy
		wantPhase Phase
		wantCalls int
	}{
		{DefaultPolicy, PhaseValid, 2},
		{PolicyJS, PhaseAborted, 1},
	} {
		t.Run(tc.policy.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := &fakeRefresher{next: func(ctx context.Context, n int) (AccessToken, error) {
					if n == 1 {
						<-ctx.Done()
						return AccessToken{}, ctx.Err()
					}
					return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
				}}
				c := mustNew(t, Options{Refresher: r.refresh, RefreshProactively: true, Policy: tc.policy})
				defer c.Dispose()
				synctest.Wait()
				c.Abort()
				if s := c.Snapshot(); (tc.wantCalls == 2) != (s.Phase == PhaseRetrying && s.NextRefreshAt.Sub(s.At) == time.Second) {
					t.Fatalf("right after Abort: %+v", s)
				}
				time.Sleep(10 * time.Minute)
				synctest.Wait()
				if s := c.Snapshot(); s.Phase != tc.wantPhase || r.Calls() != tc.wantCalls {
					t.Fatalf("10 min after Abort: phase %v, calls %d; want %v, %d", s.Phase, r.Calls(), tc.wantPhase, tc.wantCalls)
				}
			})
		})
	}
}

// A caller whose ctx ends after its refresh finished (but before it woke)
// gets the refresh's token, not its ctx error.
func TestCallerWhoseContextEndsAfterTheRefreshFinishedGetsTheToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := mustNew(t, Options{Refresher: (&fakeRefresher{next: lifetime(time.Hour)}).refresh,
			OnEvent: func(e Event) {
				if e.Kind == EventSucceeded {
					cancel() // the flight is finished; its waiter has not woken yet
				}
			}})
		defer c.Dispose()
		tok, err := c.GetToken(ctx)
		if err != nil || tok.Token == "" {
			t.Fatalf("GetToken = %v, %v; want the finished refresh's token", tok, err)
		}
	})
}

func TestSnapshotReportsAnExpiredTokenWithNothingInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		raw := mintJWT(time.Now().Add(time.Minute))
		c := mustNew(t, Options{Refresher: (&fakeRefresher{next: lifetime(time.Hour)}).refresh, InitialToken: raw})
		defer c.Dispose()
		static, err := NewStatic(raw)
		if err != nil {
			t.Fatal(err)
		}
		defer static.Dispose()
		time.Sleep(time.Minute)
		for _, c := range []*Credential{c, static} {
			if s := c.Snapshot(); s.Phase != PhaseExpired {
				t.Errorf("static=%v: phase %v, want expired", s.Static, s.Phase)
			}
		}
	})
}

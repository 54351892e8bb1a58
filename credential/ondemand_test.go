package credential

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// GetToken refreshes once the token has OnDemandBuffer or less left: 0 for
// js, java and tokentop (only an expired token), 2 minutes for dotnet and python.
func TestOnDemandRefreshStartsAtThePolicyBuffer(t *testing.T) {
	for _, tc := range []struct {
		policy Policy
		buffer time.Duration
	}{{DefaultPolicy, 0}, {PolicyJS, 0}, {PolicyDotNet, 2 * time.Minute}, {PolicyJava, 0}, {PolicyPython, 2 * time.Minute}} {
		t.Run(tc.policy.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				exp := time.Now().Add(time.Hour)
				r := &fakeRefresher{next: lifetime(time.Hour)}
				c := sh.new(t, Options{Refresher: r.refresh, InitialToken: mintJWT(exp), Policy: tc.policy})
				defer c.Dispose()
				time.Sleep(time.Until(exp.Add(-tc.buffer)) - time.Nanosecond)
				if _, err := c.GetToken(context.Background()); err != nil || r.Calls() != 0 {
					t.Fatalf("just outside the buffer: %v after %d calls, want the cached token", err, r.Calls())
				}
				time.Sleep(time.Nanosecond)
				tok, err := c.GetToken(context.Background())
				if err != nil || r.Calls() != 1 || !tok.ExpiresOn.After(exp) {
					t.Fatalf("at the buffer edge: %v after %d calls, want a new token from 1 call", err, r.Calls())
				}
			})
		})
	}
}

// 200 concurrent callers share one refresher call; java calls once per caller.
func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	for _, tc := range []struct {
		policy    Policy
		wantCalls int
	}{{DefaultPolicy, 1}, {PolicyJS, 1}, {PolicyDotNet, 1}, {PolicyJava, 200}, {PolicyPython, 1}} {
		t.Run(tc.policy.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				r := &fakeRefresher{next: func(ctx context.Context, _ int) (AccessToken, error) {
					if err := sleep(ctx, time.Second); err != nil {
						return AccessToken{}, err
					}
					return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
				}}
				c := sh.new(t, Options{Refresher: r.refresh, Policy: tc.policy})
				defer c.Dispose()
				var wg sync.WaitGroup
				var ok atomic.Int32
				for range 200 {
					wg.Go(func() {
						if _, err := c.GetToken(context.Background()); err == nil {
							ok.Add(1)
						}
					})
				}
				synctest.Wait()
				if w := c.Snapshot().Waiters; w != 200 {
					t.Errorf("Snapshot.Waiters = %d, want 200", w)
				}
				wg.Wait()
				if r.Calls() != tc.wantCalls || ok.Load() != 200 {
					t.Fatalf("%d refresher calls, %d callers served; want %d calls, 200 served", r.Calls(), ok.Load(), tc.wantCalls)
				}
			})
		})
	}
}

func TestACallerGivingUpDoesNotFailTheOthers(t *testing.T) {
	for _, p := range []Policy{DefaultPolicy, PolicyJava} {
		t.Run(p.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				r := &fakeRefresher{next: func(ctx context.Context, _ int) (AccessToken, error) {
					if err := sleep(ctx, 10*time.Second); err != nil {
						return AccessToken{}, err
					}
					return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
				}}
				c := sh.new(t, Options{Refresher: r.refresh, Policy: p})
				defer c.Dispose()
				var wg sync.WaitGroup
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					if _, err := c.GetToken(ctx); !errors.Is(err, context.DeadlineExceeded) || err != ctx.Err() {
						t.Errorf("impatient caller got %v, want its own ctx.Err() alone", err)
					}
				})
				start := time.Now()
				tok, err := c.GetToken(context.Background())
				if err != nil || tok.Token == "" || time.Since(start) != 10*time.Second {
					t.Fatalf("patient caller got %v after %v, want the token after 10s", err, time.Since(start))
				}
				wg.Wait()
			})
		})
	}
}

func TestWhenEveryWaiterGivesUpTheRefreshIsAborted(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		var cause error
		r := &fakeRefresher{next: func(ctx context.Context, _ int) (AccessToken, error) {
			<-ctx.Done()
			cause = context.Cause(ctx)
			return AccessToken{}, ctx.Err()
		}}
		rec := &recorder{}
		old := mintJWT(time.Now().Add(-time.Minute))
		c := sh.new(t, Options{Refresher: r.refresh, InitialToken: old, OnEvent: rec.on})
		defer c.Dispose()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := c.GetToken(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("GetToken = %v, want DeadlineExceeded", err)
		}
		synctest.Wait()
		if !errors.Is(cause, ErrAborted) {
			t.Fatalf("refresher's context cause = %v, want ErrAborted", cause)
		}
		s := c.Snapshot()
		if s.Phase != PhaseAborted || s.Counters.Aborts != 1 || s.Token.Token != old || len(rec.events(EventAborted)) != 1 {
			t.Fatalf("Snapshot = %+v, want the aborted phase, 1 abort, the old token", s)
		}
	})
}

// A proactive refresh is not the waiters' to cancel: it goes on without them.
func TestProactiveRefreshGoesOnWhenItsWaitersGiveUp(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		r := &fakeRefresher{next: func(ctx context.Context, _ int) (AccessToken, error) {
			if err := sleep(ctx, 10*time.Second); err != nil {
				return AccessToken{}, err
			}
			return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
		}}
		c := sh.new(t, Options{Refresher: r.refresh, RefreshProactively: true})
		defer c.Dispose()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := c.GetToken(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("GetToken = %v, want DeadlineExceeded", err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if s := c.Snapshot(); s.Phase != PhaseValid || s.Counters.Successes != 1 || s.Counters.Aborts != 0 {
			t.Fatalf("Snapshot = %+v, want the initial refresh to have succeeded", s)
		}
	})
}

// When the caller that started a refresh fails, dotnet and python let one
// waiter take over; js and tokentop give every waiter the error; java never
// shared the refresh in the first place.
func TestWhenTheLeaderFailsWaitersFollowThePolicy(t *testing.T) {
	for _, tc := range []struct {
		policy         Policy
		wantCalls      int
		wantFollowerOK bool
	}{
		{DefaultPolicy, 1, false}, {PolicyJS, 1, false},
		{PolicyDotNet, 2, true}, {PolicyPython, 2, true},
		{PolicyJava, 3, true},
	} {
		t.Run(tc.policy.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				r := &fakeRefresher{next: func(ctx context.Context, n int) (AccessToken, error) {
					if err := sleep(ctx, time.Second); err != nil {
						return AccessToken{}, err
					}
					if n == 1 {
						return AccessToken{}, errTest
					}
					return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
				}}
				c := sh.new(t, Options{Refresher: r.refresh, Policy: tc.policy})
				defer c.Dispose()
				var wg sync.WaitGroup
				var leaderErr error
				wg.Go(func() { _, leaderErr = c.GetToken(context.Background()) })
				synctest.Wait() // the leader's refresh is in flight
				followerErrs := make([]error, 2)
				for i := range followerErrs {
					wg.Go(func() { _, followerErrs[i] = c.GetToken(context.Background()) })
				}
				wg.Wait()
				if !errors.Is(leaderErr, errTest) {
					t.Errorf("leader got %v, want the refresher's error", leaderErr)
				}
				for _, err := range followerErrs {
					if (err == nil) != tc.wantFollowerOK || (err != nil && !errors.Is(err, errTest)) {
						t.Errorf("follower got %v, want success %v", err, tc.wantFollowerOK)
					}
				}
				if r.Calls() != tc.wantCalls {
					t.Errorf("refresher calls = %d, want %d", r.Calls(), tc.wantCalls)
				}
			})
		})
	}
}

// dotnet and python hand out a still-valid token inside the buffer while
// another caller refreshes; js waits (its token is expired when it refreshes).
func TestValidTokenInsideTheBufferIsServedWhileAnotherCallerRefreshes(t *testing.T) {
	for _, p := range []Policy{PolicyDotNet, PolicyPython} {
		t.Run(p.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				raw := mintJWT(time.Now().Add(time.Hour))
				r := &fakeRefresher{next: func(ctx context.Context, _ int) (AccessToken, error) {
					if err := sleep(ctx, 10*time.Second); err != nil {
						return AccessToken{}, err
					}
					return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
				}}
				c := sh.new(t, Options{Refresher: r.refresh, InitialToken: raw, Policy: p})
				defer c.Dispose()
				time.Sleep(59 * time.Minute) // 1 minute left: inside the 2-minute buffer
				var wg sync.WaitGroup
				wg.Go(func() {
					if tok, err := c.GetToken(context.Background()); err != nil || tok.Token == raw {
						t.Errorf("the refreshing caller got %v, want a new token", err)
					}
				})
				synctest.Wait()
				before := time.Now()
				tok, err := c.GetToken(context.Background())
				if err != nil || tok.Token != raw || time.Since(before) != 0 {
					t.Fatalf("second caller waited %v for %v; want the valid token at once", time.Since(before), err)
				}
				wg.Wait()
				if r.Calls() != 1 {
					t.Errorf("refresher calls = %d, want 1", r.Calls())
				}
			})
		})
	}
}

func TestForcedRefreshJoinsTheRefreshInFlight(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		r := &fakeRefresher{next: func(ctx context.Context, _ int) (AccessToken, error) {
			if err := sleep(ctx, time.Second); err != nil {
				return AccessToken{}, err
			}
			return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
		}}
		rec := &recorder{}
		c := sh.new(t, Options{Refresher: r.refresh, InitialToken: mintJWT(time.Now().Add(time.Hour)), OnEvent: rec.on})
		defer c.Dispose()
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if _, err := c.Refresh(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if r.Calls() != 1 {
			t.Fatalf("refresher calls = %d, want 1", r.Calls())
		}
		if s := rec.events(EventStarted); len(s) != 1 || s[0].Reason != ReasonForced {
			t.Errorf("started events = %+v, want one forced", s)
		}
	})
}

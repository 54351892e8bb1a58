package credential

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestProactiveRefreshStartsTenMinutesBeforeExpiry(t *testing.T) {
	for _, p := range Policies() {
		t.Run(p.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				start := time.Now()
				r := &fakeRefresher{next: lifetime(time.Hour)}
				c := sh.new(t, Options{Refresher: r.refresh, InitialToken: mintJWT(start.Add(time.Hour)),
					RefreshProactively: true, Policy: p})
				defer c.Dispose()
				if got := c.Snapshot().NextRefreshAt; !got.Equal(start.Add(50 * time.Minute)) {
					t.Fatalf("NextRefreshAt = %v, want 50m after start", got.Sub(start))
				}
				time.Sleep(50*time.Minute - time.Nanosecond)
				synctest.Wait()
				if r.Calls() != 0 {
					t.Fatalf("refreshed %d times before the window", r.Calls())
				}
				time.Sleep(time.Nanosecond)
				synctest.Wait()
				if r.Calls() != 1 {
					t.Fatalf("refreshed %d times at the window edge, want 1", r.Calls())
				}
				// Rescheduled from the new token (valid 1h from now): W before its expiry.
				if got, want := c.Snapshot().NextRefreshAt, time.Now().Add(50*time.Minute); !got.Equal(want) {
					t.Fatalf("after the refresh NextRefreshAt = %v, want %v", got, want)
				}
			})
		})
	}
}

func TestProactiveRefreshInsideTheWindowWaitsHalfTheRemainingLifetime(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		start := time.Now()
		r := &fakeRefresher{next: lifetime(time.Hour)}
		c := sh.new(t, Options{Refresher: r.refresh, InitialToken: mintJWT(start.Add(8 * time.Minute)),
			RefreshProactively: true})
		defer c.Dispose()
		time.Sleep(4*time.Minute - time.Nanosecond)
		synctest.Wait()
		if r.Calls() != 0 {
			t.Fatalf("refreshed before ttl*F")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if r.Calls() != 1 {
			t.Fatalf("refresher calls = %d at ttl*F, want 1", r.Calls())
		}
	})
}

// A 20-minute token that the refresher keeps returning is re-polled at
// 10m, 5m, 2.5m, ... before expiry: floor(log2(1200)) = 10 times by 1 s
// before expiry, for every policy.
func TestShortLivedTokenIsRepolledTenTimesByOneSecondBeforeExpiry(t *testing.T) {
	for _, p := range Policies() {
		t.Run(p.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				raw := mintJWT(time.Now().Add(20 * time.Minute))
				r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) { return AccessToken{Token: raw}, nil }}
				rec := &recorder{}
				c := sh.new(t, Options{Refresher: r.refresh, InitialToken: raw, RefreshProactively: true, Policy: p, OnEvent: rec.on})
				defer c.Dispose()
				time.Sleep(20*time.Minute - time.Second)
				synctest.Wait()
				if r.Calls() != 10 {
					t.Fatalf("re-polled %d times by 1 s before expiry, want 10", r.Calls())
				}
				// Every delay respects the 1 s floor.
				for _, e := range rec.events(EventScheduled) {
					if d := e.NextAt.Sub(e.At); d < MinRefreshDelay {
						t.Errorf("scheduled %v ahead, below the 1 s floor", d)
					}
				}
			})
		})
	}
}

func TestRefreshOnHintIsHonouredByTheTokentopPolicyOnly(t *testing.T) {
	for _, tc := range []struct {
		policy Policy
		next   time.Duration
	}{{DefaultPolicy, 20 * time.Minute}, {PolicyJS, 50 * time.Minute}, {PolicyDotNet, 50 * time.Minute}} {
		t.Run(tc.policy.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
					now := time.Now()
					return AccessToken{Token: mintJWT(now.Add(time.Hour)), RefreshOn: now.Add(20 * time.Minute)}, nil
				}}
				c := sh.new(t, Options{Refresher: r.refresh, RefreshProactively: true, Policy: tc.policy})
				defer c.Dispose()
				synctest.Wait()
				if got, want := c.Snapshot().NextRefreshAt, time.Now().Add(tc.next); !got.Equal(want) {
					t.Fatalf("NextRefreshAt = %v, want %v", got, want)
				}
			})
		})
	}
}

// No caller waits on a proactive refresh: zero virtual time elapses.
func TestNoCallerBlocksDuringAProactiveRefresh(t *testing.T) {
	for _, p := range Policies() {
		t.Run(p.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				raw := mintJWT(time.Now().Add(time.Hour))
				r := &fakeRefresher{next: func(ctx context.Context, n int) (AccessToken, error) {
					if err := sleep(ctx, 30*time.Second); err != nil {
						return AccessToken{}, err
					}
					return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
				}}
				c := sh.new(t, Options{Refresher: r.refresh, InitialToken: raw, RefreshProactively: true, Policy: p})
				defer c.Dispose()
				time.Sleep(50 * time.Minute)
				synctest.Wait()
				if ph := c.Snapshot().Phase; ph != PhaseRefreshing || r.Calls() != 1 {
					t.Fatalf("phase %v after %d calls, want a proactive refresh in flight", ph, r.Calls())
				}
				var wg sync.WaitGroup
				for range 50 {
					wg.Go(func() {
						before := time.Now()
						tok, err := c.GetToken(context.Background())
						if elapsed := time.Since(before); err != nil || tok.Token != raw || elapsed != 0 {
							t.Errorf("GetToken waited %v and returned %v; want the current token at once", elapsed, err)
						}
					})
				}
				wg.Wait()
			})
		})
	}
}

// Python refreshes on demand 10 minutes before expiry when proactive, .NET
// only 2 minutes before; seen after a failed proactive refresh stopped the
// schedule.
func TestPythonOnDemandBufferIsTenMinutesWhenProactive(t *testing.T) {
	for _, tc := range []struct {
		policy    Policy
		wantCalls int
	}{{PolicyPython, 2}, {PolicyDotNet, 1}} {
		t.Run(tc.policy.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				r := &fakeRefresher{next: func(_ context.Context, n int) (AccessToken, error) {
					if n == 1 {
						return AccessToken{}, errTest
					}
					return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
				}}
				c := sh.new(t, Options{Refresher: r.refresh, InitialToken: mintJWT(time.Now().Add(time.Hour)),
					RefreshProactively: true, Policy: tc.policy})
				defer c.Dispose()
				time.Sleep(51 * time.Minute) // the proactive refresh at 50m failed
				synctest.Wait()
				if _, err := c.GetToken(context.Background()); err != nil {
					t.Fatal(err)
				}
				if r.Calls() != tc.wantCalls {
					t.Fatalf("refresher calls = %d, want %d", r.Calls(), tc.wantCalls)
				}
			})
		})
	}
}

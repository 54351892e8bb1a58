package credential

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
)

// asyncIssuer is an AsyncRefresher whose calls wait in a list until the test
// answers them, as an event loop's issuer calls wait for their latency.
type asyncIssuer struct {
	calls []asyncCallOf
}

type asyncCallOf struct {
	ctx  context.Context
	done func(AccessToken, error)
}

func (a *asyncIssuer) refresh(ctx context.Context, done func(AccessToken, error)) {
	a.calls = append(a.calls, asyncCallOf{ctx, done})
}

// answer answers every waiting call with tok or err.
func (a *asyncIssuer) answer(tok AccessToken, err error) {
	calls := a.calls
	a.calls = nil
	for _, c := range calls {
		c.done(tok, err)
	}
}

// asyncResults collects what GetTokenAsync callers got.
type asyncResults struct {
	toks []AccessToken
	errs []error
}

func (r *asyncResults) done(tok AccessToken, err error) {
	r.toks = append(r.toks, tok)
	r.errs = append(r.errs, err)
}

func TestAsyncCallersShareOneRefreshAsSyncCallersDo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, tc := range []struct {
			policy Policy
			calls  int
		}{{DefaultPolicy, 1}, {PolicyJS, 1}, {PolicyDotNet, 1}, {PolicyPython, 1}, {PolicyJava, 200}} {
			var iss asyncIssuer
			c := mustNew(t, Options{AsyncRefresher: iss.refresh, Policy: tc.policy})
			var got asyncResults
			for range 200 {
				c.GetTokenAsync(got.done)
			}
			if len(got.errs) != 0 || len(iss.calls) != tc.calls {
				t.Fatalf("%s: before the issuer answers: %d results, %d issuer calls; want 0 and %d", tc.policy.Name, len(got.errs), len(iss.calls), tc.calls)
			}
			iss.answer(AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil)
			if len(got.errs) != 200 {
				t.Fatalf("%s: %d callers answered, want 200", tc.policy.Name, len(got.errs))
			}
			for i, err := range got.errs {
				if err != nil || got.toks[i].Token == "" {
					t.Fatalf("%s: caller %d got %v", tc.policy.Name, i, err)
				}
			}
			c.Dispose()
		}
	})
}

func TestAsyncRefresherIsCalledOnTheCallersGoroutineWithNoGoroutineOfItsOwn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var iss asyncIssuer
		c := mustNew(t, Options{AsyncRefresher: iss.refresh, RefreshProactively: true})
		// A proactive credential without a token starts its refresh in New,
		// and New returns with the call made: nothing runs in the background.
		if len(iss.calls) != 1 {
			t.Fatalf("%d issuer calls after New, want 1", len(iss.calls))
		}
		synctest.Wait()
		iss.answer(AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil)
		tok, ok := c.Cached()
		if !ok || tok.Token == "" {
			t.Fatal("after the answer the token is not cached")
		}
		c.Dispose()
	})
}

func TestCancellingEveryAsyncWaiterAbortsTheRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var iss asyncIssuer
		var rec recorder
		c := mustNew(t, Options{AsyncRefresher: iss.refresh, OnEvent: rec.on})
		var got asyncResults
		cancels := []func(error){c.GetTokenAsync(got.done), c.GetTokenAsync(got.done)}
		gaveUp := errors.New("the caller gave up")
		cancels[0](gaveUp)
		if iss.calls[0].ctx.Err() != nil {
			t.Fatal("the refresh was cancelled while a caller still waits on it")
		}
		cancels[1](gaveUp)
		cancels[1](gaveUp) // twice: nothing more happens
		if len(got.errs) != 2 || got.errs[0] != gaveUp || got.errs[1] != gaveUp {
			t.Fatalf("results %v, want the callers' own error twice", got.errs)
		}
		if iss.calls[0].ctx.Err() == nil || len(rec.events(EventAborted)) != 1 {
			t.Fatalf("events %q: the refresh nobody waits on was not aborted", rec.kinds())
		}
		iss.answer(AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil) // late: ignored
		if len(got.errs) != 2 || len(rec.events(EventSucceeded)) != 0 {
			t.Fatalf("a late answer reached %d callers and made %d successes", len(got.errs), len(rec.events(EventSucceeded)))
		}
		c.Dispose()
	})
}

func TestAsyncWaiterTakesOverWhenTheLeaderFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var iss asyncIssuer
		c := mustNew(t, Options{AsyncRefresher: iss.refresh, Policy: PolicyDotNet})
		var leader, waiter asyncResults
		c.GetTokenAsync(leader.done)
		c.GetTokenAsync(waiter.done)
		iss.answer(AccessToken{}, errTest)
		if len(leader.errs) != 1 || !errors.Is(leader.errs[0], errTest) {
			t.Fatalf("leader got %v, want the issuer's error", leader.errs)
		}
		if len(waiter.errs) != 0 || len(iss.calls) != 1 {
			t.Fatalf("the waiter got %v and %d new issuer calls; want it to start a refresh of its own", waiter.errs, len(iss.calls))
		}
		iss.answer(AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil)
		if len(waiter.errs) != 1 || waiter.errs[0] != nil {
			t.Fatalf("waiter got %v, want a token", waiter.errs)
		}
		c.Dispose()
	})
}

func TestDisposeReleasesEveryAsyncCallerOfEveryRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var iss asyncIssuer
		var rec recorder
		c := mustNew(t, Options{AsyncRefresher: iss.refresh, Policy: PolicyJava, OnEvent: rec.on})
		var got asyncResults
		for range 50 {
			c.GetTokenAsync(got.done)
		}
		started := rec.events(EventStarted)
		c.Dispose()
		aborted := rec.events(EventAborted)
		if len(aborted) != 50 || len(started) != 50 {
			t.Fatalf("%d started, %d aborted; want 50 each", len(started), len(aborted))
		}
		for i, err := range got.errs {
			if !errors.Is(err, ErrDisposed) {
				t.Fatalf("caller %d got %v, want ErrDisposed", i, err)
			}
		}
	})
}

func TestCachedServesOnlyATokenOutsideTheOnDemandBuffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, Options{Refresher: (&fakeRefresher{next: lifetime(time.Hour)}).refresh, Policy: PolicyDotNet,
			InitialToken: mintJWT(time.Now().Add(3 * time.Minute))})
		defer c.Dispose()
		if _, ok := c.Cached(); !ok {
			t.Fatal("a token with 3 minutes left is not cached (buffer 2 minutes)")
		}
		time.Sleep(time.Minute + time.Second)
		if _, ok := c.Cached(); ok {
			t.Fatal("a token inside the on-demand buffer is served from the cache")
		}
	})
}

func TestAsyncCredentialOnASimLoopNeedsNoGoroutine(t *testing.T) {
	loop := clock.NewSim(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	latency := 50 * time.Millisecond
	refresher := func(_ context.Context, done func(AccessToken, error)) {
		tok := AccessToken{Token: mintJWT(loop.Now().Add(time.Hour))}
		loop.AfterFunc(latency, func() { done(tok, nil) })
	}
	var rec recorder
	c := mustNew(t, Options{AsyncRefresher: refresher, RefreshProactively: true, Clock: loop, OnEvent: rec.on,
		Jitter: func() float64 { return 0.5 }})
	if err := loop.RunUntil(context.Background(), loop.Now().Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	c.Dispose()
	// Refreshes at 0, then 10 minutes before each expiry: 0, 50m, 1h40m, 2h30m.
	ok := rec.events(EventSucceeded)
	if len(ok) != 4 {
		t.Fatalf("%d refreshes in 3 simulated hours, want 4: %s", len(ok), rec.kinds())
	}
	for _, e := range ok {
		if e.Latency != latency {
			t.Errorf("refresh at %v took %v, want the simulated latency %v", e.At, e.Latency, latency)
		}
	}
}

// A proactive credential on a sim loop allocates a bounded handful per
// refresh cycle (the flight, its context, the fresh token...), and its
// double-buffered event queue none: 100k sessions refresh 2.9M times a day,
// and every byte is collected against their whole heap.
func TestAsyncRefreshCycleAllocatesAHandful(t *testing.T) {
	loop := clock.NewSim(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	toks := make([]AccessToken, 200)
	for i := range toks { // each cycle's token, minted ahead: the issuer's allocations are not the credential's
		toks[i] = AccessToken{Token: mintJWT(loop.Now().Add(time.Duration(i*50+60) * time.Minute))}
	}
	n := 0
	var done func(AccessToken, error)
	answer := func() { tok := toks[n]; n++; done(tok, nil) }
	timer := loop.AfterFunc(0, nil)
	refresher := func(_ context.Context, d func(AccessToken, error)) {
		done = d
		timer = loop.Rearm(timer, 20*time.Millisecond, answer)
	}
	c := mustNew(t, Options{AsyncRefresher: refresher, RefreshProactively: true, Clock: loop,
		OnEvent: func(Event) {}, Jitter: func() float64 { return 0.5 }})
	defer c.Dispose()
	cycle := func() {
		if err := loop.RunUntil(context.Background(), loop.Now().Add(50*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	cycle() // the first refresh sizes the buffers
	const most = 11
	got := testing.AllocsPerRun(100, cycle)
	t.Logf("%.1f allocations per refresh cycle", got)
	if got > most {
		t.Errorf("a refresh cycle allocates %.1f times, want at most %d", got, most)
	}
	if n < 100 {
		t.Fatalf("only %d refreshes ran", n)
	}
}

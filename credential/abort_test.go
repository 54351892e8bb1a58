package credential

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// blockingRefresher blocks until its context is done and records the cause.
type blockingRefresher struct {
	fakeRefresher
	mu    sync.Mutex
	cause error
}

func newBlockingRefresher() *blockingRefresher {
	b := &blockingRefresher{}
	b.next = func(ctx context.Context, _ int) (AccessToken, error) {
		<-ctx.Done()
		b.mu.Lock()
		b.cause = context.Cause(ctx)
		b.mu.Unlock()
		return AccessToken{}, ctx.Err()
	}
	return b
}

func (b *blockingRefresher) Cause() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cause
}

func TestAbortFailsTheWaitersKeepsTheTokenAndLeavesTheCredentialUsable(t *testing.T) {
	onEachShell(t, func(t *testing.T, sh shell) {
		b := newBlockingRefresher()
		old := mintJWT(time.Now().Add(-time.Minute))
		c := sh.new(t, Options{Refresher: b.refresh, InitialToken: old})
		defer c.Dispose()
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Go(func() { _, errs[i] = c.GetToken(context.Background()) })
		}
		synctest.Wait()
		c.Abort()
		wg.Wait()
		for _, err := range errs {
			if !errors.Is(err, ErrAborted) || err.Error() != "credential: the refresh was aborted: Abort was called" {
				t.Errorf("waiter got %v, want an error wrapping ErrAborted", err)
			}
		}
		synctest.Wait()
		if !errors.Is(b.Cause(), ErrAborted) {
			t.Errorf("refresher's context cause = %v, want ErrAborted", b.Cause())
		}
		if s := c.Snapshot(); s.Token.Token != old || s.Phase != PhaseAborted || s.Counters.Aborts != 1 {
			t.Errorf("Snapshot = %+v, want the old token kept and one abort", s)
		}
		// Still usable: the next caller starts a new refresh.
		b.next = lifetime(time.Hour)
		if tok, err := c.GetToken(context.Background()); err != nil || tok.Token == old {
			t.Fatalf("GetToken after Abort = %v, want a new token", err)
		}
	})
}

func TestAbortOfAProactiveRefreshContinuesTheScheduleFromTheCurrentToken(t *testing.T) {
	for _, p := range []Policy{DefaultPolicy, PolicyJS} {
		t.Run(p.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				b := newBlockingRefresher()
				exp := time.Now().Add(time.Hour)
				c := sh.new(t, Options{Refresher: b.refresh, InitialToken: mintJWT(exp), RefreshProactively: true, Policy: p})
				defer c.Dispose()
				time.Sleep(50 * time.Minute)
				synctest.Wait()
				c.Abort()
				// 10 minutes left, inside the window: next at half of it.
				if got, want := c.Snapshot().NextRefreshAt, time.Now().Add(5*time.Minute); !got.Equal(want) {
					t.Fatalf("NextRefreshAt = %v, want %v", got, want)
				}
				time.Sleep(5 * time.Minute)
				synctest.Wait()
				if b.Calls() != 2 {
					t.Errorf("refresher calls = %d, want 2 (the schedule went on)", b.Calls())
				}
			})
		})
	}
}

func TestDisposeDuringARefreshReleasesWaitersAndSchedulesNothing(t *testing.T) {
	for _, p := range Policies() {
		t.Run(p.Name, func(t *testing.T) {
			onEachShell(t, func(t *testing.T, sh shell) {
				// This refresher ignores cancellation for a while and then
				// returns a good token: a late result must change nothing.
				r := &fakeRefresher{next: func(ctx context.Context, _ int) (AccessToken, error) {
					time.Sleep(5 * time.Second)
					return AccessToken{Token: mintJWT(time.Now().Add(time.Hour))}, nil
				}}
				rec := &recorder{}
				c := sh.new(t, Options{Refresher: r.refresh, RefreshProactively: true, Policy: p, OnEvent: rec.on})
				var wg sync.WaitGroup
				errs := make([]error, 3)
				for i := range errs {
					wg.Go(func() { _, errs[i] = c.GetToken(context.Background()) })
				}
				synctest.Wait()
				c.Dispose()
				c.Dispose() // idempotent
				wg.Wait()
				for _, err := range errs {
					if !errors.Is(err, ErrDisposed) {
						t.Errorf("waiter got %v, want ErrDisposed", err)
					}
				}
				time.Sleep(24 * time.Hour)
				synctest.Wait()
				s := c.Snapshot()
				if s.Phase != PhaseDisposed || !s.NextRefreshAt.IsZero() || s.Token.Token != "" || s.Counters.Successes != 0 {
					t.Errorf("Snapshot = %+v, want disposed with nothing scheduled and no token", s)
				}
				if _, err := c.GetToken(context.Background()); !errors.Is(err, ErrDisposed) {
					t.Errorf("GetToken after Dispose = %v, want ErrDisposed", err)
				}
				if d := rec.events(EventDisposed); len(d) != 1 || d[0].Waiters != 3 {
					t.Errorf("disposed events = %+v, want one releasing 3 waiters", d)
				}
				if n := len(rec.events(EventSucceeded)) + len(rec.events(EventScheduled)); n != 0 {
					t.Errorf("%d succeeded/scheduled events after Dispose, want none", n)
				}
			})
		})
	}
}

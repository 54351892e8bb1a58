package credential

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// On the real clock, with timers, a refresh in flight and waiters, Dispose
// leaves no goroutine behind (synctest checks the same in every other test).
func TestDisposeLeavesNoGoroutineOnTheRealClock(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	started := make(chan struct{}, 1)
	c, err := New(Options{
		Refresher: func(ctx context.Context) (AccessToken, error) {
			started <- struct{}{}
			<-ctx.Done()
			return AccessToken{}, ctx.Err()
		},
		InitialToken:       mintJWT(time.Now().Add(-time.Minute)),
		RefreshProactively: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if _, err := c.GetToken(context.Background()); !errors.Is(err, ErrDisposed) {
				t.Errorf("waiter got %v, want ErrDisposed", err)
			}
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Snapshot().Waiters != 5 {
		if time.Now().After(deadline) {
			c.Dispose()
			wg.Wait()
			t.Fatalf("after 10 s %d of the 5 callers wait on the refresh", c.Snapshot().Waiters)
		}
		runtime.Gosched()
	}
	c.Dispose()
	wg.Wait()
}

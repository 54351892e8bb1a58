package credential

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
)

// sleepyWall is the bubble's clock with a wall clock that can jump ahead
// without its timers firing, as a laptop's does when it wakes from sleep.
type sleepyWall struct {
	bubbleClock
	ahead atomic.Int64
}

func (s *sleepyWall) Wall() time.Time       { return time.Now().Add(time.Duration(s.ahead.Load())).Round(0) }
func (s *sleepyWall) sleep(d time.Duration) { s.ahead.Add(int64(d)) }

// A 1x loop over the wall clock (how real issuers run) notices a suspended
// laptop: once the wall clock has jumped past the token's expiry, the token
// is no longer served and the credential refreshes at once: a proactive one
// by itself, an on-demand one for the next caller, who does not wait for
// anything but the refresher.
func TestA1xLoopRefreshesAtOnceAfterTheWallClockJumpsPastTheTokensExpiry(t *testing.T) {
	for _, proactive := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			base := &sleepyWall{}
			loop := clock.NewPacedOn(base, time.Now(), 1)
			defer runLoop(t, loop)()
			r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
				return AccessToken{Token: mintJWT(base.Wall().Add(time.Hour))}, nil
			}}
			old := mintJWT(time.Now().Add(time.Hour))
			c := mustNew(t, Options{AsyncRefresher: GoRefresher(r.refresh, loop.Post), InitialToken: old,
				RefreshProactively: proactive, Clock: loop})
			defer c.Dispose()

			time.Sleep(10*time.Minute + clock.WallCheck/2)
			base.sleep(2 * time.Hour) // the machine slept through the expiry
			time.Sleep(clock.WallCheck)
			synctest.Wait()
			if tok, ok := c.Cached(); ok && tok.Token == old {
				t.Fatalf("proactive=%v: a second after waking the expired token is still served", proactive)
			}
			if want := map[bool]int{true: 1, false: 0}[proactive]; r.Calls() != want {
				t.Fatalf("proactive=%v: %d refreshes a second after waking, want %d", proactive, r.Calls(), want)
			}
			before := time.Now()
			tok, err := c.GetToken(context.Background())
			if err != nil || tok.Token == old || !tok.ExpiresOn.After(base.Wall()) || time.Since(before) != 0 || r.Calls() != 1 {
				t.Fatalf("proactive=%v: GetToken = %v (expires %v, wall %v) after %v and %d refreshes; want a new token at once",
					proactive, err, tok.ExpiresOn, base.Wall(), time.Since(before), r.Calls())
			}
		})
	}
}

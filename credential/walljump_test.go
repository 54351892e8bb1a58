package credential

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
	"tokentop/internal/clock/clocktest"
)

// A 1x loop over the wall clock (how real issuers run) notices a suspended
// laptop: once the wall clock has jumped past the token's expiry, the token
// is no longer served and the credential refreshes at once: a proactive one
// by itself, an on-demand one for the next caller, who does not wait for
// anything but the refresher.
func TestA1xLoopRefreshesAtOnceAfterTheWallClockJumpsPastTheTokensExpiry(t *testing.T) {
	for _, proactive := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			base := &clocktest.JumpingWall{}
			loop := clock.NewWallOn(base)
			defer runLoop(t, loop)()
			r := &fakeRefresher{next: func(context.Context, int) (AccessToken, error) {
				return AccessToken{Token: mintJWT(base.Now().Add(time.Hour))}, nil
			}}
			old := mintJWT(time.Now().Add(time.Hour))
			c := mustNew(t, Options{AsyncRefresher: GoRefresher(r.refresh, loop.Post), InitialToken: old,
				RefreshProactively: proactive, Clock: loop})
			defer c.Dispose()

			time.Sleep(10*time.Minute + clock.WallRecheck/2)
			base.Jump(2 * time.Hour) // the machine slept through the expiry
			time.Sleep(clock.WallRecheck)
			synctest.Wait()
			if tok, ok := c.Cached(); ok && tok.Token == old {
				t.Fatalf("proactive=%v: a second after waking the expired token is still served", proactive)
			}
			if want := map[bool]int{true: 1, false: 0}[proactive]; r.Calls() != want {
				t.Fatalf("proactive=%v: %d refreshes a second after waking, want %d", proactive, r.Calls(), want)
			}
			before := time.Now()
			tok, err := c.GetToken(context.Background())
			if err != nil || tok.Token == old || !tok.ExpiresOn.After(base.Now()) || time.Since(before) != 0 || r.Calls() != 1 {
				t.Fatalf("proactive=%v: GetToken = %v (expires %v, wall %v) after %v and %d refreshes; want a new token at once",
					proactive, err, tok.ExpiresOn, base.Now(), time.Since(before), r.Calls())
			}
		})
	}
}

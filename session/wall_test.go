package session

import (
	"testing"
	"testing/synctest"
	"time"

	"tokentop/credential"
	"tokentop/fakeissuer"
	"tokentop/internal/clock"
	"tokentop/internal/clock/clocktest"
	"tokentop/scenario"
)

// A real issuer's session on a manager that follows the wall clock: when
// the wall clock jumps past its token's expiry (the laptop slept), it
// refreshes at once, within clock.WallRecheck, not when Go's timers (which
// stopped while it slept) would have woken it.
func TestAJumpOfTheWallClockPastExpiryRefreshesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wall := &clocktest.JumpingWall{}
		fake, err := fakeissuer.New(fakeissuer.Options{Clock: wall})
		if err != nil {
			t.Fatal(err)
		}
		loop := clock.NewWallOn(wall)
		m := runManager(t, Options{Issuer: plainIssuer{fake}, Clock: loop})
		s := mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Lifetime: time.Hour})
		time.Sleep(time.Minute)
		synctest.Wait()
		first := s.Snapshot().ExpiresOn
		if first.IsZero() || s.Stats().Successes != 1 {
			t.Fatalf("no first token after a minute: %d successes", s.Stats().Successes)
		}

		wall.Jump(2 * time.Hour) // the laptop slept: the token expired an hour ago
		time.Sleep(clock.WallRecheck)
		synctest.Wait()
		snap := s.Snapshot()
		if snap.Stats.Successes != 2 || !snap.ExpiresOn.After(wall.Now()) || snap.Credential.Phase != credential.PhaseValid {
			t.Errorf("%s after the jump: %d successes, expires %s (wall now %s), phase %s; want a new valid token",
				clock.WallRecheck, snap.Stats.Successes, snap.ExpiresOn, wall.Now(), snap.Credential.Phase)
			ev, _ := s.Events()
			for _, e := range ev {
				t.Logf("%s %s %s %v", e.At.Format("15:04:05.000"), e.Kind, e.Reason, e.Err)
			}
		}
	})
}

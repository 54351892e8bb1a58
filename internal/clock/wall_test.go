package clock_test

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
	"tokentop/internal/clock/clocktest"
)

// After the machine slept through a wall-clock hour and more, a wall loop's
// time jumps with the wall clock's within WallRecheck, and the timers due
// meanwhile run then, in order of deadline, once each, late: at the wall
// clock's time, as Go's timers would.
func TestLoopWallJumpsWithTheWallClockAndRunsTheTimersDueMeanwhile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wall := &clocktest.JumpingWall{}
		l := clock.NewWallOn(wall)
		start := l.Now()
		var ran []string
		for _, d := range []time.Duration{time.Hour, 30 * time.Minute, 3 * time.Hour} {
			l.AfterFunc(d, func() { ran = append(ran, fmt.Sprintf("%v@%v", d, l.Since(start))) })
		}
		stop := l.Go()
		defer stop()
		time.Sleep(time.Minute)
		synctest.Wait()
		if len(ran) != 0 {
			t.Fatalf("ran %v after a minute", ran)
		}
		wall.Jump(2 * time.Hour) // the machine slept two hours
		time.Sleep(clock.WallRecheck)
		synctest.Wait()
		stop()
		jumped := 2*time.Hour + time.Minute + clock.WallRecheck // the wall clock's time since start
		if want := []string{"30m0s@" + jumped.String(), "1h0m0s@" + jumped.String()}; !slices.Equal(ran, want) {
			t.Errorf("after the jump ran %v, want %v", ran, want)
		}
		if got := l.Since(start); got != jumped {
			t.Errorf("after the jump the loop is at +%v, want +%v (the wall clock)", got, jumped)
		}
	})
}

// What r3-decide's paced-loop tests pinned, on the wall loop that replaced
// their mechanism: a wall clock that does not jump moves the loop's time
// exactly as it goes; after a jump a caller that re-arms every 10 minutes
// runs once, at the new time (the jump is not replayed), and a timer the
// jump did not reach runs at its own deadline.
func TestLoopWallRunsARearmingCallerOnceAfterAJumpAndLaterTimersOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wall := &clocktest.JumpingWall{}
		l := clock.NewWallOn(wall)
		start := l.Now()
		ticks := 0
		var tick func()
		tick = func() {
			ticks++
			l.AfterFunc(10*time.Minute, tick)
		}
		l.AfterFunc(10*time.Minute, tick)
		var later string
		l.AfterFunc(5*time.Hour, func() { later = l.Since(start).String() })
		stop := l.Go()
		defer stop()
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := l.Since(start); got != time.Minute || ticks != 0 {
			t.Fatalf("after a steady minute the loop is at +%v with %d ticks, want +1m0s and none", got, ticks)
		}
		wall.Jump(2 * time.Hour)
		time.Sleep(clock.WallRecheck)
		synctest.Wait()
		if ticks != 1 {
			t.Fatalf("after a 2h jump the 10-minute caller ran %d times, want once: a jump is not replayed", ticks)
		}
		time.Sleep(5*time.Hour - l.Since(start))
		synctest.Wait()
		stop()
		if later != "5h0m0s" {
			t.Errorf("the timer the jump did not reach ran at +%q, want +5h0m0s", later)
		}
	})
}

// A wall clock set back (by hand, or by a time sync) does not take the
// loop's time back with it: the time stays where it was until the wall
// clock is past it, and no timer runs early meanwhile.
func TestLoopWallFreezesWhileTheWallClockIsSetBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wall := &clocktest.JumpingWall{}
		l := clock.NewWallOn(wall)
		start := l.Now()
		var ran []string
		l.AfterFunc(time.Hour+10*time.Minute, func() { ran = append(ran, l.Since(start).String()) })
		stop := l.Go()
		defer stop()
		time.Sleep(time.Hour)
		synctest.Wait()
		wall.Jump(-30 * time.Minute)
		time.Sleep(clock.WallRecheck)
		synctest.Wait()
		if got := l.Since(start); got != time.Hour {
			t.Fatalf("with the wall clock set back 30m the loop is at +%v, want +1h0m0s (frozen)", got)
		}
		time.Sleep(29 * time.Minute) // the wall clock is back at +59m1s
		synctest.Wait()
		if got := l.Since(start); got != time.Hour || len(ran) != 0 {
			t.Fatalf("29m later the loop is at +%v and ran %v, want +1h0m0s and nothing", got, ran)
		}
		time.Sleep(11 * time.Minute)
		synctest.Wait()
		stop()
		if want := []string{"1h10m0s"}; !slices.Equal(ran, want) {
			t.Errorf("once the wall clock passed the timer it ran at %v, want %v", ran, want)
		}
	})
}

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

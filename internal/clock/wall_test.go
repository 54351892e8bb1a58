package clock

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// SleepyWall is a base clock (the bubble's) whose wall time can jump ahead
// without its timers firing, as a laptop's does when it wakes from sleep.
type SleepyWall struct{ ahead atomic.Int64 }

func (s *SleepyWall) Now() time.Time                            { return time.Now() }
func (s *SleepyWall) Since(t time.Time) time.Duration           { return time.Since(t) }
func (s *SleepyWall) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
func (s *SleepyWall) Wall() time.Time                           { return time.Now().Add(time.Duration(s.ahead.Load())).Round(0) }
func (s *SleepyWall) Sleep(d time.Duration)                     { s.ahead.Add(int64(d)) }

// After the machine sleeps through a timer, a 1x loop over the wall clock
// jumps with it within WallCheck: the timers it passed run once each, at
// the time jumped to (not replayed at their own deadlines), in order, and
// the later ones stay where they were.
func TestPacedLoopFollowsAWallClockJumpAndRunsThePassedTimersOnceAtTheNewTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := &SleepyWall{}
		l := NewPacedOn(base, loopEpoch, 1)
		var ran []string
		at := func(name string) func() {
			return func() { ran = append(ran, name+"@"+l.Since(loopEpoch).String()) }
		}
		var tick func()
		ticks := 0
		tick = func() { // a caller re-arming every 10 minutes
			ticks++
			l.AfterFunc(10*time.Minute, tick)
		}
		l.AfterFunc(10*time.Minute, tick)
		l.AfterFunc(time.Hour, at("expiry"))
		l.AfterFunc(5*time.Hour, at("later"))
		stop := pacedRun(t, l)
		defer func() {
			if err := stop(); err != context.Canceled {
				t.Errorf("Run = %v, want context.Canceled", err)
			}
		}()

		time.Sleep(time.Minute + WallCheck/2) // between two looks at the wall clock
		base.Sleep(2 * time.Hour)             // the wall clock is now 2h ahead of the base
		time.Sleep(WallCheck)
		synctest.Wait()
		seen := time.Minute + WallCheck + 2*time.Hour // at the next look
		if got, want := l.Since(loopEpoch), seen+WallCheck/2; got != want {
			t.Fatalf("1 s after waking the loop is at %v, want %v", got, want)
		}
		if len(ran) != 1 || ran[0] != "expiry@"+seen.String() {
			t.Fatalf("ran %q, want the passed expiry once, at %v", ran, seen)
		}
		if ticks != 1 {
			t.Fatalf("the 10-minute caller ran %d times, want once: a jump is not replayed", ticks)
		}
		time.Sleep(5*time.Hour - l.Since(loopEpoch))
		synctest.Wait()
		if len(ran) != 2 || ran[1] != "later@5h0m0s" {
			t.Fatalf("ran %q, want the later timer at its own deadline", ran)
		}
	})
}

// A wall clock that does not jump costs a loop one look a second and moves
// nothing; a paused loop does not follow a jump (its time is frozen).
func TestPacedLoopIgnoresASteadyWallClockAndAJumpWhilePaused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := &SleepyWall{}
		l := NewPacedOn(base, loopEpoch, 1)
		stop := pacedRun(t, l)
		defer func() {
			if err := stop(); err != context.Canceled {
				t.Errorf("Run = %v, want context.Canceled", err)
			}
		}()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := l.Since(loopEpoch); got != 10*time.Second {
			t.Fatalf("after 10 s the loop is at %v", got)
		}
		l.Pause()
		base.Sleep(time.Hour)
		time.Sleep(2 * WallCheck)
		synctest.Wait()
		l.Resume()
		time.Sleep(2 * WallCheck)
		synctest.Wait()
		if got := l.Since(loopEpoch); got != 10*time.Second+2*WallCheck {
			t.Fatalf("after a jump while paused the loop is at %v, want 12s", got)
		}
	})
}

package clock

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// firing records when (in virtual time) a Scaled timer fired.
type firing struct {
	mu sync.Mutex
	at []time.Time
}

func (f *firing) fn(s *Scaled) func() {
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.at = append(f.at, s.Now())
	}
}

func (f *firing) times() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.at...)
}

func TestScaledRunsSpeedTimesFasterThanRealTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScaled(60)
		start := s.Now()
		time.Sleep(time.Second)
		if got := s.Since(start); got != time.Minute {
			t.Fatalf("after 1 real second Since = %v, want 1m", got)
		}
		if s.Speed() != 60 {
			t.Errorf("Speed = %v", s.Speed())
		}
	})
}

func TestScaledTimerFiresAtItsVirtualDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScaled(60)
		deadline := s.Now().Add(10 * time.Minute)
		f := &firing{}
		s.AfterFunc(10*time.Minute, f.fn(s))
		time.Sleep(10*time.Second - time.Millisecond)
		synctest.Wait()
		if len(f.times()) != 0 {
			t.Fatal("fired before its virtual deadline")
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		at := f.times()
		if len(at) != 1 || at[0].Before(deadline) || at[0].Sub(deadline) > time.Millisecond {
			t.Fatalf("fired at %v, want once at the deadline %v", at, deadline)
		}
	})
}

func TestPauseFreezesTimeAndTimersUntilResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScaled(60)
		f := &firing{}
		s.AfterFunc(time.Minute, f.fn(s)) // 1 real second
		time.Sleep(500 * time.Millisecond)
		s.Pause()
		frozen := s.Now()
		time.Sleep(time.Hour)
		synctest.Wait()
		if !s.Paused() || !s.Now().Equal(frozen) || len(f.times()) != 0 {
			t.Fatalf("while paused: now moved %v, %d firings; want frozen", s.Since(frozen), len(f.times()))
		}
		s.Resume()
		time.Sleep(500*time.Millisecond - time.Millisecond)
		synctest.Wait()
		if len(f.times()) != 0 {
			t.Fatal("fired before the remaining half minute elapsed")
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		if at := f.times(); len(at) != 1 || at[0].Sub(frozen) < 30*time.Second {
			t.Fatalf("fired at %v, want 30 virtual seconds after resume", at)
		}
	})
}

// A speed change re-arms a pending timer: it fires at its virtual deadline,
// not at the real time computed from the old speed.
func TestSetSpeedRearmsAPendingTimerForItsVirtualDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScaled(60)
		deadline := s.Now().Add(10 * time.Minute) // 10 real seconds at 60x
		f := &firing{}
		s.AfterFunc(10*time.Minute, f.fn(s))
		time.Sleep(5 * time.Second) // 5 virtual minutes
		s.SetSpeed(600)             // 5 virtual minutes left = 0.5 real seconds
		s.SetSpeed(0)               // ignored
		if s.Speed() != 600 {
			t.Fatalf("Speed = %v, want 600", s.Speed())
		}
		time.Sleep(500*time.Millisecond - time.Millisecond)
		synctest.Wait()
		if len(f.times()) != 0 {
			t.Fatal("fired early after the speed change")
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		at := f.times()
		if len(at) != 1 || at[0].Before(deadline) || at[0].Sub(deadline) > time.Second {
			t.Fatalf("fired at %v, want once at %v", at, deadline)
		}
	})
}

func TestAdvanceFiresDueTimersAtOnceEvenWhilePaused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScaled(1)
		start := s.Now()
		early, late := &firing{}, &firing{}
		s.AfterFunc(time.Hour, early.fn(s))
		s.AfterFunc(3*time.Hour, late.fn(s))
		s.Advance(-time.Hour) // ignored: time never runs backwards
		s.Advance(2 * time.Hour)
		synctest.Wait()
		if len(early.times()) != 1 || len(late.times()) != 0 {
			t.Fatalf("after Advance(2h): %d early, %d late firings; want 1, 0", len(early.times()), len(late.times()))
		}
		s.Pause()
		s.Advance(time.Hour)
		synctest.Wait()
		if at := late.times(); len(at) != 1 || at[0].Sub(start) != 3*time.Hour {
			t.Fatalf("Advance while paused: late fired at %v, want at +3h", at)
		}
	})
}

func TestStopCancelsAPendingTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScaled(60)
		f := &firing{}
		tm := s.AfterFunc(time.Minute, f.fn(s))
		if !tm.Stop() {
			t.Fatal("Stop of a pending timer returned false")
		}
		if tm.Stop() {
			t.Error("second Stop returned true")
		}
		s.SetSpeed(120) // must not revive it
		time.Sleep(time.Hour)
		synctest.Wait()
		if len(f.times()) != 0 {
			t.Fatal("a stopped timer fired")
		}
		done := s.AfterFunc(time.Minute, f.fn(s))
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if done.Stop() || len(f.times()) != 1 {
			t.Fatal("Stop after firing returned true, or the timer did not fire")
		}
	})
}

func TestScaledClampsDelaysBeyondTheTimerRange(t *testing.T) {
	if d := realDelay(MaxTimerDelay, 0.5); d != MaxTimerDelay {
		t.Errorf("realDelay(max, 0.5) = %v, want clamped to MaxTimerDelay", d)
	}
	if d := scale(MaxTimerDelay, 2); d != MaxTimerDelay {
		t.Errorf("scale(max, 2) = %v, want saturated", d)
	}
	if d := realDelay(time.Minute, 60); d <= time.Second-1 {
		t.Errorf("realDelay(1m, 60) = %v, want at least 1s (never early)", d)
	}
}

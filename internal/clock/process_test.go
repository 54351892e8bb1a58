package clock

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestProcessFiresTimersInDeadlineOrderAtMostAStepLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewProcess()
		defer c.Close()
		start := c.Now()
		fired := make(chan time.Duration, 3)
		for _, d := range []time.Duration{30 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond} {
			c.AfterFunc(d, func() { fired <- c.Since(start) })
		}
		stopped := c.AfterFunc(15*time.Millisecond, func() { t.Error("a stopped timer fired") })
		if !stopped.Stop() || stopped.Stop() {
			t.Error("Stop should report true once, then false")
		}
		time.Sleep(50 * time.Millisecond)
		for i, want := range []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond} {
			if got := <-fired; got < want || got > want+ProcessStep {
				t.Errorf("timer %d fired at +%s, want +%s", i, got, want)
			}
		}
	})
}

func TestProcessDoesNotCountAStall(t *testing.T) {
	c := newProcess(time.Unix(0, 0)) // no driver: steps by hand
	start := c.Now()
	c.step(c.last.Add(time.Millisecond))
	c.step(c.last.Add(300 * time.Millisecond)) // the process could not run for 300ms
	if got := c.Since(start); got != time.Millisecond+MaxProcessStep {
		t.Errorf("after a 1ms step and a 300ms stall the clock moved %s, want %s", got, time.Millisecond+MaxProcessStep)
	}
}

func TestScaledClockOverAProcessKeepsItsSpeed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pc := NewProcess()
		defer pc.Close()
		c := NewScaledOn(pc, 3600)
		start := c.Now()
		fired := make(chan time.Duration, 1)
		c.AfterFunc(50*time.Minute, func() { fired <- c.Since(start) })
		time.Sleep(time.Second)
		if got := c.Since(start); got < 59*time.Minute || got > 61*time.Minute {
			t.Errorf("a second at 3600x moved virtual time %s, want an hour", got)
		}
		if got := <-fired; got < 50*time.Minute || got > 50*time.Minute+8*time.Second {
			t.Errorf("a 50-minute timer fired at +%s", got)
		}
	})
}

func TestProcessCloseStopsPendingTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewProcess()
		tm := c.AfterFunc(time.Millisecond*5, func() { t.Error("fired after Close") })
		c.Close()
		c.Close()
		if tm.Stop() {
			t.Error("Stop after Close reported a pending timer")
		}
		time.Sleep(20 * time.Millisecond)
	})
}

package clock

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

var loopEpoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// trace records, on the loop goroutine, what ran and at which virtual offset.
type trace struct {
	l   *Loop
	got []string
}

func (tr *trace) fn(name string) func() {
	return func() { tr.got = append(tr.got, fmt.Sprintf("%s@%s", name, tr.l.Since(loopEpoch))) }
}

func TestLoopSimRunsTimersInDeadlineThenCreationOrder(t *testing.T) {
	l := NewSim(loopEpoch)
	tr := &trace{l: l}
	l.AfterFunc(3*time.Second, tr.fn("c"))
	l.AfterFunc(time.Second, tr.fn("a1"))
	l.AfterFunc(2*time.Second, tr.fn("b"))
	l.AfterFunc(time.Second, tr.fn("a2"))
	l.AfterFunc(-time.Hour, tr.fn("now")) // a negative delay means now
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"now@0s", "a1@1s", "a2@1s", "b@2s", "c@3s"}
	if !slices.Equal(tr.got, want) {
		t.Fatalf("ran %v, want %v", tr.got, want)
	}
	if l.Pending() != 0 || !l.Now().Equal(loopEpoch.Add(3*time.Second)) {
		t.Errorf("after Run: %d pending, now %v; want 0 and the last deadline", l.Pending(), l.Now())
	}
}

func TestLoopSimNowInsideACallbackIsItsDeadline(t *testing.T) {
	l := NewSim(loopEpoch)
	var at []time.Time
	for _, d := range []time.Duration{5 * time.Minute, time.Minute, 90 * time.Second} {
		l.AfterFunc(d, func() { at = append(at, l.Now()) })
	}
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{loopEpoch.Add(time.Minute), loopEpoch.Add(90 * time.Second), loopEpoch.Add(5 * time.Minute)}
	if !slices.EqualFunc(at, want, time.Time.Equal) {
		t.Fatalf("Now inside callbacks = %v, want the deadlines %v", at, want)
	}
}

// A sim loop never waits on the wall clock: a chain of 1000 hourly timers
// runs in no real time inside a bubble (where any real wait would show).
func TestLoopSimJumpsOverAThousandHoursWithoutRealWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		realStart := time.Now()
		l := NewSim(loopEpoch)
		n := 0
		var step func()
		step = func() {
			if n++; n < 1000 {
				l.AfterFunc(time.Hour, step)
			}
		}
		l.AfterFunc(time.Hour, step)
		if err := l.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n != 1000 || l.Since(loopEpoch) != 1000*time.Hour {
			t.Fatalf("ran %d steps to +%v, want 1000 to +1000h", n, l.Since(loopEpoch))
		}
		if waited := time.Since(realStart); waited != 0 {
			t.Fatalf("a sim run waited %v of real time", waited)
		}
	})
}

func TestLoopSimRunUntilStopsAtEndWithLaterTimersPending(t *testing.T) {
	l := NewSim(loopEpoch)
	tr := &trace{l: l}
	l.AfterFunc(time.Hour, tr.fn("in"))
	l.AfterFunc(2*time.Hour, tr.fn("edge"))
	l.AfterFunc(2*time.Hour+1, tr.fn("out"))
	end := loopEpoch.Add(2 * time.Hour)
	if err := l.RunUntil(context.Background(), end); err != nil {
		t.Fatal(err)
	}
	if want := []string{"in@1h0m0s", "edge@2h0m0s"}; !slices.Equal(tr.got, want) {
		t.Fatalf("ran %v, want %v", tr.got, want)
	}
	if l.Pending() != 1 || !l.Now().Equal(end) {
		t.Fatalf("%d pending, now %v; want 1 pending and now = end", l.Pending(), l.Now())
	}
	// With nothing due, RunUntil still moves time to the end.
	end2 := loopEpoch.Add(90 * time.Minute * 1) // before now: time does not go back
	if err := l.RunUntil(context.Background(), end2); err != nil || !l.Now().Equal(end) {
		t.Fatalf("RunUntil(an earlier end) = %v, now %v; want nil and now unchanged", err, l.Now())
	}
	if err := l.RunUntil(context.Background(), end.Add(time.Nanosecond/2)); err != nil || l.Pending() != 1 {
		t.Fatalf("RunUntil(just before the last) = %v, %d pending", err, l.Pending())
	}
}

func TestLoopStopPreventsATimer(t *testing.T) {
	l := NewSim(loopEpoch)
	tr := &trace{l: l}
	l.AfterFunc(time.Second, tr.fn("kept"))
	stopped := l.AfterFunc(time.Second, tr.fn("stopped"))
	var later Timer
	l.AfterFunc(500*time.Millisecond, func() {
		if !later.Stop() {
			t.Error("Stop from a callback of a pending timer returned false")
		}
	})
	later = l.AfterFunc(2*time.Second, tr.fn("later"))
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once, then false")
	}
	if l.Pending() != 3 {
		t.Fatalf("Pending = %d after a Stop, want 3", l.Pending())
	}
	ran := l.AfterFunc(0, tr.fn("ran"))
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ran@0s", "kept@1s"}; !slices.Equal(tr.got, want) {
		t.Fatalf("ran %v, want %v", tr.got, want)
	}
	if ran.Stop() {
		t.Error("Stop of a timer that ran returned true")
	}
}

func TestLoopTimersArmedInACallbackRunInTheSameRun(t *testing.T) {
	l := NewSim(loopEpoch)
	tr := &trace{l: l}
	l.AfterFunc(time.Second, func() {
		tr.fn("first")()
		l.AfterFunc(0, tr.fn("armed-now"))
		l.Post(tr.fn("posted"))
		l.AfterFunc(time.Second, tr.fn("armed-later"))
	})
	l.AfterFunc(time.Second, tr.fn("tie")) // queued before the ones armed at 1s
	if err := l.RunUntil(context.Background(), loopEpoch.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	want := []string{"first@1s", "tie@1s", "armed-now@1s", "posted@1s"}
	if !slices.Equal(tr.got, want) || l.Pending() != 1 {
		t.Fatalf("ran %v with %d pending, want %v and 1 pending", tr.got, l.Pending(), want)
	}
}

func TestLoopPostRunsInOrderAtTheCurrentInstant(t *testing.T) {
	l := NewSim(loopEpoch)
	tr := &trace{l: l}
	l.AfterFunc(time.Minute, tr.fn("timer"))
	if err := l.RunUntil(context.Background(), loopEpoch.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { // another goroutine (a UI) posts
		defer close(done)
		l.Post(tr.fn("p1"))
		l.Post(tr.fn("p2"))
		l.Post(nil) // harmless
	}()
	<-done
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"p1@30s", "p2@30s", "timer@1m0s"}; !slices.Equal(tr.got, want) {
		t.Fatalf("ran %v, want %v", tr.got, want)
	}
}

// A sim run of endless work notices its context within loopCtxEvery
// callbacks, and keeps the time it had reached.
func TestLoopSimStopsPromptlyWhenCtxEnds(t *testing.T) {
	l := NewSim(loopEpoch)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	var tick func()
	tick = func() {
		if n++; n == 10 {
			cancel()
		}
		l.AfterFunc(time.Millisecond, tick)
		l.AfterFunc(time.Millisecond, tick) // the work grows without end
	}
	l.AfterFunc(0, tick)
	err := l.Run(ctx)
	if err != context.Canceled {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if n > loopCtxEvery {
		t.Fatalf("ran %d callbacks after cancel, want at most %d", n, loopCtxEvery)
	}
	at := l.Now()
	if err := l.RunUntil(ctx, at.Add(time.Hour)); err != context.Canceled || !l.Now().Equal(at) {
		t.Fatalf("RunUntil on an ended ctx = %v, now moved %v; want Canceled and no move", err, l.Now().Sub(at))
	}
}

func TestLoopRefusesASecondConcurrentRun(t *testing.T) {
	l := NewSim(loopEpoch)
	var inner error
	l.AfterFunc(time.Second, func() { inner = l.Run(context.Background()) })
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if inner == nil {
		t.Fatal("Run from inside a callback succeeded; want an error")
	}
	if err := l.Run(context.Background()); err != nil {
		t.Fatalf("Run after the refused one = %v; the loop should be usable again", err)
	}
}

// A callback that panics does not leave the loop marked as running.
func TestLoopRecoversFromAPanickingCallback(t *testing.T) {
	l := NewSim(loopEpoch)
	l.AfterFunc(time.Second, func() { panic("boom") })
	func() {
		defer func() { _ = recover() }()
		_ = l.Run(context.Background())
	}()
	ran := false
	l.AfterFunc(time.Second, func() { ran = true })
	if err := l.Run(context.Background()); err != nil || !ran {
		t.Fatalf("Run after a panic = %v, ran %v", err, ran)
	}
}

func TestLoopSaturatesHugeDelays(t *testing.T) {
	l := NewSim(loopEpoch)
	l.AfterFunc(time.Duration(math.MaxInt64), func() {})
	l.AfterFunc(time.Duration(math.MaxInt64), func() {})
	if err := l.RunUntil(context.Background(), loopEpoch.Add(100*365*24*time.Hour)); err != nil || l.Pending() != 2 {
		t.Fatalf("huge delays: %v, %d pending; want both still pending (clamped, not wrapped)", err, l.Pending())
	}
	if err := l.Run(context.Background()); err != nil || l.Pending() != 0 {
		t.Fatalf("Run = %v, %d pending", err, l.Pending())
	}
	if got := l.Since(loopEpoch); got != MaxTimerDelay {
		t.Fatalf("ran at +%v, want +MaxTimerDelay", got)
	}
}

func TestLoopSimAccessorsAndSteady(t *testing.T) {
	l := NewSim(loopEpoch)
	if !l.Sim() || !math.IsInf(l.Speed(), 1) || l.Paused() || l.Achieved() != 0 {
		t.Fatalf("sim: Sim %v Speed %v Paused %v Achieved %v", l.Sim(), l.Speed(), l.Paused(), l.Achieved())
	}
	l.Pause()
	l.SetSpeed(2)
	l.Advance(time.Hour)
	if l.Paused() || !l.Now().Equal(loopEpoch) {
		t.Fatalf("the paced-only controls changed a sim loop: paused %v, now %v", l.Paused(), l.Now())
	}
	if !Steady(l) || !Steady(NewPaced(loopEpoch, 1)) {
		t.Error("a Loop should be Steady")
	}
	if p := NewPaced(loopEpoch, 0); p.Sim() || p.Speed() != 1 {
		t.Errorf("NewPaced(speed 0): Sim %v Speed %v, want paced at 1", p.Sim(), p.Speed())
	}
}

// pacedRun runs l.Run in a goroutine owned by the test; stop (also run at
// cleanup) ends it and returns Run's error.
func pacedRun(t *testing.T, l *Loop) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	stop = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { _ = stop() })
	return stop
}

// stamps records, on the loop goroutine, the virtual offsets timers ran at.
type stamps struct {
	l  *Loop
	at chan time.Duration
}

func newStamps(l *Loop) *stamps { return &stamps{l: l, at: make(chan time.Duration, 100)} }

func (s *stamps) fn() func() { return func() { s.at <- s.l.Since(loopEpoch) } }

func (s *stamps) count() int { return len(s.at) }

func TestLoopPacedRunsSpeedTimesRealTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewPaced(loopEpoch, 60)
		s := newStamps(l)
		l.AfterFunc(10*time.Minute, s.fn())
		stop := pacedRun(t, l)
		time.Sleep(time.Second)
		if got := l.Since(loopEpoch); got != time.Minute {
			t.Fatalf("after 1 real second: +%v, want +1m", got)
		}
		time.Sleep(9*time.Second - time.Millisecond)
		synctest.Wait()
		if s.count() != 0 {
			t.Fatal("a timer ran before its virtual deadline")
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if s.count() != 1 || <-s.at != 10*time.Minute {
			t.Fatal("the 10-minute timer did not run at its deadline after 10 real seconds")
		}
		if err := stop(); err != context.Canceled {
			t.Fatalf("paced Run = %v, want context.Canceled", err)
		}
		if a := l.Achieved(); math.Abs(a-60) > 0.01 {
			t.Errorf("Achieved = %v, want 60", a)
		}
	})
}

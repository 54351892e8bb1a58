package clock

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
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

// realStamps records, on the loop goroutine, the virtual offset and the real
// time (a bubble's) at which each timer ran.
type realStamps struct {
	l        *Loop
	realZero time.Time
	mu       sync.Mutex
	got      []string
}

// pacedStamps returns a paced loop at speed and stamps on it, real time
// counted from now.
func pacedStamps(speed float64) (*Loop, *realStamps) {
	l := NewPaced(loopEpoch, speed)
	return l, &realStamps{l: l, realZero: time.Now()}
}

func (s *realStamps) fn(name string) func() {
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.got = append(s.got, fmt.Sprintf("%s@%s/real+%s", name, s.l.Since(loopEpoch), time.Since(s.realZero)))
	}
}

func (s *realStamps) trace() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// A callback that stalls the loop for longer than the warp allows slows
// virtual time down: the next timer runs at its own virtual deadline (the
// lag is dropped, not caught up), and the time shown never passes it.
func TestLoopPacedSlowsDownWhenACallbackStalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, s := pacedStamps(60)
		l.AfterFunc(time.Minute, func() {
			s.fn("stall")()
			time.Sleep(2 * time.Second) // two virtual minutes of work at 60x
		})
		l.AfterFunc(2*time.Minute, s.fn("next"))
		l.AfterFunc(3*time.Minute, s.fn("after"))
		pacedRun(t, l)
		time.Sleep(2500 * time.Millisecond) // mid-stall
		if got := l.Since(loopEpoch); got != time.Minute {
			t.Errorf("during the stall Now = +%v, want the stalled callback's +1m", got)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		want := []string{"stall@1m0s/real+1s", "next@2m0s/real+3s", "after@3m0s/real+4s"}
		if got := s.trace(); !slices.Equal(got, want) {
			t.Fatalf("ran %v, want %v", got, want)
		}
		if got := l.Since(loopEpoch); got != 3*time.Minute+30*time.Second {
			t.Errorf("half a second after the last timer Now = +%v, want +3m30s (no catch-up)", got)
		}
		if a := l.Achieved(); a >= 60 || math.Abs(a-210.0/4.5) > 0.01 {
			t.Errorf("Achieved = %v, want 210s/4.5s = %.2f, below the 60 asked", a, 210.0/4.5)
		}
	})
}

// A callback late by less than MaxPacedLag (a real timer's wake-up
// lateness, a short GC pause) is caught up: the timers after it run back to
// back and the speed achieved stays the speed asked.
func TestLoopPacedCatchesUpALagUnderMaxPacedLag(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, s := pacedStamps(60)
		l.AfterFunc(time.Second, func() {
			s.fn("slow")()
			time.Sleep(MaxPacedLag * 3 / 4)
		})
		l.AfterFunc(time.Second+100*time.Millisecond, s.fn("caught-up"))
		l.AfterFunc(time.Minute, s.fn("end"))
		pacedRun(t, l)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := s.trace(); len(got) != 3 || got[2] != "end@1m0s/real+1s" {
			t.Fatalf("ran %v, want the minute's timer one real second in", got)
		}
		if a := l.Achieved(); a < 59.99 {
			t.Errorf("Achieved = %v after a %v lag, want the 60 asked", a, MaxPacedLag*3/4)
		}
	})
}

// With nobody running the loop, a due timer caps the time shown; once it
// runs, time goes on from its deadline.
func TestLoopPacedNowNeverPassesADueTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, s := pacedStamps(60)
		l.AfterFunc(time.Minute, s.fn("due"))
		time.Sleep(5 * time.Second)
		if got := l.Since(loopEpoch); got != time.Minute {
			t.Fatalf("5 real seconds at 60x with a timer due at +1m not run: Now = +%v, want +1m", got)
		}
		pacedRun(t, l)
		time.Sleep(time.Second)
		synctest.Wait()
		if got := s.trace(); !slices.Equal(got, []string{"due@1m0s/real+5s"}) {
			t.Fatalf("ran %v", got)
		}
		if got := l.Since(loopEpoch); got != 2*time.Minute {
			t.Errorf("a second after the late timer ran Now = +%v, want +2m", got)
		}
	})
}

func TestLoopPacedPauseFreezesAndResumeContinues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, s := pacedStamps(60)
		l.AfterFunc(time.Minute, s.fn("t"))
		pacedRun(t, l)
		time.Sleep(500 * time.Millisecond)
		l.Pause()
		l.Pause() // idempotent
		time.Sleep(time.Hour)
		synctest.Wait()
		if !l.Paused() || l.Since(loopEpoch) != 30*time.Second || len(s.trace()) != 0 {
			t.Fatalf("paused an hour: Paused %v, Now +%v, ran %v; want frozen at +30s", l.Paused(), l.Since(loopEpoch), s.trace())
		}
		// A UI may still act on loop state while paused.
		posted := make(chan time.Duration, 1)
		l.Post(func() { posted <- l.Since(loopEpoch) })
		if got := <-posted; got != 30*time.Second {
			t.Errorf("a post while paused ran at +%v, want +30s", got)
		}
		l.Resume()
		l.Resume()
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		if got := s.trace(); !slices.Equal(got, []string{"t@1m0s/real+1h0m1s"}) {
			t.Fatalf("ran %v, want t at +1m, half a real second after Resume", got)
		}
		if a := l.Achieved(); math.Abs(a-60) > 0.01 {
			t.Errorf("Achieved = %v, want 60: paused time does not count", a)
		}
	})
}

func TestLoopPacedSetSpeedKeepsVirtualDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, s := pacedStamps(60)
		l.AfterFunc(10*time.Minute, s.fn("a"))
		l.AfterFunc(20*time.Minute, s.fn("b"))
		pacedRun(t, l)
		time.Sleep(5 * time.Second) // +5m
		l.SetSpeed(600)             // 5m left: half a real second
		l.SetSpeed(-1)              // ignored
		if l.Speed() != 600 {
			t.Fatalf("Speed = %v, want 600", l.Speed())
		}
		time.Sleep(time.Second) // +15m
		l.SetSpeed(6)           // 5m left: 50 real seconds
		time.Sleep(50 * time.Second)
		synctest.Wait()
		want := []string{"a@10m0s/real+5.5s", "b@20m0s/real+56s"}
		if got := s.trace(); !slices.Equal(got, want) {
			t.Fatalf("ran %v, want %v", got, want)
		}
	})
}

func TestLoopPacedAdvanceRunsTheTimersItPassesInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, s := pacedStamps(1)
		l.AfterFunc(2*time.Hour, s.fn("2h"))
		l.AfterFunc(time.Hour, s.fn("1h"))
		l.AfterFunc(3*time.Hour, s.fn("3h"))
		pacedRun(t, l)
		synctest.Wait()
		l.Advance(-time.Hour) // ignored
		l.Advance(150 * time.Minute)
		synctest.Wait()
		if got := s.trace(); !slices.Equal(got, []string{"1h@1h0m0s/real+0s", "2h@2h0m0s/real+0s"}) {
			t.Fatalf("after Advance(2h30m) ran %v", got)
		}
		if got := l.Since(loopEpoch); got != 150*time.Minute {
			t.Errorf("after Advance(2h30m) Now = +%v; running the timers passed must not undo the jump", got)
		}
		l.Pause()
		l.Advance(time.Hour) // also while paused
		synctest.Wait()
		if got := s.trace(); len(got) != 3 || got[2] != "3h@3h0m0s/real+0s" {
			t.Fatalf("Advance while paused ran %v", got)
		}
		if got := l.Since(loopEpoch); got != 210*time.Minute {
			t.Errorf("Now = +%v, want +3h30m", got)
		}
		l.Resume()
		time.Sleep(time.Second)
		if a := l.Achieved(); math.Abs(a-1) > 0.01 {
			t.Errorf("Achieved = %v, want 1: jumps are not pace", a)
		}
	})
}

// A timer armed from another goroutine, earlier than the one the loop waits
// for, wakes the loop and runs on time.
func TestLoopPacedWakesForAnEarlierTimerFromAnotherGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, s := pacedStamps(60)
		l.AfterFunc(time.Hour, s.fn("hour"))
		pacedRun(t, l)
		time.Sleep(time.Second)
		l.AfterFunc(time.Minute, s.fn("minute"))
		time.Sleep(time.Second)
		synctest.Wait()
		if got := s.trace(); !slices.Equal(got, []string{"minute@2m0s/real+2s"}) {
			t.Fatalf("ran %v, want the new timer at +2m", got)
		}
	})
}

func TestLoopPacedRunUntilWaitsForTheEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, s := pacedStamps(60)
		l.AfterFunc(time.Minute, s.fn("in"))
		l.AfterFunc(3*time.Minute, s.fn("out"))
		end := loopEpoch.Add(2 * time.Minute)
		if err := l.RunUntil(context.Background(), end); err != nil {
			t.Fatal(err)
		}
		if time.Since(s.realZero) != 2*time.Second || !l.Now().Equal(end) {
			t.Fatalf("RunUntil(+2m) returned after %v real at +%v; want 2s and +2m", time.Since(s.realZero), l.Since(loopEpoch))
		}
		if got := s.trace(); !slices.Equal(got, []string{"in@1m0s/real+1s"}) || l.Pending() != 1 {
			t.Fatalf("ran %v with %d pending", got, l.Pending())
		}
		// A run cut short by its context keeps the time it had reached.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if err := l.RunUntil(ctx, end.Add(time.Hour)); err != context.DeadlineExceeded {
			t.Fatalf("RunUntil with a context ending first = %v", err)
		}
		if got := l.Since(loopEpoch); got != 2*time.Minute+30*time.Second || l.Pending() != 1 {
			t.Fatalf("after the cut-short run Now = +%v with %d pending, want +2m30s and out pending", got, l.Pending())
		}
	})
}

// A paced run that a stall carries past its end stops at the end: the
// overrun is lag, and is dropped.
func TestLoopPacedRunUntilOverrunByAStallEndsAtTheEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewPaced(loopEpoch, 60)
		l.AfterFunc(time.Minute, func() { time.Sleep(time.Minute) })
		end := loopEpoch.Add(90 * time.Second)
		if err := l.RunUntil(context.Background(), end); err != nil {
			t.Fatal(err)
		}
		if !l.Now().Equal(end) {
			t.Fatalf("Now = +%v after RunUntil(+1m30s), want the end", l.Since(loopEpoch))
		}
	})
}

// schedule feeds a sim loop a pseudo-random but seeded workload in which
// callbacks arm and stop timers, with many same-instant ties, and returns
// what ran: each callback's creation number and virtual offset.
func schedule(seed uint64, callbacks int) []string {
	l := NewSim(loopEpoch)
	rng := rand.New(rand.NewPCG(seed, 0))
	var (
		got     []string
		created int
		pending []Timer
		arm     func()
	)
	delays := []time.Duration{0, time.Millisecond, time.Millisecond, 5 * time.Millisecond}
	arm = func() {
		created++
		id := created
		pending = append(pending, l.AfterFunc(delays[rng.IntN(len(delays))], func() {
			got = append(got, fmt.Sprintf("%d@%d", id, l.Since(loopEpoch)))
			if len(got) >= callbacks {
				return
			}
			for range rng.IntN(4) {
				arm()
			}
			if rng.IntN(5) == 0 {
				pending[rng.IntN(len(pending))].Stop()
			}
		}))
	}
	for range 10 {
		arm()
	}
	_ = l.Run(context.Background())
	return got
}

func TestLoopSimIsDeterministic(t *testing.T) {
	a, b := schedule(7, 20000), schedule(7, 20000)
	if !slices.Equal(a, b) {
		t.Fatal("two sim loops fed the same schedule ran it differently")
	}
	if len(a) < 20000 {
		t.Fatalf("the schedule ran only %d callbacks", len(a))
	}
	// The order is the documented one: by deadline, ties by creation.
	var lastID, lastAt int64 = -1, -1
	ties := 0
	for _, s := range a {
		var id, at int64
		if _, err := fmt.Sscanf(s, "%d@%d", &id, &at); err != nil {
			t.Fatal(err)
		}
		if at < lastAt || at == lastAt && id < lastID {
			t.Fatalf("%s ran after %d@%d", s, lastID, lastAt)
		}
		if at == lastAt {
			ties++
		}
		lastID, lastAt = id, at
	}
	if ties < 1000 {
		t.Fatalf("only %d same-instant ties; the test should exercise them", ties)
	}
}

// Timers armed, stopped and posted from many goroutines while the loop runs
// still run one at a time: the loop-owned counter needs no lock (the race
// detector checks that), and none is lost.
func TestLoopIsSafeForConcurrentUse(t *testing.T) {
	l := NewSim(loopEpoch)
	count := 0 // owned by the loop goroutine
	ctx := context.Background()
	chain := 0
	var step func()
	step = func() {
		count++
		if chain++; chain < 10000 {
			l.AfterFunc(time.Millisecond, step)
		}
	}
	l.AfterFunc(0, step)
	runDone := make(chan error, 1)
	go func() { runDone <- l.RunUntil(ctx, loopEpoch.Add(time.Hour)) }()
	const posters, each = 4, 500
	var wg sync.WaitGroup
	for range posters {
		wg.Go(func() {
			for i := range each {
				l.Post(func() { count++ })
				tm := l.AfterFunc(time.Duration(i)*time.Microsecond, func() { count++ })
				if i%2 == 0 && tm.Stop() {
					l.Post(func() { count++ }) // stands in for the stopped one
				}
				_ = l.Now()
				_ = l.Pending()
			}
		})
	}
	wg.Wait()
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
	if err := l.Run(ctx); err != nil { // what was armed after the run's end
		t.Fatal(err)
	}
	if want := 10000 + 2*posters*each; count != want {
		t.Fatalf("ran %d callbacks, want %d", count, want)
	}
}

// The paced controls may be used from any goroutine while the loop runs.
func TestLoopPacedControlsAreSafeForConcurrentUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewPaced(loopEpoch, 60)
		ran := 0 // owned by the loop goroutine
		for i := range 100 {
			l.AfterFunc(time.Duration(i)*time.Minute, func() { ran++ })
		}
		stop := pacedRun(t, l)
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := range 50 {
					switch (g + i) % 5 {
					case 0:
						l.Pause()
					case 1:
						l.Resume()
					case 2:
						l.SetSpeed(float64(1 + i))
					case 3:
						l.Advance(time.Minute)
					case 4:
						_, _ = l.Now(), l.Achieved()
					}
					time.Sleep(10 * time.Millisecond)
				}
			})
		}
		wg.Wait()
		l.Resume()
		l.Advance(100 * time.Minute)
		synctest.Wait()
		if err := stop(); err != context.Canceled || ran != 100 {
			t.Fatalf("Run = %v after %d of 100 timers ran", err, ran)
		}
	})
}

// BenchmarkLoopSimTimers measures a timer's whole life in a sim loop: armed,
// kept in the heap among others, and run.
func BenchmarkLoopSimTimers(b *testing.B) {
	ctx := context.Background()
	f := func() {}
	b.Run("arm-all-then-run", func(b *testing.B) {
		b.ReportAllocs()
		l := NewSim(loopEpoch)
		for i := range b.N {
			l.AfterFunc(time.Duration(i*7919%100000)*time.Millisecond, f)
		}
		if err := l.Run(ctx); err != nil {
			b.Fatal(err)
		}
	})
	// A million sessions each keeping one timer armed: every callback arms
	// its successor an hour on, as a credential's refresh timer does, so the
	// heap holds a million timers throughout.
	b.Run("rearm-among-1M", func(b *testing.B) {
		const sessions, spacing = 1_000_000, time.Hour / 1_000_000
		l := NewSim(loopEpoch)
		var rearm func()
		rearm = func() { l.AfterFunc(time.Hour, rearm) }
		for i := range sessions {
			l.AfterFunc(time.Duration(i)*spacing, rearm)
		}
		b.ReportAllocs()
		b.ResetTimer()
		if err := l.RunUntil(ctx, loopEpoch.Add(time.Duration(b.N-1)*spacing)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if l.Pending() != sessions {
			b.Fatalf("%d pending, want %d", l.Pending(), sessions)
		}
	})
}

// The queue against a plain model: every pop is the earliest pending timer,
// whatever mix of arms (due now, within the wheel's reach and beyond it, with
// many equal deadlines), cancels and pops came before, and however far time
// jumps between pops.
func TestLoopQueueMatchesAModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q loopQueue
	type armed struct {
		at  int64
		seq uint64
	}
	live := map[*loopTimer]armed{}
	var seq uint64
	var now int64
	scales := []int64{1, 1000, 1 << loopSliceShift, 64 << loopSliceShift, 2 * loopWheelSize << loopSliceShift}
	for op := range 200000 {
		switch r := rng.IntN(10); {
		case r < 5 || len(live) == 0:
			seq++
			tm := &loopTimer{}
			at := now + rng.Int64N(scales[rng.IntN(len(scales))])
			q.push(tm, at, seq)
			live[tm] = armed{at, seq}
		case r < 7:
			var victim *loopTimer
			for victim = range live {
				break
			}
			q.cancel(victim)
			if victim.seq != 0 {
				t.Fatalf("op %d: a cancelled timer is still pending", op)
			}
			if q.dead > 64 && 2*q.dead > q.n {
				t.Fatalf("op %d: %d dead entries of %d were not compacted", op, q.dead, q.n)
			}
			delete(live, victim)
		default:
			var want *loopTimer
			for tm, a := range live {
				if w, ok := live[want]; !ok || a.at < w.at || a.at == w.at && a.seq < w.seq {
					want = tm
				}
			}
			at, ok := q.head()
			if !ok || at != live[want].at {
				t.Fatalf("op %d: head = %d, %v; want %d", op, at, ok, live[want].at)
			}
			if got, gotAt := q.pop(); got != want || gotAt != live[want].at || got.seq != 0 {
				t.Fatalf("op %d: pop = %p at %d, want the earliest %p at %d", op, got, gotAt, want, live[want].at)
			}
			now = live[want].at
			delete(live, want)
		}
		if q.len() != len(live) {
			t.Fatalf("op %d: queue holds %d, model %d", op, q.len(), len(live))
		}
	}
	for len(live) > 0 { // drain: the rest come out in order too
		at, ok := q.head()
		got, _ := q.pop()
		if !ok || at < now || live[got].at != at {
			t.Fatalf("drain: got %d (%v), last %d", at, ok, now)
		}
		now = at
		delete(live, got)
	}
	if _, ok := q.head(); ok || q.len() != 0 {
		t.Fatal("the queue is not empty after every timer was popped")
	}
}

// A timer in the wheel's last bucket (the slot just before the one after
// cur) is found by the search that wraps round the wheel.
func TestLoopQueueFindsTheWheelsLastBucket(t *testing.T) {
	for _, cur := range []int64{0, 5, 63, 64, 4095} {
		q := loopQueue{cur: cur}
		tm := &loopTimer{}
		at := (cur + loopWheelSize) << loopSliceShift
		q.push(tm, at, 1)
		if got, ok := q.head(); !ok || got != at {
			t.Errorf("cur %d: head = %d, %v; want the timer at slice %d", cur, got, ok, cur+loopWheelSize)
		}
	}
}

func TestLoopPacedRejectsUnusableSpeeds(t *testing.T) {
	for _, bad := range []float64{0, -2, math.NaN(), math.Inf(1), math.Inf(-1)} {
		l := NewPacedOn(nil, loopEpoch, bad)
		if l.Speed() != 1 {
			t.Errorf("NewPacedOn(speed %v).Speed() = %v, want 1", bad, l.Speed())
		}
		l.SetSpeed(3)
		l.SetSpeed(bad)
		if l.Speed() != 3 {
			t.Errorf("SetSpeed(%v) changed the speed to %v", bad, l.Speed())
		}
	}
}

// A burst of timers does not keep its memory once it has run.
func TestLoopHeapShrinksAfterABurst(t *testing.T) {
	l := NewSim(loopEpoch)
	for i := range 100000 {
		l.AfterFunc(time.Duration(i), nil)
	}
	keep := l.AfterFunc(time.Hour, nil)
	if err := l.RunUntil(context.Background(), loopEpoch.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if c := l.timers.capacity(); c > 2*loopShrinkCap {
		t.Fatalf("after the burst ran the heap keeps room for %d timers", c)
	}
	if l.Pending() != 1 || !keep.Stop() {
		t.Fatal("the timer left after the burst was lost by the shrink")
	}
}

func TestLoopRearmReusesATimerThatRanAndMovesOneStillPending(t *testing.T) {
	l := NewSim(loopEpoch)
	tr := &trace{l: l}
	var tick Timer
	n := 0
	var fire func()
	fire = func() {
		tr.fn("tick")()
		if n++; n < 3 {
			if again := l.Rearm(tick, time.Second, fire); again != tick {
				t.Error("Rearm of a timer that ran made a new one")
			}
		}
	}
	tick = l.AfterFunc(time.Second, fire)
	moved := l.AfterFunc(time.Second, tr.fn("moved"))
	if l.Rearm(moved, 10*time.Second, tr.fn("moved")) != moved || l.Pending() != 2 {
		t.Fatalf("Rearm of a pending timer: %d pending, want it moved, not doubled", l.Pending())
	}
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"tick@1s", "tick@2s", "tick@3s", "moved@10s"}; !slices.Equal(tr.got, want) {
		t.Fatalf("ran %v, want %v", tr.got, want)
	}
	allocs := testing.AllocsPerRun(100, func() {
		l.Rearm(tick, time.Second, fire)
		tick.Stop()
	})
	if allocs != 0 {
		t.Errorf("Rearm allocates %v times a round, want 0", allocs)
	}
}

func TestLoopPacedConversionsSaturateAndNeverWakeEarly(t *testing.T) {
	if d := ceilRealDelay(MaxTimerDelay, 0.5); d != MaxTimerDelay {
		t.Errorf("ceilRealDelay(max, 0.5) = %v, want clamped to MaxTimerDelay", d)
	}
	if d := scale(MaxTimerDelay, 2); d != MaxTimerDelay {
		t.Errorf("scale(max, 2) = %v, want saturated", d)
	}
	if d := ceilRealDelay(time.Minute+1, 60); d <= time.Second {
		t.Errorf("ceilRealDelay(1m+1ns, 60) = %v, want over 1s (never early)", d)
	}
}

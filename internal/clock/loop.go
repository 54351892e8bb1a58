package clock

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

// Loop is a Clock whose timer callbacks run one at a time on the goroutine
// that runs the loop (Run or RunUntil), in order of deadline and, for equal
// deadlines, of creation. Unlike the other clocks' AfterFunc, a Loop's never
// starts a goroutine: callbacks must not block, and they may use the Loop
// (Now, AfterFunc, Post, Stop) freely, as may any other goroutine.
//
// A Loop has one of two pacings:
//
//   - sim (NewSim, discrete-event): virtual time jumps straight to the next
//     due timer once the callbacks due now are done; it never waits on the
//     wall clock. The same timers give the same order, so runs reproduce.
//   - paced (NewPaced): virtual time runs speed times as fast as real time,
//     but never passes a timer that is due and not yet run. When callbacks
//     take longer than the warp allows, virtual time slows down: the lag is
//     dropped, not caught up later. A paced loop can be paused, resumed, sped
//     up and jumped ahead. A wall loop (NewWall) is paced at 1x over the
//     wall clock and catches up instead, also after the machine slept.
//
// While a callback runs, Now returns that timer's deadline: all the work of
// one callback happens at one virtual instant.
type Loop struct {
	sim    bool
	wall   bool      // paced at 1x over the wall clock, whose time it shows: timers run late (NewWall)
	base   Clock     // paced: the real clock waited on; sim: measures Achieved only
	start  time.Time // virtual time 0; times inside are nanoseconds since start
	wake   chan struct{}
	signal func() // sends on wake without blocking; made once, not per wait

	mu      sync.Mutex
	timers  loopQueue
	seq     uint64
	looping bool  // Run or RunUntil is under way
	stopAt  int64 // the end of the current RunUntil: Now does not pass it
	waiting bool  // the loop waits for real time (paced) until waitAt
	waitAt  int64

	// sim: the virtual now. paced: the deadline of the running callback.
	now     int64
	running bool // paced: a callback runs; Now is now

	// paced: virtual time is anchorVi + speed * (real now - anchorRe).
	speed    float64
	paused   bool
	anchorRe time.Time
	anchorVi int64
	floor    int64 // an Advance's target: dropping lag never goes below it
	shown    int64 // wall: the latest time read, which a wall clock set back does not undo

	// Achieved: measured from the first Run or RunUntil.
	started     bool
	firstRe     time.Time
	firstVi     int64
	pausedAt    time.Time
	pausedTotal time.Duration
	advanced    int64 // virtual time jumped by Advance: not pace
}

// loopCtxEvery is how many callbacks a loop runs between looks at its
// context: often enough to stop within a few ms, rarely enough to cost nothing.
const loopCtxEvery = 1024

var _ Clock = (*Loop)(nil)

// NewSim returns a discrete-event Loop whose virtual time starts at start.
func NewSim(start time.Time) *Loop {
	l := newLoop(Real{}, start)
	l.sim = true
	return l
}

// NewPaced returns a Loop whose virtual time starts at start and runs speed
// times as fast as the real clock. A speed that is not a positive finite
// number is taken as 1.
func NewPaced(start time.Time, speed float64) *Loop { return NewPacedOn(Real{}, start, speed) }

// NewPacedOn is NewPaced over an arbitrary real clock (a test's, say): base
// provides the real Now and the AfterFunc the loop waits with; nil means Real.
// Its time follows base's monotonic reading, which stands still while the
// machine sleeps: for time that must keep the wall clock's, use NewWall.
func NewPacedOn(base Clock, start time.Time, speed float64) *Loop {
	if base == nil {
		base = Real{}
	}
	if !validSpeed(speed) {
		speed = 1
	}
	l := newLoop(base, start)
	l.speed = speed
	l.anchorRe = base.Now()
	return l
}

// NewWall returns a Loop that follows the wall clock at 1x, for issuers
// whose tokens expire in wall time. It reads the wall clock without its
// monotonic reading, which stops while the machine sleeps, and looks at it
// at least every WallRecheck, as Go's timers stop too. Its time is the wall
// clock's, also while a callback runs late: after a sleep it jumps ahead,
// and the timers that fell due meanwhile run at once, in order of deadline,
// each once and late, as Go's timers would (a paced loop would drop the lag
// and run them at their deadlines instead). A wall clock set back freezes
// the loop's time until the wall clock is past where it was.
func NewWall() *Loop { return NewWallOn(wallClock{}) }

// NewWallOn is NewWall over base, a wall clock (a test's that jumps, say):
// base provides the wall time and the AfterFunc the loop waits with.
func NewWallOn(base Clock) *Loop {
	l := NewPacedOn(base, base.Now(), 1)
	l.wall = true
	return l
}

// WallRecheck is the longest a wall loop (NewWall) waits before it looks at
// the wall clock again.
const WallRecheck = time.Second

// wallClock is the wall clock read without its monotonic reading, so that
// durations measured on it include the time the machine slept.
type wallClock struct{}

func (wallClock) Now() time.Time                            { return time.Now().Round(0) }
func (c wallClock) Since(t time.Time) time.Duration         { return c.Now().Sub(t) }
func (wallClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Steady reports true: a Loop's time moves only as the loop moves it, and a
// wall loop follows a wall-clock jump itself, running the timers it passes,
// so its users need not re-check deadlines against Now.
func (l *Loop) Steady() bool { return true }

func newLoop(base Clock, start time.Time) *Loop {
	l := &Loop{base: base, start: start.Round(0), wake: make(chan struct{}, 1), stopAt: math.MaxInt64}
	l.signal = func() {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return l
}

// Sim reports whether l is discrete-event (NewSim) rather than paced; a
// nil Loop is not.
func (l *Loop) Sim() bool { return l != nil && l.sim }

// Now returns the virtual time. In a sim loop it is the deadline of the timer
// being run or last run (or the start, or the end of the last RunUntil). In a
// paced loop it is the deadline of the running callback while one runs, and
// otherwise the paced time, but never later than the earliest timer that is
// due and not yet run, nor than the end of a RunUntil under way.
func (l *Loop) Now() time.Time {
	l.mu.Lock()
	v := l.nowLocked(time.Time{})
	l.mu.Unlock()
	return l.time(v)
}

// Since returns the virtual time elapsed since t.
func (l *Loop) Since(t time.Time) time.Duration { return l.Now().Sub(t) }

// AfterFunc arranges for f to run on the loop goroutine once d of virtual time
// has elapsed (a d <= 0 means now, after the timers already due now). Delays
// beyond MaxTimerDelay are clamped to it. It may be called from any goroutine.
func (l *Loop) AfterFunc(d time.Duration, f func()) Timer {
	if f == nil {
		f = nop
	}
	t := &loopTimer{l: l, f: f}
	l.mu.Lock()
	l.armLocked(t, d)
	l.mu.Unlock()
	return t
}

// armLocked queues t to run d from now, waking a loop that waits for later.
func (l *Loop) armLocked(t *loopTimer, d time.Duration) {
	at := addSat(l.nowLocked(time.Time{}), min(max(d, 0), MaxTimerDelay))
	l.seq++
	l.timers.push(t, at, l.seq)
	if l.waiting && at < l.waitAt {
		l.signal()
	}
}

func nop() {}

// MaxPacedLag is how far (in real time) a paced loop may run behind its
// timers and still catch up; beyond it the lag is dropped and virtual time
// slows down. It absorbs the lateness of real timer wake-ups, which would
// otherwise be lost at every wait and halve a fast warp's speed.
const MaxPacedLag = 20 * time.Millisecond

// Rearm is AfterFunc reusing t, a timer of l's that has run or been stopped
// (one still pending is stopped first), so that a callback that re-arms
// itself forever, such as a simulated caller's, allocates no timer per
// round. A nil t, or one not of l's, gets a new timer.
func (l *Loop) Rearm(t Timer, d time.Duration, f func()) Timer {
	lt, ok := t.(*loopTimer)
	if !ok || lt.l != l {
		return l.AfterFunc(d, f)
	}
	if f == nil {
		f = nop
	}
	l.mu.Lock()
	if lt.seq != 0 {
		l.timers.cancel(lt)
	}
	lt.f = f
	l.armLocked(lt, d)
	l.mu.Unlock()
	return lt
}

// Post runs f on the loop goroutine as soon as possible, at the current
// virtual instant, after the timers already due at it. It may be called from
// any goroutine; a UI uses it to act on state the loop owns.
func (l *Loop) Post(f func()) { l.AfterFunc(0, f) }

// Pending returns how many timers have not run yet (nor been stopped).
func (l *Loop) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.timers.len()
}

// Run runs the loop on the calling goroutine. A sim loop runs until no timer
// is left and returns nil; a paced loop runs until ctx ends. It returns
// ctx.Err() if ctx ends first.
func (l *Loop) Run(ctx context.Context) error { return l.run(ctx, math.MaxInt64, false) }

// Go runs the loop (Run) in a new goroutine until stop is called: the owner
// of a loop that nothing else runs calls stop when done with it (in a
// synctest bubble, before the bubble ends). stop waits for the goroutine to
// end and may be called more than once.
func (l *Loop) Go() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// RunUntil runs the loop on the calling goroutine until every timer due at or
// before end has run and virtual time is end: a sim loop jumps there, a paced
// one waits real time for it (a pause holds it). Timers set for later than
// end stay pending, and an end in the past only runs the timers due now. If
// ctx ends first, RunUntil returns ctx.Err() with virtual time where it was.
func (l *Loop) RunUntil(ctx context.Context, end time.Time) error {
	return l.run(ctx, l.offset(end), true)
}

// errLoopBusy is returned by a second, concurrent Run or RunUntil.
var errLoopBusy = errors.New("clock: the loop is already running (Run or RunUntil called while another is under way, or from a callback)")

func (l *Loop) run(ctx context.Context, end int64, bounded bool) error {
	l.mu.Lock()
	if l.looping {
		l.mu.Unlock()
		return errLoopBusy
	}
	realNow := l.base.Now()
	now := l.nowLocked(realNow)
	if !l.started {
		l.started, l.firstRe, l.firstVi = true, realNow, now
	}
	end = max(end, now)
	l.looping, l.stopAt = true, end
	l.mu.Unlock()
	defer l.finish()
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.sim {
		return l.runSim(ctx, end, bounded)
	}
	return l.runPaced(ctx, end)
}

// finish ends a run, also one a callback panicked out of. A paced loop keeps
// the time it showed: lag behind a due timer or the end is dropped.
func (l *Loop) finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.sim {
		l.reanchorLocked(l.base.Now())
	}
	l.running, l.looping, l.waiting, l.stopAt = false, false, false, math.MaxInt64
}

func (l *Loop) runSim(ctx context.Context, end int64, bounded bool) error {
	for n := 1; ; n++ {
		l.mu.Lock()
		if at, ok := l.timers.head(); !ok || at > end {
			if bounded {
				l.now = end
			}
			l.mu.Unlock()
			return nil
		}
		if err := l.fireLocked(ctx, n, math.MinInt64); err != nil {
			return err
		}
	}
}

// fireLocked takes the earliest timer off the queue (head has found it) and
// runs it at its deadline, or at late if that is later (a wall loop's
// timers run late): it unlocks l.mu for the callback. Every loopCtxEvery
// callbacks it returns ctx's error.
func (l *Loop) fireLocked(ctx context.Context, n int, late int64) error {
	t, at := l.timers.pop()
	l.now = max(at, late)
	f := t.f
	t.f = nil
	l.mu.Unlock()
	f()
	if n%loopCtxEvery == 0 {
		return ctx.Err()
	}
	return nil
}

func (l *Loop) runPaced(ctx context.Context, end int64) error {
	for n := 1; ; n++ {
		l.mu.Lock()
		l.running = false
		realNow := l.base.Now()
		raw := l.rawLocked(realNow)
		next, pending := l.timers.head()
		if pending && next <= min(end, raw) {
			if lag := raw - next; lag > 0 && !l.wall && float64(lag) > float64(MaxPacedLag)*l.speed {
				// Behind by more than a wake-up's worth: the machine cannot
				// keep up, so drop the lag. A smaller lag (a real timer's
				// usual lateness) is caught up by running the due timers
				// back to back; Now never passes a due timer either way.
				l.anchorVi, l.anchorRe = max(next, l.floor), realNow
			}
			l.running = true
			late := int64(math.MinInt64)
			if l.wall {
				late = min(raw, end)
			}
			if err := l.fireLocked(ctx, n, late); err != nil {
				return err
			}
			continue
		}
		if raw >= end {
			l.mu.Unlock()
			return nil
		}
		if !pending || next > end {
			next = end
		}
		var rt Timer
		if !l.paused {
			d := ceilRealDelay(time.Duration(next-raw), l.speed)
			if l.wall {
				d = min(d, WallRecheck)
			}
			rt = l.base.AfterFunc(d, l.signal)
		}
		l.waiting, l.waitAt = true, next
		l.mu.Unlock()
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-l.wake:
		}
		if rt != nil {
			rt.Stop()
		}
		if err != nil {
			return err
		}
		l.mu.Lock()
		l.waiting = false
		l.mu.Unlock()
	}
}

// nowLocked returns the virtual now (see Now). realNow is the base clock's
// now if the caller has it, or zero to read it when needed.
func (l *Loop) nowLocked(realNow time.Time) int64 {
	if l.sim || l.running {
		return l.now
	}
	if realNow.IsZero() {
		realNow = l.base.Now()
	}
	v := min(l.rawLocked(realNow), l.stopAt)
	if at, ok := l.timers.head(); ok && !l.wall { // a wall loop shows the wall clock's time
		v = min(v, at)
	}
	return v
}

// rawLocked returns a paced loop's virtual time as its anchors and speed
// give it, before capping at due timers; a wall loop's never goes back.
func (l *Loop) rawLocked(realNow time.Time) int64 {
	if l.paused {
		return l.anchorVi
	}
	v := addSat(l.anchorVi, scale(max(realNow.Sub(l.anchorRe), 0), l.speed))
	if l.wall {
		// The wall clock has no monotonic reading: set back, it would
		// take the loop's time back; the time stays until it is past.
		v = max(v, l.shown)
		l.shown = v
	}
	return v
}

// validSpeed reports whether speed can pace a loop: NaN, infinities and
// non-positive speeds cannot.
func validSpeed(speed float64) bool { return speed > 0 && !math.IsInf(speed, 1) }

// reanchorLocked makes the virtual now shown the anchor, dropping any lag
// behind a due timer, but never undoing an Advance.
func (l *Loop) reanchorLocked(realNow time.Time) {
	l.anchorVi, l.anchorRe = max(l.nowLocked(realNow), l.floor), realNow
}

// wakeLocked wakes a loop waiting for real time, to look again.
func (l *Loop) wakeLocked() {
	if l.waiting {
		l.signal()
	}
}

// time converts a virtual offset into a time.
func (l *Loop) time(v int64) time.Time { return l.start.Add(time.Duration(v)) }

// offset converts a time into a virtual offset, saturating.
func (l *Loop) offset(t time.Time) int64 { return int64(t.Sub(l.start)) }

// ceilRealDelay is the real time that covers virtual at speed, rounded up
// but not padded: a loop that wakes a rounding error early only waits again.
func ceilRealDelay(virtual time.Duration, speed float64) time.Duration {
	r := math.Ceil(float64(virtual) / speed)
	if r >= float64(MaxTimerDelay) {
		return MaxTimerDelay
	}
	return time.Duration(r)
}

// scale multiplies a real duration by speed, saturating instead of overflowing.
func scale(d time.Duration, speed float64) time.Duration {
	v := float64(d) * speed
	if v >= float64(MaxTimerDelay) {
		return MaxTimerDelay
	}
	if v <= -float64(MaxTimerDelay) {
		return -MaxTimerDelay
	}
	return time.Duration(v)
}

// addSat returns v+d, saturating at the largest offset. d must be >= 0.
func addSat(v int64, d time.Duration) int64 {
	if int64(d) > math.MaxInt64-v {
		return math.MaxInt64
	}
	return v + int64(d)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// loopTimer is a pending callback of a Loop: its deadline lives in the
// queue. It is kept small, as a large run arms millions.
type loopTimer struct {
	l   *Loop
	f   func() // nil once run or stopped, to let the closure go
	seq uint64 // the pending arming's (see loopQueue); 0 once run or stopped
}

// Stop cancels the timer; it reports whether the timer was still pending.
func (t *loopTimer) Stop() bool {
	l := t.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.seq == 0 {
		return false
	}
	l.timers.cancel(t)
	t.f = nil
	return true
}

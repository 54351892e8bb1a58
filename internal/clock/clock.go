// Package clock abstracts time so that tokentop can run credentials on the
// real clock or on an event loop (Loop: sim, or paced at a time warp).
// Every package that schedules work takes a Clock instead of calling time directly.
package clock

import "time"

// Clock tells the time and schedules callbacks.
type Clock interface {
	// Now returns the current time on this clock.
	Now() time.Time
	// Since returns the time elapsed on this clock since t.
	Since(t time.Time) time.Duration
	// AfterFunc calls f in its own goroutine once d has elapsed on this clock.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc callback.
type Timer interface {
	// Stop prevents the callback from running. It reports whether the call
	// stopped the timer, false if it had already fired or been stopped.
	Stop() bool
}

// Real is the wall clock. Its zero value is ready to use.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Since returns time.Since(t).
func (Real) Since(t time.Time) time.Duration { return time.Since(t) }

// AfterFunc wraps time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// MaxTimerDelay is the longest delay a timer is armed for. Longer delays are
// clamped to it: the timer then fires late rather than early, and never
// overflows (a year-3000 token would otherwise wrap into a negative delay).
const MaxTimerDelay = time.Duration(1<<62 - 1)

// Steady reports whether c's time cannot jump: c says so with a Steady
// method. The wall clock (Real) can: Go's timers run on the monotonic clock,
// which stops while a laptop sleeps, so a deadline cached behind a timer
// must be re-checked against Now. A Loop's time moves only as the loop moves
// it (a wall loop looks at the wall clock itself and runs the timers a jump
// passes), so re-checking it would cost a timer per credential per virtual
// second.
func Steady(c Clock) bool {
	s, ok := c.(interface{ Steady() bool })
	return ok && s.Steady()
}

// Rearmer is implemented by clocks that can arm a timer again, one that ran
// or was stopped (or is pending: it moves), without allocating (a Loop).
// The timer keeps its identity, so a callback that runs late finds the one
// timer re-armed rather than a second one pending.
type Rearmer interface {
	Rearm(t Timer, d time.Duration, f func()) Timer
}

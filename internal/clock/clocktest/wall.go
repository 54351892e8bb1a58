// Package clocktest holds clocks for tests of code that runs on package
// clock's: a wall clock that jumps, as after a laptop slept.
package clocktest

import (
	"sync/atomic"
	"time"

	"tokentop/internal/clock"
)

// JumpingWall is a wall clock that jumps ahead when told: time.Now (in a
// synctest bubble, the bubble's time) without its monotonic reading, plus
// every Jump so far. Its timers are time.AfterFunc's, which a jump does not
// move, as a sleeping machine's do not. Its zero value is ready to use.
type JumpingWall struct{ jump atomic.Int64 }

var _ clock.Clock = (*JumpingWall)(nil)

// Jump moves the wall clock ahead by d.
func (w *JumpingWall) Jump(d time.Duration) { w.jump.Add(int64(d)) }

// Now returns the wall time.
func (w *JumpingWall) Now() time.Time {
	return time.Now().Round(0).Add(time.Duration(w.jump.Load()))
}

// Since returns the wall time elapsed since t.
func (w *JumpingWall) Since(t time.Time) time.Duration { return w.Now().Sub(t) }

// AfterFunc is time.AfterFunc: it waits real (monotonic) time.
func (w *JumpingWall) AfterFunc(d time.Duration, f func()) clock.Timer {
	return time.AfterFunc(d, f)
}

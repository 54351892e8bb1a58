package clock

import (
	"math"
	"time"
)

// The pace of a Loop: the speed of a paced loop, pausing it, jumping it
// ahead, and the speed it achieved.

// Speed returns the speed asked of a paced loop; +Inf for a sim loop, which
// runs as fast as the machine allows.
func (l *Loop) Speed() float64 {
	if l.sim {
		return math.Inf(1)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.speed
}

// SetSpeed changes a paced loop's speed from now on; pending timers still run
// at their virtual deadlines. A speed that is not a positive finite number is
// ignored, as is any on a sim loop.
func (l *Loop) SetSpeed(speed float64) {
	if l.sim || !validSpeed(speed) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reanchorLocked(l.base.Now())
	l.speed = speed
	l.wakeLocked()
}

// Pause freezes a paced loop's virtual time: timers wait until Resume (or an
// Advance). It does nothing to a sim loop.
func (l *Loop) Pause() {
	if l.sim {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.paused {
		return
	}
	realNow := l.base.Now()
	l.reanchorLocked(realNow)
	l.paused = true
	l.pausedAt = realNow
	l.wakeLocked()
}

// Resume lets a paused loop's virtual time run again from where it stopped.
func (l *Loop) Resume() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.paused {
		return
	}
	realNow := l.base.Now()
	l.paused = false
	l.anchorRe = realNow
	if l.started {
		l.pausedTotal += realNow.Sub(later(l.pausedAt, l.firstRe))
	}
	l.wakeLocked()
}

// Paused reports whether a paced loop is paused; a sim loop never is.
func (l *Loop) Paused() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.paused
}

// Advance jumps a paced loop's virtual time ahead by d, also while paused.
// The timers that fall due run on the loop goroutine, in order, each at its
// own deadline; Advance itself only moves the time and wakes the loop, so it
// may be called from any goroutine. A d <= 0 is ignored, as is any Advance of
// a sim loop (its time jumps by itself).
func (l *Loop) Advance(d time.Duration) {
	if l.sim || d <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reanchorLocked(l.base.Now())
	from := l.anchorVi
	l.anchorVi = addSat(from, d)
	l.floor = l.anchorVi
	if l.started {
		l.advanced += l.anchorVi - from
	}
	l.wakeLocked()
}

// Achieved returns the virtual seconds the loop made per real second since it
// first ran, leaving out paused real time and the jumps of Advance: below
// Speed when callbacks could not keep up. It is 0 before any virtual time has
// passed, and +Inf when virtual time passed in no measurable real time (a
// sim loop's runs often take none on a test's clock).
func (l *Loop) Achieved() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started {
		return 0
	}
	realNow := l.base.Now()
	real := realNow.Sub(l.firstRe) - l.pausedTotal
	if l.paused {
		real -= realNow.Sub(later(l.pausedAt, l.firstRe))
	}
	virt := l.nowLocked(realNow) - l.firstVi - l.advanced
	switch {
	case virt <= 0:
		return 0
	case real <= 0:
		return math.Inf(1)
	}
	return float64(virt) / float64(real)
}

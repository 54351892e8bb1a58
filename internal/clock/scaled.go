package clock

import (
	"sync"
	"time"
)

// Scaled is a time-warped clock: virtual time runs Speed times as fast as the
// real clock, can be paused and resumed, and can jump ahead. Pending timers are
// re-armed whenever the speed changes, so each fires at its virtual deadline.
//
// It is safe for concurrent use. The real clock underneath is Real unless the
// Scaled was made with NewScaledOn.
type Scaled struct {
	base Clock

	mu       sync.Mutex
	speed    float64
	paused   bool
	anchorRe time.Time // real time at the last re-anchor
	anchorVi time.Time // virtual time at anchorRe, without a monotonic reading: it is compared with token expiries
	pending  map[*scaledTimer]struct{}
}

// NewScaled returns a clock that starts at the real now and runs speed times
// as fast as real time. A speed <= 0 is taken as 1.
func NewScaled(speed float64) *Scaled { return NewScaledOn(Real{}, speed) }

// NewScaledOn is NewScaled over an arbitrary base clock (a test's clock, say).
func NewScaledOn(base Clock, speed float64) *Scaled {
	if speed <= 0 {
		speed = 1
	}
	now := base.Now()
	return &Scaled{base: base, speed: speed, anchorRe: now, anchorVi: now.Round(0), pending: map[*scaledTimer]struct{}{}}
}

// Now returns the virtual time.
func (s *Scaled) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

func (s *Scaled) nowLocked() time.Time {
	if s.paused {
		return s.anchorVi
	}
	return s.anchorVi.Add(scale(s.base.Since(s.anchorRe), s.speed))
}

// Since returns the virtual time elapsed since t.
func (s *Scaled) Since(t time.Time) time.Duration { return s.Now().Sub(t) }

// Speed returns the current speed factor.
func (s *Scaled) Speed() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.speed
}

// Paused reports whether virtual time is frozen.
func (s *Scaled) Paused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}

// SetSpeed changes the speed factor; pending timers are re-armed so that each
// still fires at its virtual deadline. A speed <= 0 is ignored.
func (s *Scaled) SetSpeed(speed float64) {
	if speed <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reanchorLocked()
	s.speed = speed
	s.rearmLocked()
}

// Pause freezes virtual time; pending timers wait until Resume.
func (s *Scaled) Pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused {
		return
	}
	s.reanchorLocked()
	s.paused = true
	s.rearmLocked()
}

// Resume lets virtual time run again from where it was paused.
func (s *Scaled) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.paused {
		return
	}
	s.anchorRe = s.base.Now()
	s.paused = false
	s.rearmLocked()
}

// Advance moves virtual time forward by d (a time warp); timers that fall due
// fire at once, also while paused. A negative d is ignored: virtual time
// never runs backwards.
func (s *Scaled) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reanchorLocked()
	s.anchorVi = s.anchorVi.Add(d)
	s.rearmLocked()
}

// AfterFunc calls f in its own goroutine once d of virtual time has elapsed.
func (s *Scaled) AfterFunc(d time.Duration, f func()) Timer {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &scaledTimer{clock: s, f: f, deadline: s.nowLocked().Add(max(d, 0))}
	s.pending[t] = struct{}{}
	s.armLocked(t)
	return t
}

func (s *Scaled) reanchorLocked() {
	now := s.base.Now()
	if !s.paused {
		s.anchorVi = s.anchorVi.Add(scale(now.Sub(s.anchorRe), s.speed))
	}
	s.anchorRe = now
}

func (s *Scaled) rearmLocked() {
	for t := range s.pending {
		s.armLocked(t)
	}
}

// armLocked (re)starts t's real timer for the real time left until its
// virtual deadline. Each arming gets a new generation so that a real timer
// that fires after being superseded does nothing.
func (s *Scaled) armLocked(t *scaledTimer) {
	if t.real != nil {
		t.real.Stop()
		t.real = nil
	}
	t.gen++
	left := t.deadline.Sub(s.nowLocked())
	if s.paused && left > 0 {
		return // armed again on Resume; a timer already due (Advance) fires now
	}
	gen := t.gen
	t.real = s.base.AfterFunc(realDelay(left, s.speed), func() { s.fire(t, gen) })
}

func (s *Scaled) fire(t *scaledTimer, gen uint64) {
	s.mu.Lock()
	if _, ok := s.pending[t]; !ok || t.gen != gen {
		s.mu.Unlock()
		return
	}
	if s.nowLocked().Before(t.deadline) { // rounding: never fire early
		s.armLocked(t)
		s.mu.Unlock()
		return
	}
	delete(s.pending, t)
	t.real = nil
	s.mu.Unlock()
	t.f()
}

type scaledTimer struct {
	clock    *Scaled
	f        func()
	deadline time.Time
	gen      uint64
	real     Timer
}

// Stop cancels the timer; it reports whether the timer was still pending.
func (t *scaledTimer) Stop() bool {
	s := t.clock
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pending[t]; !ok {
		return false
	}
	delete(s.pending, t)
	if t.real != nil {
		t.real.Stop()
		t.real = nil
	}
	return true
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

// realDelay converts a virtual delay into the real delay to arm, rounded up so
// that the timer does not fire before its virtual deadline.
func realDelay(virtual time.Duration, speed float64) time.Duration {
	if virtual <= 0 {
		return 0
	}
	r := float64(virtual) / speed
	if r >= float64(MaxTimerDelay) {
		return MaxTimerDelay
	}
	return time.Duration(r) + 1
}

// Steady reports true: a Scaled clock measures its base with Since, which is
// monotonic for Real, so its time does not jump.
func (s *Scaled) Steady() bool { return true }

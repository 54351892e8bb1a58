package credential

import (
	"context"
	"fmt"
	"time"

	"tokentop/internal/clock"
)

// The credential is split as etcd's raft is. The decision code (the *Locked
// methods, run under c.mu) reads nothing from the clock but the now it is
// given and records what must happen as intents: in c.fx, and the events in
// c.queue. The shell in this file applies them. Timer and context intents
// are applied before c.mu is released, in the order they were decided, so
// that an earlier decision's timer can never overtake a later one's; intents
// that run someone else's code (events, the refresher, waiters) are applied
// by flush, outside c.mu.

// effects are the intents of the decisions taken under c.mu.
type effects struct {
	timers  []arming  // arm or stop these timers, in this order
	cancels []*flight // cancel these finished flights' contexts, with f.err
	starts  []*flight // call the refresher for these flights (flush)
	wakes   []func()  // complete these waiters (flush)
}

// arming is a timer intent: fire slot at at, or stop it if at is zero.
type arming struct {
	slot *timerSlot
	at   time.Time
}

// armLocked records the intent to fire slot at at (zero: stop it).
func (c *Credential) armLocked(slot *timerSlot, at time.Time) {
	c.fx.timers = append(c.fx.timers, arming{slot, at})
}

// timerSlot is one timer of a credential (the schedule, the freshness
// re-check, a refresh's attempt limit). It is the one place that knows how
// a clock's timers are reused: a *time.Timer is Reset, a clock.Rearmer's
// timer is re-armed in place, any other clock's timer is replaced. Its
// callback re-decides from the state and the time, so a stale run (a timer
// that fired as it was re-armed) does no harm and needs no generation.
type timerSlot struct {
	t     clock.Timer
	fire  func()
	every time.Duration // >0: fire at least this often (a wall clock that can jump)
}

// arm makes the slot fire after d on c (clamped to the timers' range).
func (s *timerSlot) arm(c clock.Clock, d time.Duration) {
	if s.every > 0 {
		d = min(d, s.every)
	}
	d = clampDelay(d)
	if t, ok := s.t.(*time.Timer); ok {
		t.Reset(d)
		return
	}
	if r, ok := c.(clock.Rearmer); ok {
		s.t = r.Rearm(s.t, d, s.fire)
		return
	}
	if s.t != nil {
		s.t.Stop()
	}
	s.t = c.AfterFunc(d, s.fire)
}

// stop stops the slot's timer, keeping it for reuse.
func (s *timerSlot) stop() {
	if s.t != nil {
		s.t.Stop()
	}
}

// clampDelay keeps a timer delay within range; the callback re-arms if the
// clamped timer fires before its deadline.
func clampDelay(d time.Duration) time.Duration {
	return min(max(d, 0), clock.MaxTimerDelay)
}

// unlockAndApply applies the intents of the decisions just taken at now,
// releases c.mu and runs flush. Every entry point ends with it.
func (c *Credential) unlockAndApply(now time.Time) {
	c.applyLocked(now)
	c.mu.Unlock()
	c.flush()
}

// applyLocked applies the timer and context intents, in the order decided.
func (c *Credential) applyLocked(now time.Time) {
	for i, a := range c.fx.timers {
		if a.at.IsZero() {
			a.slot.stop()
		} else {
			a.slot.arm(c.clock, a.at.Sub(now))
		}
		c.fx.timers[i] = arming{}
	}
	c.fx.timers = c.fx.timers[:0]
	for i, f := range c.fx.cancels {
		if f.cancel != nil { // nil: it never started
			f.cancel(f.err)
		}
		c.fx.cancels[i] = nil
	}
	c.fx.cancels = c.fx.cancels[:0]
}

// flush does what was decided under c.mu and runs someone else's code, in
// order: it delivers the queued events, starts the refreshes and completes
// the waiters, until none is left. Call it after releasing c.mu.
func (c *Credential) flush() {
	c.deliver()
	for {
		c.mu.Lock()
		starts, wakes := c.fx.starts, c.fx.wakes
		c.fx.starts, c.fx.wakes = nil, nil
		c.mu.Unlock()
		if len(starts) == 0 && len(wakes) == 0 {
			return
		}
		for _, f := range starts {
			c.launch(f)
		}
		for _, wake := range wakes {
			wake()
		}
		c.deliver()
	}
}

// launch calls the refresher for f, unless f was aborted before it started.
func (c *Credential) launch(f *flight) {
	ctx, ok := c.begin(f)
	if !ok {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			c.complete(f, AccessToken{}, panicked(p))
		}
	}()
	c.async(ctx, func(tok AccessToken, err error) { c.complete(f, tok, err) })
}

// begin counts the refresher call of f and makes its context, which
// applyLocked cancels once f is finished.
func (c *Credential) begin(f *flight) (context.Context, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.finished {
		return nil, false
	}
	c.counters.RefresherCalls++
	ctx, cancel := context.WithCancelCause(context.Background())
	f.cancel = cancel
	return ctx, true
}

// complete is a refresher's result for f, from whoever has it (the
// refresher's goroutine, an event loop, the attempt limit).
func (c *Credential) complete(f *flight, tok AccessToken, err error) {
	c.mu.Lock()
	now := c.clock.Now()
	c.completeLocked(f, tok, err, now)
	c.unlockAndApply(now)
}

// GoRefresher adapts a blocking Refresher to an AsyncRefresher: each call
// runs in a goroutine of its own, which ends when r returns (promptly once
// ctx is done, as a Refresher must), and a panic in r becomes the call's
// error. post, if set, hands the result over to where the credential should
// settle it: an event loop's Post (clock.Loop), so that nothing but the loop
// touches the credential's timers. With post nil the result is settled on
// that goroutine (New does this for Options.Refresher).
func GoRefresher(r Refresher, post func(func())) AsyncRefresher {
	return func(ctx context.Context, done func(AccessToken, error)) {
		go func() {
			tok, err := callRecovering(ctx, r)
			if post == nil {
				done(tok, err)
				return
			}
			post(func() { done(tok, err) })
		}()
	}
}

// callRecovering calls r, turning a panic into an error.
func callRecovering(ctx context.Context, r Refresher) (tok AccessToken, err error) {
	defer func() {
		if p := recover(); p != nil {
			tok, err = AccessToken{}, panicked(p)
		}
	}()
	return r(ctx)
}

// panicked is the error a refresher's panic becomes; an error value stays
// visible to errors.Is and errors.As.
func panicked(p any) error {
	if err, ok := p.(error); ok {
		return fmt.Errorf("it panicked: %w", err)
	}
	return fmt.Errorf("it panicked: %v", p)
}

// decide takes decision d at the clock's now and applies its intents: the
// shape of every entry point that has no argument but the time.
func (c *Credential) decide(d func(*Credential, time.Time)) {
	c.mu.Lock()
	now := c.clock.Now()
	d(c, now)
	c.unlockAndApply(now)
}

// onSchedTimer runs when the schedule timer fires.
func (c *Credential) onSchedTimer() { c.decide((*Credential).schedDueLocked) }

// onFreshTimer runs when the freshness timer fires.
func (c *Credential) onFreshTimer() { c.decide((*Credential).freshDueLocked) }

// onAttemptLimit runs when f's Policy.AttemptTimeout has passed.
func (c *Credential) onAttemptLimit(f *flight) {
	c.complete(f, AccessToken{}, &attemptTimeoutError{limit: c.policy.AttemptTimeout})
}

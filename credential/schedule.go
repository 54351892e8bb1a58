package credential

import (
	"time"

	"tokentop/internal/clock"
)

// scheduleLocked (re)schedules the proactive refresh from the current token:
// a refresh starts now if there is no valid token. Callers ensure the
// credential is proactive and not disposed (so not static).
func (c *Credential) scheduleLocked(now time.Time) {
	c.stopSchedLocked()
	if c.token.Token == "" || !now.Before(c.token.ExpiresOn) {
		if c.shared != nil {
			c.adoptLocked(c.shared)
		} else {
			reason := ReasonProactive
			if c.token.Token == "" {
				reason = ReasonInitial
			}
			c.startLocked(now, reason, true, 0)
		}
		return
	}
	at := c.policy.proactiveAt(c.token, now)
	c.armSchedLocked(schedProactive, at, now)
	c.queueLocked(Event{Kind: EventScheduled, At: now, Reason: ReasonProactive,
		ExpiresOn: c.token.ExpiresOn, NextAt: at})
}

// afterFailureLocked applies the policy after a failed refresh: retry with
// backoff (RetryOnFailure), or stop the proactive schedule if the failed
// refresh was the proactive one.
func (c *Credential) afterFailureLocked(f *flight, now time.Time) {
	switch {
	case c.disposed || !c.proactive:
	case c.policy.RetryOnFailure:
		c.scheduleRetryLocked(now)
	case f.background:
		c.stopSchedLocked()
	}
}

// continueAfterAbortLocked keeps the proactive schedule going after Abort
// from the current token; without a valid token it retries (RetryOnFailure)
// or stops, as after a failure, instead of restarting at once.
func (c *Credential) continueAfterAbortLocked(now time.Time) {
	switch {
	case c.token.Token != "" && now.Before(c.token.ExpiresOn):
		c.scheduleLocked(now)
	case c.policy.RetryOnFailure:
		c.scheduleRetryLocked(now)
	default:
		c.stopSchedLocked()
	}
}

func (c *Credential) scheduleRetryLocked(now time.Time) {
	n := max(c.failures, 1)
	var ttl time.Duration
	if c.token.Token != "" {
		ttl = c.token.ExpiresOn.Sub(now)
	}
	at := now.Add(c.policy.retryDelay(n, ttl, c.jitter()))
	if at.Before(c.holdUntil) { // never sooner than the issuer asked, or once a minute when it needs attention
		at = c.holdUntil
	}
	c.armSchedLocked(schedRetry, at, now)
	c.queueLocked(Event{Kind: EventRetryScheduled, At: now, Attempt: c.failures + 1, Reason: ReasonRetry,
		ExpiresOn: c.token.ExpiresOn, NextAt: at, Err: c.lastErr})
}

// armSchedLocked arms the schedule timer for at. Delays beyond the timer
// range are clamped; the callback re-arms if it fires before at.
func (c *Credential) armSchedLocked(kind schedKind, at, now time.Time) {
	c.stopSchedLocked()
	c.schedGen++
	gen := c.schedGen
	c.schedKind, c.nextAt = kind, at
	if c.rearm != nil {
		// One timer, re-armed in place: a late callback finds it due or
		// re-arms it (fireSchedLocked), so it needs no generation.
		c.schedTimer = c.rearm.Rearm(c.schedTimer, clampDelay(at.Sub(now)), c.schedFire)
		c.sched = c.schedTimer
		return
	}
	c.sched = c.clock.AfterFunc(clampDelay(at.Sub(now)), func() { c.onSchedTimer(gen) })
}

func (c *Credential) stopSchedLocked() {
	c.schedGen++
	if c.sched != nil {
		c.sched.Stop()
		c.sched = nil
	}
	c.schedKind, c.nextAt = schedNone, time.Time{}
}

func (c *Credential) onSchedTimer(gen uint64) {
	c.mu.Lock()
	if c.disposed || (gen != 0 && gen != c.schedGen) || c.schedKind == schedNone {
		c.mu.Unlock()
		return
	}
	c.fireSchedLocked(c.clock.Now())
	c.mu.Unlock()
	c.flush()
}

// fireSchedLocked starts the scheduled refresh if it is due, or re-arms.
func (c *Credential) fireSchedLocked(now time.Time) {
	if now.Before(c.nextAt) { // a clamped delay: never fire early
		c.armSchedLocked(c.schedKind, c.nextAt, now)
		return
	}
	reason := ReasonProactive
	if c.schedKind == schedRetry {
		reason = ReasonRetry
	}
	c.stopSchedLocked()
	if c.shared != nil {
		c.adoptLocked(c.shared) // the refresh in flight serves the schedule
		return
	}
	c.startLocked(now, reason, true, 0)
}

// freshMargin withdraws a token from the lock-free path a little before it
// enters the on-demand buffer, so that a timer callback that runs late (or
// at the same instant as a caller) never lets the fast path serve a token
// past the edge; meanwhile the slow path decides exactly, on the clock.
const freshMargin = 100 * time.Millisecond

// updateFreshLocked publishes the current token to the lock-free path while
// it is outside the on-demand buffer, and arms the timer that withdraws it.
// Callers ensure the credential is refreshing and not disposed (NewStatic and
// Dispose set c.fresh themselves).
func (c *Credential) updateFreshLocked(now time.Time) {
	c.stopFreshLocked()
	if c.token.Token == "" {
		c.fresh.Store(nil)
		return
	}
	until := c.token.ExpiresOn.Add(-c.policy.onDemandBuffer(c.proactive) - freshMargin)
	if !now.Before(until) {
		c.fresh.Store(nil)
		return
	}
	c.fresh.Store(&freshToken{tok: c.token, until: until})
	c.armFreshLocked(until, now)
}

// armFreshLocked arms the freshness timer for until, or sooner (c.recheck)
// so that a wall-clock jump is noticed.
//
// On the real clock, which re-checks every second, one *time.Timer is kept
// and Reset, so that the re-check costs no allocation. Its callback passes
// generation 0 and is idempotent: a stale run only checks once more. Timers of
// other clocks are replaced, and a superseded one is told apart by its
// generation.
func (c *Credential) armFreshLocked(until, now time.Time) {
	d := until.Sub(now)
	if c.recheck > 0 {
		d = min(d, c.recheck)
	}
	d = clampDelay(d)
	if t, ok := c.freshTimer.(*time.Timer); ok {
		t.Reset(d)
		return
	}
	if _, real := c.clock.(clock.Real); real {
		c.freshTimer = time.AfterFunc(d, func() { c.onFreshTimer(0) })
		return
	}
	if c.rearm != nil {
		c.freshTimer = c.rearm.Rearm(c.freshTimer, d, c.freshFire)
		return
	}
	c.freshGen++
	gen := c.freshGen
	c.freshTimer = c.clock.AfterFunc(d, func() { c.onFreshTimer(gen) })
}

func (c *Credential) stopFreshLocked() {
	c.freshGen++
	if c.freshTimer == nil {
		return
	}
	c.freshTimer.Stop()
	if !c.freshReusable() {
		c.freshTimer = nil
	}
}

func (c *Credential) onFreshTimer(gen uint64) {
	c.mu.Lock()
	c.onFreshTimerLocked(gen)
	c.mu.Unlock()
	c.flush()
}

func (c *Credential) onFreshTimerLocked(gen uint64) {
	if c.disposed || (gen != 0 && gen != c.freshGen) {
		return
	}
	if !c.freshReusable() {
		c.freshTimer = nil
	}
	f := c.fresh.Load()
	if f == nil {
		return
	}
	now := c.clock.Now()
	if !now.Before(f.until) {
		c.fresh.Store(nil)
	} else {
		c.armFreshLocked(f.until, now)
	}
	// After a wall-clock jump the schedule timer, on the monotonic clock, is
	// late: start the refresh that is due now.
	if c.schedKind != schedNone && !now.Before(c.nextAt) {
		c.fireSchedLocked(now)
	}
}

// clampDelay keeps a timer delay within range; the callback re-arms if the
// clamped timer fires before its deadline.
func clampDelay(d time.Duration) time.Duration {
	return min(max(d, 0), clock.MaxTimerDelay)
}

// noteFailureLocked applies a failed refresh's error to the hold-off: the
// issuer's Retry-After (Policy.HonourRetryAfter) and, after
// Policy.AttentionAfter permanent failures in a row, the attention delay.
func (c *Credential) noteFailureLocked(err error, now time.Time) {
	if isPermanent(err) {
		c.permanent++
	} else {
		c.permanent = 0
	}
	c.holdUntil = time.Time{}
	if c.policy.HonourRetryAfter {
		if ra := retryAfter(err); ra > 0 {
			c.holdUntil = now.Add(min(ra, maxHold))
		}
	}
	if c.attentionLocked() {
		if at := now.Add(c.policy.AttentionRetryDelay); at.After(c.holdUntil) {
			c.holdUntil = at
		}
	}
}

// maxHold bounds a Retry-After, so that a hostile or broken issuer cannot
// park a credential for good.
const maxHold = time.Hour

// attentionLocked reports that the issuer has failed permanently often
// enough in a row that the credential needs someone to act.
func (c *Credential) attentionLocked() bool {
	return c.policy.AttentionAfter > 0 && c.permanent >= c.policy.AttentionAfter
}

// freshReusable reports a freshness timer that is kept and re-armed rather
// than replaced: the real clock's *time.Timer, or any timer of a Rearmer.
func (c *Credential) freshReusable() bool {
	_, timer := c.freshTimer.(*time.Timer)
	return timer || c.rearm != nil
}

package credential

import "time"

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
	c.armSchedLocked(schedProactive, at)
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
	c.armSchedLocked(schedRetry, at)
	c.queueLocked(Event{Kind: EventRetryScheduled, At: now, Attempt: c.failures + 1, Reason: ReasonRetry,
		ExpiresOn: c.token.ExpiresOn, NextAt: at, Err: c.lastErr})
}

// armSchedLocked decides the schedule: kind falls due at at.
func (c *Credential) armSchedLocked(kind schedKind, at time.Time) {
	c.schedKind, c.nextAt = kind, at
	c.armLocked(&c.schedT, at)
}

func (c *Credential) stopSchedLocked() {
	if c.schedKind != schedNone {
		c.armLocked(&c.schedT, time.Time{})
	}
	c.schedKind, c.nextAt = schedNone, time.Time{}
}

// schedDueLocked decides on the schedule timer firing at now: the scheduled
// refresh starts if it is due, else (a clamped delay, a stale fire) the
// timer is armed again; it never fires early.
func (c *Credential) schedDueLocked(now time.Time) {
	if c.disposed || c.schedKind == schedNone {
		return
	}
	if now.Before(c.nextAt) {
		c.armLocked(&c.schedT, c.nextAt)
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
// it is outside the on-demand buffer, with the timer that withdraws it.
// Callers ensure the credential is refreshing and not disposed (NewStatic and
// Dispose set c.fresh themselves).
func (c *Credential) updateFreshLocked(now time.Time) {
	var until time.Time
	if c.token.Token != "" {
		until = c.token.ExpiresOn.Add(-c.policy.onDemandBuffer(c.proactive) - freshMargin)
	}
	if until.IsZero() || !now.Before(until) {
		c.withdrawFreshLocked()
		return
	}
	c.fresh.Store(&freshToken{tok: c.token, until: until})
	c.armLocked(&c.freshT, until)
}

// withdrawFreshLocked takes the token off the lock-free path and stops the
// timer that would have (it is armed while a token is published).
func (c *Credential) withdrawFreshLocked() {
	if c.fresh.Swap(nil) != nil {
		c.armLocked(&c.freshT, time.Time{})
	}
}

// freshDueLocked decides on the freshness timer firing at now (when the
// token is due to leave the lock-free path, or a re-check of a clock that
// can jump).
func (c *Credential) freshDueLocked(now time.Time) {
	f := c.fresh.Load()
	if c.disposed || f == nil {
		return
	}
	if !now.Before(f.until) {
		c.fresh.Store(nil)
	} else {
		c.armLocked(&c.freshT, f.until)
	}
	// After a wall-clock jump the schedule timer, on the monotonic clock, is
	// late: start the refresh that is due now.
	if c.schedKind != schedNone && !now.Before(c.nextAt) {
		c.schedDueLocked(now)
	}
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

package credential

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"
)

// flight is one call of the refresher and the callers waiting on it.
type flight struct {
	cancel     context.CancelCauseFunc // set once the refresher is called (begin)
	seq        uint64                  // start order, so that aborts are reported in a defined order
	reason     Reason
	attempt    int
	background bool // started (or adopted) by the schedule: not aborted when its waiters leave
	waiters    int  // callers waiting on it
	finished   bool
	start      time.Time // when it was started, on the credential's clock
	limited    bool      // limit is armed (Policy.AttemptTimeout, a background refresh)
	limit      timerSlot
	wakes      []func() // its waiters, completed (via c.fx.wakes) once it finishes
	tok        AccessToken
	err        error
}

// GetTokenAsync is GetToken for an event loop: it never blocks. done gets
// the result exactly once: before GetTokenAsync returns when no wait is
// needed, otherwise from whoever settles the refresh (on a clock.Loop, the
// loop). The caller gives up with cancel(err): done then gets err at once,
// as a GetToken caller whose context ends gets ctx.Err(), or the refresh's
// result if the refresh has just finished. cancel after done does nothing.
func (c *Credential) GetTokenAsync(done func(AccessToken, error)) (cancel func(error)) {
	if f := c.fresh.Load(); f != nil {
		done(f.tok, nil)
		return func(error) {}
	}
	return c.acquire(false, nil, done)
}

// RefreshAsync is Refresh for an event loop, as GetTokenAsync is GetToken.
func (c *Credential) RefreshAsync(done func(AccessToken, error)) (cancel func(error)) {
	return c.acquire(true, nil, done)
}

// call is one GetToken or Refresh call, blocking or not; guarded by c.mu.
type call struct {
	c       *Credential
	forced  bool
	gaveUp  func() error // the caller's own reason to stop (its context), or nil
	counted bool
	done    func(AccessToken, error)
	f       *flight // the flight it waits on
	leader  bool    // it started f
	settled bool    // done was called, or is about to be
}

// acquire starts a call; the blocking GetToken and Refresh wait on it.
func (c *Credential) acquire(forced bool, gaveUp func() error, done func(AccessToken, error)) (cancel func(error)) {
	a := &call{c: c, forced: forced, gaveUp: gaveUp, done: done}
	a.join()
	return a.cancel
}

// join decides the call: it is answered at once, or waits on a flight.
func (a *call) join() {
	c := a.c
	c.mu.Lock()
	now := c.clock.Now()
	j := c.joinLocked(a.forced, !a.counted, a.gaveUp, now)
	a.counted = true
	if j.f != nil {
		a.f, a.leader = j.f, j.leader
		j.f.wakes = append(j.f.wakes, a.wake)
	} else {
		a.settled = true
	}
	c.unlockAndApply(now)
	if j.f == nil {
		a.done(j.tok, j.err)
	}
}

// wake runs once a.f has finished.
func (a *call) wake() {
	c := a.c
	c.mu.Lock()
	if a.settled {
		c.mu.Unlock()
		return
	}
	tok, err, again := c.resultFor(a.f, a.leader)
	a.settled = !again
	c.mu.Unlock()
	if again {
		a.join()
		return
	}
	a.done(tok, err)
}

// cancel gives the call up with err, unless it is settled.
func (a *call) cancel(err error) {
	c := a.c
	c.mu.Lock()
	if a.settled {
		c.mu.Unlock()
		return
	}
	a.settled = true
	now := c.clock.Now()
	var tok AccessToken
	switch {
	case a.f == nil:
	case !a.f.finished:
		c.leaveLocked(a.f, now)
	default: // finished, its waiters not woken yet: the result stands
		if t, e, again := c.resultFor(a.f, a.leader); !again {
			tok, err = t, e
		}
	}
	c.unlockAndApply(now)
	a.done(tok, err)
}

// joined is the decision on a call: answered at once (f == nil, with tok or
// err), or to wait on flight f, which it started if leader.
type joined struct {
	f      *flight
	leader bool
	tok    AccessToken
	err    error
}

// joinLocked decides a GetToken (forced=false) or Refresh call. first
// counts it; gaveUp, if set, is the caller's own reason to stop (its
// context), looked at before anything is started.
func (c *Credential) joinLocked(forced, first bool, gaveUp func() error, now time.Time) joined {
	if first {
		c.counters.WaitingCalls++
	}
	if c.disposed {
		return joined{err: ErrDisposed}
	}
	if c.static {
		if forced {
			return joined{err: ErrStatic}
		}
		return joined{tok: c.token}
	}
	if !forced {
		if t, ok := c.servableLocked(now); ok {
			return joined{tok: t}
		}
	}
	if gaveUp != nil {
		if err := gaveUp(); err != nil {
			return joined{err: err}
		}
	}
	if !forced && now.Before(c.holdUntil) && c.shared == nil {
		return joined{err: &holdError{until: c.holdUntil, attention: c.attentionLocked(), err: c.lastErr}}
	}
	f := c.shared
	if f == nil || !c.policy.Coalesce {
		reason := ReasonOnDemand
		switch {
		case forced:
			reason = ReasonForced
		case c.token.Token == "" && c.counters.RefresherCalls == 0:
			reason = ReasonInitial
		}
		return joined{f: c.startLocked(now, reason, false, 1), leader: true}
	}
	f.waiters++
	return joined{f: f}
}

// servableLocked returns the current token if a caller may have it without
// waiting: it is outside the on-demand buffer, or (ServeValidWhileRefreshing)
// still valid while a refresh is in flight.
func (c *Credential) servableLocked(now time.Time) (AccessToken, bool) {
	if c.token.Token == "" || !now.Before(c.token.ExpiresOn) {
		return AccessToken{}, false
	}
	if c.token.ExpiresOn.Sub(now) > c.policy.onDemandBuffer(c.proactive) {
		if c.fresh.Load() == nil {
			c.updateFreshLocked(now)
		}
		return c.token, true
	}
	if c.policy.ServeValidWhileRefreshing && len(c.flights) > 0 {
		return c.token, true
	}
	return AccessToken{}, false
}

// leaveLocked takes one waiter off the unfinished flight f: a caller gave up.
// A refresh that no caller waits on any more and the schedule does not rely
// on is aborted.
func (c *Credential) leaveLocked(f *flight, now time.Time) {
	f.waiters--
	if f.waiters == 0 && !f.background {
		c.abortLocked(f, now, errWaitersGaveUp)
	}
}

// resultFor is what a waiter on the finished flight f gets; again reports
// that it should join again instead (Policy.WaiterTakesOver).
func (c *Credential) resultFor(f *flight, leader bool) (tok AccessToken, err error, again bool) {
	switch {
	case f.err == nil:
		return f.tok, nil, false
	case errors.Is(f.err, ErrDisposed), errors.Is(f.err, ErrAborted):
		return AccessToken{}, f.err, false
	case c.policy.WaiterTakesOver && !leader:
		return AccessToken{}, nil, true
	}
	return AccessToken{}, f.err, false
}

// startLocked decides to start a refresh, with waiters callers waiting on
// it. Its EventStarted is queued here, so that it precedes any outcome.
func (c *Credential) startLocked(now time.Time, reason Reason, background bool, waiters int) *flight {
	c.started++
	f := &flight{seq: c.started, reason: reason, attempt: c.failures + 1, start: now, waiters: waiters}
	c.queueLocked(Event{Kind: EventStarted, At: now, Attempt: f.attempt, Reason: reason,
		ExpiresOn: c.token.ExpiresOn, Waiters: waiters})
	c.flights[f] = struct{}{}
	if c.policy.Coalesce {
		c.shared = f
	}
	if background {
		c.adoptLocked(f)
	}
	c.fx.starts = append(c.fx.starts, f)
	return f
}

// flightsInOrder returns the refreshes in flight, oldest first.
func (c *Credential) flightsInOrder() []*flight {
	fs := make([]*flight, 0, len(c.flights))
	for f := range c.flights {
		fs = append(fs, f)
	}
	slices.SortFunc(fs, func(a, b *flight) int { return cmp.Compare(a.seq, b.seq) })
	return fs
}

// adoptLocked makes f a background refresh, one the schedule relies on and no
// caller can cancel, and bounds it by Policy.AttemptTimeout from its start.
func (c *Credential) adoptLocked(f *flight) {
	f.background = true
	if c.policy.AttemptTimeout <= 0 || f.limited {
		return
	}
	f.limited = true
	f.limit.fire = func() { c.onAttemptLimit(f) }
	c.armLocked(&f.limit, f.start.Add(c.policy.AttemptTimeout))
}

// completeLocked decides on a refresher's result for f: it is recorded and
// wakes the flight's waiters, unless the flight was aborted meanwhile (the
// result is then discarded).
func (c *Credential) completeLocked(f *flight, tok AccessToken, err error, now time.Time) {
	if f.finished {
		return
	}
	latency := now.Sub(f.start)
	c.lastLatency = latency
	kind := EventFailed
	if err != nil {
		err = &refresherError{attempt: f.attempt, err: err}
	} else {
		var opaque bool
		tok, opaque, err = c.accept(tok, now)
		if opaque {
			c.queueLocked(Event{Kind: EventOpaqueToken, At: now, Attempt: f.attempt, Reason: f.reason, ExpiresOn: tok.ExpiresOn})
		}
		kind = EventRejected
	}
	c.finishLocked(f, tok, err)
	if err != nil {
		c.failures++
		c.noteFailureLocked(err, now)
		c.counters.Failures++
		if kind == EventRejected {
			c.counters.Rejections++
		}
		c.outcome, c.lastErr = outcomeFailed, err
		c.queueLocked(Event{Kind: kind, At: now, Attempt: f.attempt, Reason: f.reason,
			ExpiresOn: tok.ExpiresOn, Err: err, Latency: latency, Waiters: f.waiters, Token: tok})
		c.afterFailureLocked(f, now)
		return
	}
	c.token = tok
	c.failures, c.permanent, c.holdUntil = 0, 0, time.Time{}
	c.outcome, c.lastErr, c.lastSuccessAt = outcomeSucceeded, nil, now
	c.counters.Successes++
	c.updateFreshLocked(now)
	c.queueLocked(Event{Kind: EventSucceeded, At: now, Attempt: f.attempt, Reason: f.reason,
		ExpiresOn: tok.ExpiresOn, Latency: latency, Waiters: f.waiters, Token: tok})
	if c.proactive {
		c.scheduleLocked(now)
	}
}

// accept checks a token from the refresher and fills in its expiry. opaque
// reports a token given Policy.OpaqueTokenLifetime.
func (c *Credential) accept(tok AccessToken, now time.Time) (_ AccessToken, opaque bool, _ error) {
	if tok.Token == "" {
		return tok, false, &ParseError{Part: PartSegments, Reason: "the refresher returned an empty token"}
	}
	switch {
	case tok.Minted && !tok.ExpiresOn.IsZero():
		// Its maker vouches for its shape and expiry: reading it back
		// was a tenth of a sim run's CPU.
	case segments(tok.Token) == 3:
		// A JWT must parse even when the refresher gives the expiry (which
		// then wins over exp, and makes exp optional).
		parsed, err := parseJWT(tok.Token, tok.ExpiresOn.IsZero())
		if err != nil {
			return tok, false, err
		}
		if tok.ExpiresOn.IsZero() {
			tok.ExpiresOn = parsed.ExpiresOn
		}
	case tok.ExpiresOn.IsZero():
		tok.ExpiresOn = now.Add(c.policy.OpaqueTokenLifetime)
		opaque = true
	}
	if !now.Before(tok.ExpiresOn) {
		return tok, opaque, &ExpiredTokenError{ExpiresOn: tok.ExpiresOn, ReceivedAt: now}
	}
	return tok, opaque, nil
}

// finishLocked ends f with its result: its context is to be cancelled, its
// attempt limit stopped and its waiters completed (a waiter whose caller
// gives up meanwhile sees f.finished and gets the result).
func (c *Credential) finishLocked(f *flight, tok AccessToken, err error) {
	f.finished = true
	f.tok, f.err = tok, err
	if f.limited {
		c.armLocked(&f.limit, time.Time{})
	}
	delete(c.flights, f)
	if c.shared == f {
		c.shared = nil
	}
	c.fx.cancels = append(c.fx.cancels, f)
	c.fx.wakes = append(c.fx.wakes, f.wakes...)
	f.wakes = nil
}

// abortLocked ends f with err (wrapping ErrAborted, or ErrDisposed) and
// queues its event. The refresher's late result will be discarded.
func (c *Credential) abortLocked(f *flight, now time.Time, err error) {
	c.finishLocked(f, AccessToken{}, err)
	c.counters.Aborts++
	if !c.disposed {
		c.outcome, c.lastErr = outcomeAborted, err
	}
	c.queueLocked(Event{Kind: EventAborted, At: now, Attempt: f.attempt, Reason: f.reason,
		ExpiresOn: c.token.ExpiresOn, Err: err, Waiters: f.waiters})
}

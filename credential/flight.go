package credential

import (
	"context"
	"errors"
	"fmt"
	"time"

	"tokentop/internal/clock"
)

// flight is one call of the refresher and the callers waiting on it.
type flight struct {
	ctx        context.Context
	cancel     context.CancelCauseFunc
	done       chan struct{} // closed once tok and err are set
	reason     Reason
	attempt    int
	background bool // started (or adopted) by the schedule: not aborted when its waiters leave
	waiters    int  // callers waiting on it
	finished   bool
	start      time.Time   // when it was started, on the credential's clock
	limit      clock.Timer // Policy.AttemptTimeout, once it is a background refresh
	tok        AccessToken
	err        error
}

// acquire is the slow path of GetToken (forced=false) and Refresh (forced=true).
func (c *Credential) acquire(ctx context.Context, forced bool) (AccessToken, error) {
	counted := false
	for {
		c.mu.Lock()
		if !counted {
			c.counters.WaitingCalls++
			counted = true
		}
		if c.disposed {
			c.mu.Unlock()
			return AccessToken{}, ErrDisposed
		}
		if c.static {
			tok := c.token
			c.mu.Unlock()
			if forced {
				return AccessToken{}, ErrStatic
			}
			return tok, nil
		}
		now := c.clock.Now()
		if !forced {
			if tok, ok := c.servableLocked(now); ok {
				c.mu.Unlock()
				return tok, nil
			}
		}
		if err := ctx.Err(); err != nil {
			c.mu.Unlock()
			return AccessToken{}, err
		}
		f, leader := c.shared, false
		if f == nil || !c.policy.Coalesce {
			reason := ReasonOnDemand
			switch {
			case forced:
				reason = ReasonForced
			case c.token.Token == "" && c.counters.RefresherCalls == 0:
				reason = ReasonInitial
			}
			f, leader = c.startLocked(now, reason, false, 1), true
		} else {
			f.waiters++
		}
		c.mu.Unlock()
		c.deliver()

		tok, err, again := c.wait(ctx, f, leader)
		if !again {
			return tok, err
		}
	}
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

// wait waits for f or for ctx. again reports that the caller should look
// again: f failed, the policy lets a waiter take over, and this caller was
// not the one that started it.
func (c *Credential) wait(ctx context.Context, f *flight, leader bool) (tok AccessToken, err error, again bool) {
	select {
	case <-f.done:
	case <-ctx.Done():
		c.mu.Lock()
		if !f.finished {
			f.waiters--
			if f.waiters == 0 && !f.background {
				c.abortLocked(f, c.clock.Now(), errWaitersGaveUp)
			}
			c.mu.Unlock()
			c.deliver()
			return AccessToken{}, ctx.Err(), false
		}
		c.mu.Unlock()
	}
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

// startLocked starts a refresh, with waiters callers waiting on it, in its
// own goroutine, which ends when the refresher returns. Its EventStarted is
// queued here, so that it precedes any outcome of the refresh.
func (c *Credential) startLocked(now time.Time, reason Reason, background bool, waiters int) *flight {
	ctx, cancel := context.WithCancelCause(context.Background())
	f := &flight{ctx: ctx, cancel: cancel, done: make(chan struct{}), reason: reason,
		attempt: c.failures + 1, start: now, waiters: waiters}
	c.queueLocked(Event{Kind: EventStarted, At: now, Attempt: f.attempt, Reason: reason,
		ExpiresOn: c.token.ExpiresOn, Waiters: waiters})
	c.flights[f] = struct{}{}
	if c.policy.Coalesce {
		c.shared = f
	}
	if background {
		c.adoptLocked(f)
	}
	go c.run(f)
	return f
}

// adoptLocked makes f a background refresh, one the schedule relies on and no
// caller can cancel, and bounds it by Policy.AttemptTimeout from its start.
func (c *Credential) adoptLocked(f *flight) {
	f.background = true
	if c.policy.AttemptTimeout <= 0 || f.limit != nil {
		return
	}
	d := f.start.Add(c.policy.AttemptTimeout).Sub(c.clock.Now())
	f.limit = c.clock.AfterFunc(clampDelay(d), func() {
		c.complete(f, AccessToken{}, &attemptTimeoutError{limit: c.policy.AttemptTimeout})
	})
}

func (c *Credential) run(f *flight) {
	c.mu.Lock()
	if f.finished { // aborted before it started
		c.mu.Unlock()
		return
	}
	c.counters.RefresherCalls++
	c.mu.Unlock()

	tok, err := c.callRefresher(f.ctx)
	c.complete(f, tok, err)
}

// callRefresher calls the refresher, turning a panic into an error.
func (c *Credential) callRefresher(ctx context.Context) (tok AccessToken, err error) {
	defer func() {
		switch r := recover().(type) {
		case nil:
		case error:
			err = fmt.Errorf("it panicked: %w", r)
		default:
			err = fmt.Errorf("it panicked: %v", r)
		}
	}()
	return c.refresher(ctx)
}

// complete records a refresher's result and wakes the flight's waiters,
// unless the flight was aborted meanwhile (the result is then discarded).
func (c *Credential) complete(f *flight, tok AccessToken, err error) {
	c.mu.Lock()
	if f.finished {
		c.mu.Unlock()
		return
	}
	now := c.clock.Now()
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
		c.counters.Failures++
		if kind == EventRejected {
			c.counters.Rejections++
		}
		c.outcome, c.lastErr = outcomeFailed, err
		c.queueLocked(Event{Kind: kind, At: now, Attempt: f.attempt, Reason: f.reason,
			ExpiresOn: tok.ExpiresOn, Err: err, Latency: latency, Waiters: f.waiters})
		c.afterFailureLocked(f, now)
	} else {
		c.token = tok
		c.failures = 0
		c.outcome, c.lastErr, c.lastSuccessAt = outcomeSucceeded, nil, now
		c.counters.Successes++
		c.updateFreshLocked(now)
		c.queueLocked(Event{Kind: EventSucceeded, At: now, Attempt: f.attempt, Reason: f.reason,
			ExpiresOn: tok.ExpiresOn, Latency: latency, Waiters: f.waiters})
		if c.proactive {
			c.scheduleLocked(now)
		}
	}
	c.mu.Unlock()
	c.deliver()
	close(f.done) // after delivering, so a caller usually sees "succeeded" before its token
}

// accept checks a token from the refresher and fills in its expiry. opaque
// reports a token given Policy.OpaqueTokenLifetime.
func (c *Credential) accept(tok AccessToken, now time.Time) (_ AccessToken, opaque bool, _ error) {
	if tok.Token == "" {
		return tok, false, &ParseError{Part: PartSegments, Reason: "the refresher returned an empty token"}
	}
	switch {
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

// finishLocked ends f with its result; the caller closes f.done to wake its
// waiters (a waiter whose ctx ends meanwhile sees f.finished and the result).
func (c *Credential) finishLocked(f *flight, tok AccessToken, err error) {
	f.finished = true
	f.tok, f.err = tok, err
	if f.limit != nil {
		f.limit.Stop()
	}
	delete(c.flights, f)
	if c.shared == f {
		c.shared = nil
	}
	f.cancel(err)
}

// abortLocked ends f with err (wrapping ErrAborted, or ErrDisposed) and
// queues its event. The refresher's late result will be discarded.
func (c *Credential) abortLocked(f *flight, now time.Time, err error) {
	c.finishLocked(f, AccessToken{}, err)
	close(f.done)
	c.counters.Aborts++
	if !c.disposed {
		c.outcome, c.lastErr = outcomeAborted, err
	}
	c.queueLocked(Event{Kind: EventAborted, At: now, Attempt: f.attempt, Reason: f.reason,
		ExpiresOn: c.token.ExpiresOn, Err: err, Waiters: f.waiters})
}

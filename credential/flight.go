package credential

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"tokentop/internal/clock"
)

// flight is one call of the refresher and the callers waiting on it.
type flight struct {
	ctx        context.Context
	cancel     context.CancelCauseFunc
	done       chan struct{} // closed once tok and err are set
	seq        uint64        // start order, so that aborts are reported in a defined order
	reason     Reason
	attempt    int
	background bool // started (or adopted) by the schedule: not aborted when its waiters leave
	waiters    int  // callers waiting on it
	finished   bool
	start      time.Time   // when it was started, on the credential's clock
	limit      clock.Timer // Policy.AttemptTimeout, once it is a background refresh
	wakes      []func()    // async waiters, woken (via c.notify) once it finishes
	tok        AccessToken
	err        error
}

// acquire is the slow path of GetToken (forced=false) and Refresh (forced=true).
func (c *Credential) acquire(ctx context.Context, forced bool) (AccessToken, error) {
	counted := false
	for {
		c.mu.Lock()
		var tok AccessToken
		var err error
		f, leader := c.joinLocked(forced, &counted, ctx.Err, &tok, &err)
		c.mu.Unlock()
		c.flush()
		if f == nil {
			return tok, err
		}
		tok, err, again := c.wait(ctx, f, leader)
		if !again {
			return tok, err
		}
	}
}

// joinLocked decides a GetToken or Refresh call: it is answered at once
// (f == nil, with *tok or *err set), or it waits on flight f, which it
// started if leader. gaveUp reports the caller's own reason to stop (its
// context) before anything is started; nil means none.
func (c *Credential) joinLocked(forced bool, counted *bool, gaveUp func() error, tok *AccessToken, err *error) (f *flight, leader bool) {
	if !*counted {
		c.counters.WaitingCalls++
		*counted = true
	}
	if c.disposed {
		*err = ErrDisposed
		return nil, false
	}
	if c.static {
		if forced {
			*err = ErrStatic
		} else {
			*tok = c.token
		}
		return nil, false
	}
	now := c.clock.Now()
	if !forced {
		if t, ok := c.servableLocked(now); ok {
			*tok = t
			return nil, false
		}
	}
	if gaveUp != nil {
		if e := gaveUp(); e != nil {
			*err = e
			return nil, false
		}
	}
	if !forced && now.Before(c.holdUntil) && c.shared == nil {
		*err = &holdError{until: c.holdUntil, attention: c.attentionLocked(), err: c.lastErr}
		return nil, false
	}
	f = c.shared
	if f == nil || !c.policy.Coalesce {
		reason := ReasonOnDemand
		switch {
		case forced:
			reason = ReasonForced
		case c.token.Token == "" && c.counters.RefresherCalls == 0:
			reason = ReasonInitial
		}
		return c.startLocked(now, reason, false, 1), true
	}
	f.waiters++
	return f, false
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
			c.leaveLocked(f)
			c.mu.Unlock()
			c.flush()
			return AccessToken{}, ctx.Err(), false
		}
		c.mu.Unlock()
	}
	return c.resultFor(f, leader)
}

// leaveLocked takes one waiter off the unfinished flight f: a caller gave up.
// A refresh that no caller waits on any more and the schedule does not rely
// on is aborted.
func (c *Credential) leaveLocked(f *flight) {
	f.waiters--
	if f.waiters == 0 && !f.background {
		c.abortLocked(f, c.clock.Now(), errWaitersGaveUp)
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

// GetTokenAsync is GetToken for an event loop: it never blocks. done gets
// the result exactly once: before GetTokenAsync returns when no wait is
// needed, otherwise from whoever settles the refresh (on a clock.Loop, the
// loop). The caller gives up with cancel(err): done then gets err at once,
// as a GetToken caller whose context ends gets ctx.Err(). cancel after done
// does nothing.
func (c *Credential) GetTokenAsync(done func(AccessToken, error)) (cancel func(error)) {
	if f := c.fresh.Load(); f != nil {
		done(f.tok, nil)
		return func(error) {}
	}
	return c.acquireAsync(false, done)
}

// RefreshAsync is Refresh for an event loop, as GetTokenAsync is GetToken.
func (c *Credential) RefreshAsync(done func(AccessToken, error)) (cancel func(error)) {
	return c.acquireAsync(true, done)
}

// asyncCall is one GetTokenAsync or RefreshAsync call; guarded by c.mu.
type asyncCall struct {
	c       *Credential
	forced  bool
	counted bool
	done    func(AccessToken, error)
	f       *flight // the flight it waits on
	settled bool    // done was called, or is about to be
}

func (c *Credential) acquireAsync(forced bool, done func(AccessToken, error)) (cancel func(error)) {
	a := &asyncCall{c: c, forced: forced, done: done}
	a.join()
	return a.cancel
}

// join decides the call, as one pass of acquire's loop does.
func (a *asyncCall) join() {
	c := a.c
	c.mu.Lock()
	var tok AccessToken
	var err error
	f, leader := c.joinLocked(a.forced, &a.counted, nil, &tok, &err)
	if f == nil {
		a.settled = true
		c.mu.Unlock()
		c.flush()
		a.done(tok, err)
		return
	}
	a.f = f
	f.wakes = append(f.wakes, func() { a.wake(leader) })
	c.mu.Unlock()
	c.flush()
}

// wake runs once a.f has finished.
func (a *asyncCall) wake(leader bool) {
	c := a.c
	c.mu.Lock()
	if a.settled {
		c.mu.Unlock()
		return
	}
	tok, err, again := c.resultFor(a.f, leader)
	a.settled = !again
	c.mu.Unlock()
	if again {
		a.join()
		return
	}
	a.done(tok, err)
}

func (a *asyncCall) cancel(err error) {
	c := a.c
	c.mu.Lock()
	if a.settled {
		c.mu.Unlock()
		return
	}
	a.settled = true
	if a.f != nil && !a.f.finished {
		c.leaveLocked(a.f)
	}
	c.mu.Unlock()
	c.flush()
	a.done(AccessToken{}, err)
}

// startLocked starts a refresh, with waiters callers waiting on it, in its
// own goroutine, which ends when the refresher returns. Its EventStarted is
// queued here, so that it precedes any outcome of the refresh.
func (c *Credential) startLocked(now time.Time, reason Reason, background bool, waiters int) *flight {
	ctx, cancel := context.WithCancelCause(context.Background())
	c.started++
	f := &flight{ctx: ctx, cancel: cancel, done: make(chan struct{}), seq: c.started, reason: reason,
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
	if c.async != nil {
		c.launches = append(c.launches, f) // by flush, outside c.mu
	} else {
		go c.run(f)
	}
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
	if c.policy.AttemptTimeout <= 0 || f.limit != nil {
		return
	}
	d := f.start.Add(c.policy.AttemptTimeout).Sub(c.clock.Now())
	f.limit = c.clock.AfterFunc(clampDelay(d), func() {
		c.complete(f, AccessToken{}, &attemptTimeoutError{limit: c.policy.AttemptTimeout})
	})
}

func (c *Credential) run(f *flight) {
	if !c.begin(f) {
		return
	}
	tok, err := c.callRefresher(f.ctx)
	c.complete(f, tok, err)
}

// launch starts an async refresh; flush calls it outside c.mu.
func (c *Credential) launch(f *flight) {
	if !c.begin(f) {
		return
	}
	defer func() { // as callRefresher does for a Refresher
		if r := recover(); r != nil {
			c.complete(f, AccessToken{}, fmt.Errorf("it panicked: %v", r))
		}
	}()
	c.async(f.ctx, func(tok AccessToken, err error) { c.complete(f, tok, err) })
}

// begin counts the refresher call of f, unless f was aborted before it started.
func (c *Credential) begin(f *flight) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.finished {
		return false
	}
	c.counters.RefresherCalls++
	return true
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
		c.noteFailureLocked(err, now)
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
		c.failures, c.permanent, c.holdUntil = 0, 0, time.Time{}
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
	c.flush()
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
	c.notify = append(c.notify, f.wakes...)
	f.wakes = nil
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

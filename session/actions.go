package session

import (
	"context"
	"fmt"
	"slices"

	"tokentop/credential"
	"tokentop/issuer"
	"tokentop/scenario"
)

// Refresh asks session name to refresh now. The refresh runs in the
// background; its outcome arrives as events. Its wait is bounded by
// Options.CallTimeout, like a caller's.
func (m *Manager) Refresh(name string) error {
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	s.emit(Event{Kind: KindRefreshAsked})
	if waiting, _ := s.awaitingToken(); waiting {
		return m.do(func() {
			s.issueStatic(func(error) {})
		})
	}
	limit := &timeoutError{what: "the refresh did not finish", limit: m.opts.CallTimeout, knob: "CallTimeout"}
	report := func(_ credential.AccessToken, err error) {
		if err != nil && !s.credentialReports(err) {
			s.emit(Event{Kind: KindActionFailed, Message: "refresh", Err: err})
		}
	}
	return m.do(func() { m.waitAsync(limit, s.cred().RefreshAsync, report) })
}

// Abort cancels session name's refresh in flight, if any.
func (m *Manager) Abort(name string) error {
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	s.emit(Event{Kind: KindAbortAsked})
	return m.do(s.cred().Abort)
}

// Dispose disposes session name's credential: no refresh happens any more and
// its callers get errors. Its simulated callers with resource checks keep
// presenting the last token they got, to show what a client still holding it
// sees; the others stop.
func (m *Manager) Dispose(name string) error {
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	s.emit(Event{Kind: KindDisposeAsked})
	return m.do(s.dispose)
}

// SignOut signs identity out everywhere: it disposes every session of that
// identity at once and, if the issuer is an issuer.Revoker, revokes the
// identity's tokens in the background so that calls still carrying them are
// refused. It reports an error if no session has that identity.
func (m *Manager) SignOut(identity string) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	var targets []*Session
	for _, s := range m.order {
		if s.spec.Identity == identity {
			targets = append(targets, s)
		}
	}
	m.mu.Unlock()
	if len(targets) == 0 {
		return fmt.Errorf("sign out: no session has identity %q", identity)
	}
	return m.do(func() { m.signOut(identity, targets) })
}

func (m *Manager) signOut(identity string, targets []*Session) {
	for _, s := range targets {
		s.emit(Event{Kind: KindSignedOut, Message: "identity " + identity})
		s.dispose()
	}
	// A signed-out identity's cached tokens are revoked, or should be
	// treated so: no later run resumes them.
	if err := m.cache.Evict(m.opts.Issuer.Name(), identity); err != nil {
		m.emit(KindActionFailed, "sign out "+identity+": remove its tokens from the token cache", err)
	}
	// The revocation's outcome goes to every signed-out session's log, so
	// that the session shown says whether its old tokens still work; a
	// failure is issuer-wide news too (Manager.Events).
	rev, ok := m.opts.Issuer.(revoker)
	if !ok {
		for _, s := range targets {
			s.emit(Event{Kind: KindRevokeFailed, Message: fmt.Sprintf("identity %s: the issuer %s cannot revoke; old tokens stay valid until they expire", identity, m.opts.Issuer.Name())})
		}
		return
	}
	revoked := func(err error) {
		for _, s := range targets {
			if err != nil {
				s.emit(Event{Kind: KindRevokeFailed, Message: "identity " + identity + "; old tokens stay valid until they expire", Err: err})
			} else {
				s.emit(Event{Kind: KindRevoked, Message: "identity " + identity})
			}
		}
	}
	if m.inline { // an in-process issuer's Revoke never waits
		revoked(rev.Revoke(m.ctx, identity))
		return
	}
	m.offLoop(func() {
		ctx, cancel := m.deadline(m.ctx, &timeoutError{what: "the issuer did not revoke", limit: m.opts.IssueTimeout, knob: "IssueTimeout"})
		defer cancel()
		err := rev.Revoke(ctx, identity)
		if te, ok := timedOut(ctx); ok && err != nil {
			err = te
		}
		m.loop.Post(func() { revoked(err) })
	})
}

type revoker interface {
	Revoke(ctx context.Context, identity string) error
}

// MaxCallsInFlight is the most burst calls in flight at once across a
// manager; further calls wait for one to return.
const MaxCallsInFlight = 10_000

// Burst starts n concurrent GetToken calls on session name (each followed by
// a resource check if the session does them), as n callers arriving at once
// would. A burst-done event reports the outcome. n is at most
// scenario.MaxBurst, and at most MaxCallsInFlight burst calls are in flight
// across the manager: further calls wait for a slot, so that many bursts at
// one instant cost bounded memory.
func (m *Manager) Burst(name string, n int) error {
	switch {
	case n < 1:
		return fmt.Errorf("burst: %d calls makes no sense; use 1 or more", n)
	case n > scenario.MaxBurst:
		return fmt.Errorf("burst: %d calls is over the limit of %d concurrent calls per burst; use fewer", n, scenario.MaxBurst)
	}
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	s.emit(Event{Kind: KindBurstStarted, Message: fmt.Sprintf("%d concurrent calls", n)})
	b := &burst{s: s, left: int64(n), n: n, start: m.clock.Now(), toStart: n}
	return m.do(func() {
		m.bursts.queue = append(m.bursts.queue, b)
		m.pumpBursts()
	})
}

// pumpBursts starts queued burst calls on the loop while slots are
// free. A call that returns at once frees its slot at once.
func (m *Manager) pumpBursts() {
	q := &m.bursts
	if q.pumping {
		return
	}
	q.pumping = true
	defer func() { q.pumping = false }()
	for len(q.queue) > 0 && q.inFlight < MaxCallsInFlight {
		if m.isClosed() { // Close released the calls in flight: start no more
			clear(q.queue)
			q.queue = nil
			return
		}
		b := q.queue[0]
		if b.toStart == 0 {
			q.queue[0] = nil
			q.queue = q.queue[1:]
			continue
		}
		b.toStart--
		q.inFlight++
		b.call(func() {
			q.inFlight--
			m.pumpBursts()
		})
	}
}

// InjectFault injects f at the issuer.
func (m *Manager) InjectFault(f issuer.Fault) error {
	if m.opts.Faults == nil {
		return fmt.Errorf("inject fault: the issuer %s takes no injected faults (only the fake issuer does)", m.opts.Issuer.Name())
	}
	if !slices.Contains(issuer.FaultKinds(), f.Kind) {
		return fmt.Errorf("inject fault: %q is not a fault; use one of %v", f.Kind, issuer.FaultKinds())
	}
	// Fault.String is a verb phrase ("fail with 503 for the next call").
	if err := m.opts.Faults.InjectFault(f); err != nil {
		m.emit(KindActionFailed, "inject fault: "+f.String(), err)
		return fmt.Errorf("inject fault %q: %w", f, err)
	}
	m.emit(KindFault, "the issuer will "+f.String(), nil)
	return nil
}

// ClearFaults clears every fault at the issuer.
func (m *Manager) ClearFaults() error {
	if m.opts.Faults == nil {
		return fmt.Errorf("clear faults: the issuer %s takes no injected faults", m.opts.Issuer.Name())
	}
	m.opts.Faults.ClearFaults()
	m.emit(KindFaultsCleared, "", nil)
	return nil
}

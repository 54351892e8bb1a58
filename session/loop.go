package session

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"tokentop/credential"
	"tokentop/internal/clock"
	"tokentop/issuer"
)

// Every manager runs on a *clock.Loop: everything it simulates runs on the
// loop's one goroutine, one callback at a time: credential timers, callers,
// issuer results, timeline steps and actions. Nothing blocks there:
// credentials take an AsyncRefresher and callers use GetTokenAsync. An
// in-process issuer (the fake) is called on the loop and costs no virtual
// time, its latency being played as a timer, so a sim run is exact: the same
// scenario and seed give the same events in the same order, whatever the
// machine's speed. Any other issuer (HTTP, OAuth2, exec, ACS) is called in a
// goroutine under Options.IssueTimeout that posts its result back to the
// loop, which then follows the wall clock (clock.NewWall).

// managerLoop returns the loop opts asks for: Options.Clock when it is one
// (the caller runs it), or a new loop that follows the wall clock
// (clock.NewWall) that the manager runs itself (own) when Clock is nil or
// clock.Real.
func managerLoop(opts Options) (loop *clock.Loop, own bool, err error) {
	switch c := opts.Clock.(type) {
	case *clock.Loop:
		return c, false, nil
	case nil, clock.Real:
		return clock.NewWall(), true, nil
	}
	return nil, false, fmt.Errorf("session: Options.Clock is a %T; use a *clock.Loop (sim or paced), or nil for the wall clock", opts.Clock)
}

// inlineIssuer reports whether every issuer call of opts can run on the
// loop: the issuer (and the Teams issuer, if any) can simulate its calls,
// returning its waiting as an issuer.Delay instead of doing it.
func inlineIssuer(opts Options) bool {
	if _, ok := opts.Issuer.(issuer.DelayReporter); !ok {
		return false
	}
	if opts.Teams != nil {
		if _, ok := opts.Teams.(SimulatedTeamsIssuer); !ok {
			return false
		}
	}
	return true
}

// issueCall is one issuer call of a session's refresher. On a manager whose
// issuer is in-process (Manager.inline) the call is simulated: it returns
// at once with the waiting it would have done, which Manager.async plays
// as virtual time. Otherwise it blocks, and its Delay is zero.
type issueCall func(ctx context.Context) (credential.AccessToken, issuer.Delay, error)

type errNeedsInProcessIssuer string

func (e errNeedsInProcessIssuer) Error() string {
	return "session: simulated time needs an in-process issuer that plays its latency as virtual time (the fake issuer); " +
		string(e) + " is not one: use paced time or the wall clock"
}

// async turns a session's refresher into one for the loop. An in-process
// issuer's call runs now, costing no virtual time, and its result arrives
// after its latency (Options.IssuerLatency plus injected latency) on the
// loop; a call that would take longer than Options.IssueTimeout, or hang,
// fails then with the same error as a real issuer's. Any other issuer's
// call runs in a goroutine (bounded by IssueTimeout in callIssuer) that
// posts its result to the loop.
func (m *Manager) async(call issueCall) credential.AsyncRefresher {
	if !m.inline {
		return func(ctx context.Context, done func(credential.AccessToken, error)) {
			m.offLoop(func() {
				tok, _, err := call(ctx)
				m.loop.Post(func() { done(tok, err) })
			})
		}
	}
	return func(ctx context.Context, done func(credential.AccessToken, error)) {
		tok, d, err := call(ctx)
		d.Add(m.opts.IssuerLatency)
		if limit := m.opts.IssueTimeout; d.Hang || d.Latency > limit {
			tok, err = credential.AccessToken{}, issueTimeout(limit)
			d.Latency = limit
		}
		m.clock.AfterFunc(d.Latency, func() { done(tok, err) })
	}
}

// offLoop runs f, which blocks on an issuer, in a goroutine that Close
// waits for; f must end once m.ctx or its own context ends. On a closed
// manager it does not run f.
func (m *Manager) offLoop(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.calls.Add(1)
	go func() {
		defer m.calls.Done()
		f()
	}()
}

// issueTimeout is the error of an issuer call that did not answer in time.
func issueTimeout(limit time.Duration) *timeoutError {
	return &timeoutError{what: "the issuer did not answer", limit: limit, knob: "IssueTimeout"}
}

// jitterFor returns the retry jitter source of one session: seeded from the
// manager's seed and the session's name, so that a session's retries do
// not depend on which other sessions exist or in what order they draw.
func (m *Manager) jitterFor(name string) func() float64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(m.opts.Seed, h.Sum64())).Float64
}

// waitAsync starts an asynchronous GetToken or Refresh (start) bounded by
// limit on the manager's clock; done gets the result, or limit's error if
// the time runs out first.
func (m *Manager) waitAsync(limit *timeoutError, start func(func(credential.AccessToken, error)) (cancel func(error)), done func(credential.AccessToken, error)) {
	var timer clock.Timer
	settled := false
	cancel := start(func(tok credential.AccessToken, err error) {
		settled = true
		if timer != nil {
			timer.Stop()
		}
		done(tok, err)
	})
	if !settled {
		timer = m.clock.AfterFunc(limit.limit, func() { cancel(limit) })
	}
}

// do carries out an action's effect on the loop (posted, so that it runs in
// order with everything else the loop does).
func (m *Manager) do(f func()) error {
	if m.isClosed() {
		return ErrClosed
	}
	m.loop.Post(func() {
		if !m.isClosed() {
			f()
		}
	})
	return nil
}

func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

package session

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"tokentop/credential"
	"tokentop/internal/clock"
	"tokentop/issuer"
)

// On a *clock.Loop (sim or paced time) everything a manager simulates runs
// on the loop's one goroutine, one callback at a time: credential timers,
// callers, issuer calls, timeline steps and actions. Nothing blocks there:
// credentials take an AsyncRefresher, callers use GetTokenAsync, and an
// issuer call costs its CPU time and no virtual time, its latency being
// played as a timer. A simulation is then exact: the same scenario and seed
// give the same events in the same order, whatever the machine's speed.

// checkLoopIssuer refuses an issuer that would block the event loop.
func checkLoopIssuer(opts Options) error {
	if _, ok := opts.Issuer.(issuer.DelayReporter); !ok {
		return errNeedsInProcessIssuer(opts.Issuer.Name())
	}
	if opts.Teams != nil {
		if _, ok := opts.Teams.(issuer.DelayReporter); !ok {
			return errNeedsInProcessIssuer("the Teams issuer")
		}
	}
	return nil
}

type errNeedsInProcessIssuer string

func (e errNeedsInProcessIssuer) Error() string {
	return "session: simulated and paced time need an in-process issuer that plays its latency as virtual time (the fake issuer); " +
		string(e) + " is not one: use the real clock"
}

// deferred turns a session's refresher into one for the event loop: the
// issuer call runs now, costing no virtual time, and its result arrives
// after its latency (Options.IssuerLatency plus injected latency) on the
// loop. A call that would take longer than Options.IssueTimeout, or hang,
// fails then with the same error as on the real clock.
func (m *Manager) deferred(call credential.Refresher) credential.AsyncRefresher {
	return func(ctx context.Context, done func(credential.AccessToken, error)) {
		var d issuer.Delay
		tok, err := call(issuer.WithDelay(ctx, &d))
		d.Add(m.opts.IssuerLatency)
		if limit := m.opts.IssueTimeout; d.Hang || d.Latency > limit {
			tok, err = credential.AccessToken{}, issueTimeout(limit)
			d.Latency = limit
		}
		m.clock.AfterFunc(d.Latency, func() { done(tok, err) })
	}
}

// issueTimeout is the error of an issuer call that did not answer in time.
func issueTimeout(limit time.Duration) *timeoutError {
	return &timeoutError{what: "the issuer did not answer", limit: limit, knob: "IssueTimeout"}
}

// onLoopCall runs an issuer call on the event loop's goroutine without
// blocking it: the issuer reports its waiting instead of doing it.
func onLoopCall(ctx context.Context) context.Context {
	return issuer.WithDelay(ctx, new(issuer.Delay))
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

// rearm arms t again for f after d: an event loop reuses the timer, which
// has run; another clock arms a new one.
func (m *Manager) rearm(t clock.Timer, d time.Duration, f func()) clock.Timer {
	if m.loop != nil {
		return m.loop.Rearm(t, d, f)
	}
	return m.clock.AfterFunc(d, f)
}

// do carries out an action's effect: on the event loop when there is one
// (posted, so that it runs in order with everything else the loop does),
// else in a goroutine that Close waits for.
func (m *Manager) do(f func()) error {
	if m.loop == nil {
		return m.goRun(f)
	}
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

package session

import (
	"context"
	"fmt"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
)

// Every time limit the manager sets runs on its clock (see deadline) and is
// raised on a fast time warp (see limit).

// timeoutError ends a context made by Manager.deadline: what did not finish
// within limit. It wraps context.DeadlineExceeded.
type timeoutError struct {
	what  string // "the issuer did not answer", "the refresh did not finish"
	limit time.Duration
	knob  string // the Options field that sets the limit
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("%s within %s (%s); check that the issuer is up, or raise the limit: %v",
		e.what, e.limit, e.setting(), context.DeadlineExceeded)
}

// setting names what sets the limit: the command-line flag where there is
// one (tokentop's --issuer-timeout, which is what a user can change), else
// the Options field.
func (e *timeoutError) setting() string {
	if e.knob == "IssueTimeout" {
		return "--issuer-timeout"
	}
	return "Options." + e.knob
}

func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// deadline returns a context that ends after d on the manager's clock (so a
// time-warped run times out in virtual time, which context.WithTimeout's real
// timer would not), or when parent ends. Its cause is then limit.
func (m *Manager) deadline(parent context.Context, limit *timeoutError) (context.Context, context.CancelFunc) {
	limit.limit = m.limit(limit.limit)
	ctx, cancel := context.WithCancelCause(parent)
	t := m.clock.AfterFunc(limit.limit, func() { cancel(limit) })
	return ctx, func() {
		t.Stop()
		cancel(nil)
	}
}

// getTokenLimit bounds one simulated caller's GetToken (and resource check).
func getTokenLimit(m *Manager) *timeoutError {
	return &timeoutError{what: "GetToken did not return", limit: m.opts.CallTimeout, knob: "CallTimeout"}
}

// timedOut returns ctx's timeout error if ctx, made by deadline, ran out of
// time (rather than its parent ending).
func timedOut(ctx context.Context) (*timeoutError, bool) {
	te, ok := context.Cause(ctx).(*timeoutError)
	return te, ok
}

// callIssuer makes one issuer call on behalf of a session's refresher,
// bounded by Options.IssueTimeout on the manager's clock. A proactive refresh
// has no caller waiting on it, so without this bound one call that never
// answers (a hung connection, the fake's hang fault) would leave the session
// refreshing past its token's expiry. When the limit runs out the error says
// so and wraps context.DeadlineExceeded, whatever the issuer returned.
//
// On an event loop the call reports its waiting instead (issuer.Delay) and
// Manager.deferred applies the limit to it, in virtual time.
func callIssuer[T any](m *Manager, ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	if issuer.DelayFrom(ctx) != nil {
		return call(ctx)
	}
	ctx, cancel := m.deadline(ctx, issueTimeout(m.opts.IssueTimeout))
	defer cancel()
	v, err := call(ctx)
	if err != nil {
		if te, ok := timedOut(ctx); ok {
			var zero T
			return zero, te
		}
	}
	return v, err
}

// minRealLimit is the least real time a time limit on the manager's clock
// allows. At 3600x, 30 virtual seconds are 8 real milliseconds: less than a
// garbage collection or a burst of thousands of refreshes takes, so a limit
// that short would fail calls that are merely queued, and their retries would
// load the issuer further. limit raises such a limit to this much real time.
const minRealLimit = 100 * time.Millisecond

// limit returns d, or more on a fast time warp: at least minRealLimit of real
// time at the clock's current speed (a clock.Scaled reports it). Zero (no
// limit) stays zero.
//
// An event loop never needs the floor: its virtual time does not pass while
// its work runs.
func (m *Manager) limit(d time.Duration) time.Duration {
	s, ok := m.clock.(*clock.Scaled)
	if !ok || d <= 0 {
		return d
	}
	return max(d, time.Duration(s.Speed()*float64(minRealLimit)))
}

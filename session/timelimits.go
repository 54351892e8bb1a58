package session

import (
	"context"
	"fmt"
	"time"
)

// The time limits of in-process issuer calls and of waits run on the
// manager's loop (Manager.async, Manager.waitAsync); those of blocking
// issuer calls run in real time, which the loop then follows at 1x (see
// deadline).

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
// one (tokentop's --issuer-timeout), and the Options field.
func (e *timeoutError) setting() string {
	if e.knob == "IssueTimeout" {
		return "--issuer-timeout, Options.IssueTimeout"
	}
	return "Options." + e.knob
}

func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// deadline returns a context for a blocking issuer call, made off the loop:
// it ends after limit in real time (which the loop follows at 1x when the
// issuer blocks), or when parent ends. Its cause is then limit.
func (m *Manager) deadline(parent context.Context, limit *timeoutError) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(parent, limit.limit, limit)
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
// An in-process issuer reports its waiting instead (issuer.Delay) and
// Manager.async applies the limit to it, in virtual time.
func callIssuer[T any](m *Manager, ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	if m.inline {
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

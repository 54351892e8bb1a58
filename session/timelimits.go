package session

import (
	"context"
	"fmt"
	"time"

	"tokentop/credential"
	"tokentop/issuer"
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
// one (tokentop's --issuer-timeout, which is what a user can change), else
// the Options field.
func (e *timeoutError) setting() string {
	if e.knob == "IssueTimeout" {
		return "--issuer-timeout"
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

// callIssuer makes one issuer call on behalf of a session's refresher. On a
// manager whose issuers are in-process (Manager.inline) it is simulated: it
// returns at once with the waiting it would have done, and Manager.async
// plays that out in virtual time, up to Options.IssueTimeout. Otherwise the
// blocking call is bounded by IssueTimeout in real time: a proactive refresh
// has no caller waiting on it, so without this bound one call that never
// answers (a hung connection) would leave the session refreshing past its
// token's expiry. When the limit runs out the error says so and wraps
// context.DeadlineExceeded, whatever the issuer returned.
func callIssuer(m *Manager, ctx context.Context,
	simulated func(context.Context) (credential.AccessToken, issuer.Delay, error),
	blocking func(context.Context) (credential.AccessToken, error)) (credential.AccessToken, issuer.Delay, error) {
	if m.inline {
		return simulated(ctx)
	}
	ctx, cancel := m.deadline(ctx, issueTimeout(m.opts.IssueTimeout))
	defer cancel()
	tok, err := blocking(ctx)
	if err != nil {
		if te, ok := timedOut(ctx); ok {
			return credential.AccessToken{}, issuer.Delay{}, te
		}
	}
	return tok, issuer.Delay{}, err
}

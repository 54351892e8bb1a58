package credential

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrDisposed is returned by GetToken and Refresh after (or during) Dispose.
var ErrDisposed = errors.New("credential: the credential has been disposed; create a new one to get tokens again")

// ErrExpiredToken is wrapped by the *ExpiredTokenError a refresh fails with
// when the refresher returns a token that has already expired. Such a token
// never replaces the current one.
var ErrExpiredToken = errors.New("credential: the refresher returned an expired token")

// ErrAborted is wrapped by the error that callers waiting on a refresh get
// when that refresh is aborted: by Abort, or because every waiting caller gave
// up. The current token is left untouched.
var ErrAborted = errors.New("credential: the refresh was aborted")

// ErrStatic is returned by Refresh on a static credential, which never refreshes.
var ErrStatic = errors.New("credential: a static credential cannot refresh; give it a Refresher to make it refreshable")

// ExpiredTokenError reports a token that the refresher returned already
// expired. It wraps ErrExpiredToken.
type ExpiredTokenError struct {
	// ExpiresOn is the returned token's expiry.
	ExpiresOn time.Time
	// ReceivedAt is when the credential received it.
	ReceivedAt time.Time
}

// Error says when the token expired and what to check.
func (e *ExpiredTokenError) Error() string {
	return fmt.Sprintf("%v: it expired at %s, %s before it was received; check the issuer's clock and the token lifetime it grants",
		ErrExpiredToken, e.ExpiresOn.UTC().Format(time.RFC3339), e.ReceivedAt.Sub(e.ExpiresOn).Round(time.Millisecond))
}

// Unwrap returns ErrExpiredToken.
func (e *ExpiredTokenError) Unwrap() error { return ErrExpiredToken }

// abortError is what waiters of an aborted refresh get: ErrAborted and why.
type abortError struct{ why string }

func (e *abortError) Error() string { return ErrAborted.Error() + ": " + e.why }
func (e *abortError) Unwrap() error { return ErrAborted }

var (
	errAbortCalled   = &abortError{why: "Abort was called"}
	errWaitersGaveUp = &abortError{why: "every caller waiting on it gave up"}
)

// attemptTimeoutError fails a background refresh that outlived
// Policy.AttemptTimeout. It wraps context.DeadlineExceeded.
type attemptTimeoutError struct{ limit time.Duration }

func (e *attemptTimeoutError) Error() string {
	return fmt.Sprintf("the refresher did not answer within %v (Policy.AttemptTimeout), so the attempt was cancelled: %v",
		e.limit, context.DeadlineExceeded)
}
func (e *attemptTimeoutError) Unwrap() error { return context.DeadlineExceeded }

// refresherError wraps an error returned by the Refresher.
type refresherError struct {
	attempt int
	err     error
}

func (e *refresherError) Error() string {
	return fmt.Sprintf("credential: the refresher failed (attempt %d): %v", e.attempt, e.err)
}
func (e *refresherError) Unwrap() error { return e.err }

// RetryAfterError is implemented by a refresher error that says how long to
// wait before asking again (an HTTP 429 or 503 with Retry-After). Policies
// with HonourRetryAfter wait at least that long.
type RetryAfterError interface {
	error
	RetryDelay() time.Duration
}

// PermanentError is implemented by a refresher error that asking again will
// not fix until someone acts (an HTTP 400, 401, 403 or 404: a bad request, a
// wrong secret, a missing permission).
type PermanentError interface {
	error
	Permanent() bool
}

// retryAfter returns the wait err asks for, or zero.
func retryAfter(err error) time.Duration {
	var ra RetryAfterError
	if errors.As(err, &ra) {
		return max(ra.RetryDelay(), 0)
	}
	return 0
}

// isPermanent reports a failure that retrying will not fix: a PermanentError,
// or a token rejected as expired on arrival or malformed.
func isPermanent(err error) bool {
	var pe PermanentError
	if errors.As(err, &pe) && pe.Permanent() {
		return true
	}
	var pa *ParseError
	return errors.Is(err, ErrExpiredToken) || errors.As(err, &pa)
}

// holdError is what a caller gets while the credential holds off the issuer:
// it asked to wait (Retry-After) or it needs attention. It wraps the last
// failure.
type holdError struct {
	until     time.Time
	attention bool
	err       error
}

func (e *holdError) Error() string {
	why := "the issuer asked to wait"
	if e.attention {
		why = "the issuer needs attention"
	}
	return fmt.Sprintf("credential: %s; not asking again before %s: %v", why, e.until.UTC().Format(time.RFC3339), e.err)
}

func (e *holdError) Unwrap() error { return e.err }

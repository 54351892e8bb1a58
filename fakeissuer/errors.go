package fakeissuer

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"tokentop/issuer"
)

// Reasons Verify refuses a token. Verify wraps them, so test with errors.Is.
var (
	ErrTokenExpired     = errors.New("token expired")
	ErrTokenRevoked     = errors.New("token revoked")
	ErrBadSignature     = errors.New("token signature is invalid")
	ErrMalformedToken   = errors.New("token is malformed")
	ErrTokenNotYetValid = errors.New("token is not valid yet")
	ErrInvalidClaims    = errors.New("token claims are not acceptable")
)

// Reasons a token request fails. Issue-side errors are *StatusError values
// wrapping one of these.
var (
	// ErrFaultInjected marks a failure caused by an injected fault.
	ErrFaultInjected = errors.New("injected fault")
	// ErrUnknownIdentity is returned for an ACS identity that does not exist
	// or was deleted.
	ErrUnknownIdentity = errors.New("unknown identity")
	// ErrBadRequest is returned for a request the issuer cannot serve as asked.
	ErrBadRequest = errors.New("bad token request")
)

// StatusError is a failed token request with the HTTP status it is served
// as, so in-process and HTTP callers see the same failure.
type StatusError struct {
	// Status is the HTTP status code (e.g. 503).
	Status int
	// Code is a short machine-readable code (e.g. "ServiceUnavailable").
	Code string
	// Message says what went wrong in words.
	Message string
	// RetryAfter is the Retry-After hint, zero if none.
	RetryAfter time.Duration
	// Err is the underlying reason (ErrFaultInjected, ErrUnknownIdentity, ...).
	Err error
}

// RetryDelay is the Retry-After hint of a 429 or 503, zero otherwise (see
// credential.RetryAfterError).
func (e *StatusError) RetryDelay() time.Duration {
	if e.Status == 429 || e.Status == 503 {
		return max(e.RetryAfter, 0)
	}
	return 0
}

// Permanent reports a 400, 401, 403 or 404 (see credential.PermanentError).
func (e *StatusError) Permanent() bool { return issuer.PermanentStatus(e.Status) }

// Error returns "fake issuer: <status> <text>: <message>".
func (e *StatusError) Error() string {
	s := fmt.Sprintf("fake issuer: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %v)", e.RetryAfter)
	}
	return s
}

// Unwrap returns the underlying reason.
func (e *StatusError) Unwrap() error { return e.Err }

func badRequest(code, msg string) *StatusError {
	return &StatusError{Status: http.StatusBadRequest, Code: code, Message: msg, Err: ErrBadRequest}
}

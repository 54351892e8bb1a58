package credential

import "time"

// EventKind says what happened to a credential.
type EventKind int

// The kinds of Event, in the order they usually occur.
const (
	// EventScheduled: a proactive refresh was scheduled for NextAt, from the
	// token expiring at ExpiresOn.
	EventScheduled EventKind = iota + 1
	// EventStarted: the refresher was called (Reason says why, Attempt which
	// attempt, Waiters how many callers wait on it).
	EventStarted
	// EventOpaqueToken: the refresher returned a token that is not a JWT and
	// has no expiry; it was given Policy.OpaqueTokenLifetime (ExpiresOn).
	EventOpaqueToken
	// EventSucceeded: a refresh returned a usable token expiring at ExpiresOn,
	// after Latency.
	EventSucceeded
	// EventFailed: the refresher returned an error (Err), after Latency.
	EventFailed
	// EventRejected: the refresher returned a token that was expired
	// (*ExpiredTokenError) or malformed (*ParseError); it was not used.
	EventRejected
	// EventAborted: a refresh in flight was abandoned; Err wraps ErrAborted
	// (Abort, or every waiter gave up) or is ErrDisposed. Its waiters got Err.
	EventAborted
	// EventRetryScheduled: after a failure, the next attempt (Attempt) is
	// scheduled for NextAt; Err is the failure.
	EventRetryScheduled
	// EventDisposed: the credential was disposed; Waiters callers were released.
	EventDisposed
)

var eventKindNames = [...]string{
	EventScheduled:      "scheduled",
	EventStarted:        "started",
	EventOpaqueToken:    "opaque-token",
	EventSucceeded:      "succeeded",
	EventFailed:         "failed",
	EventRejected:       "rejected",
	EventAborted:        "aborted",
	EventRetryScheduled: "retry-scheduled",
	EventDisposed:       "disposed",
}

// String returns the kind's lower-case name, e.g. "retry-scheduled".
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return "unknown"
}

// Reason says why a refresh was started.
type Reason int

// Why a refresh was started.
const (
	// ReasonInitial: the credential had no token yet.
	ReasonInitial Reason = iota + 1
	// ReasonProactive: the proactive schedule fell due.
	ReasonProactive
	// ReasonOnDemand: a GetToken caller found the token inside the on-demand
	// buffer or expired.
	ReasonOnDemand
	// ReasonForced: Refresh was called.
	ReasonForced
	// ReasonRetry: a retry after a failure fell due (tokentop policy).
	ReasonRetry
)

var reasonNames = [...]string{
	ReasonInitial:   "initial",
	ReasonProactive: "proactive",
	ReasonOnDemand:  "on-demand",
	ReasonForced:    "forced",
	ReasonRetry:     "retry",
}

// String returns the reason's lower-case name, e.g. "on-demand"; "" for
// none.
func (r Reason) String() string {
	if r > 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return ""
}

// MarshalText returns String, so that a Reason reads as its name in JSON
// (the empty string for none).
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Event is something that happened to a credential, passed to
// Options.OnEvent. Handlers are called outside the credential's lock (they
// may call Snapshot) but synchronously, so they must not block. Fields that
// do not apply to a kind are zero.
type Event struct {
	// Kind says what happened.
	Kind EventKind
	// At is when, on the credential's clock.
	At time.Time
	// Attempt numbers the attempt: 1 for the first refresh after a success,
	// counting up across consecutive failures.
	Attempt int
	// Reason is why the refresh concerned was started.
	Reason Reason
	// ExpiresOn is the expiry of the token concerned (new, rejected, or the
	// one a schedule was computed from).
	ExpiresOn time.Time
	// NextAt is when a scheduled refresh or retry falls due.
	NextAt time.Time
	// Err is the failure, rejection or abort cause.
	Err error
	// Latency is how long the refresher took.
	Latency time.Duration
	// Waiters is how many callers were waiting on the refresh.
	Waiters int
	// Token is what the refresher returned: for EventSucceeded the token
	// accepted (its expiry filled in), for EventRejected the token refused,
	// for EventFailed what came with the error (often only a Detail). Its
	// Detail is the refresher's report on that very call, even when
	// refreshes overlap.
	Token AccessToken
}

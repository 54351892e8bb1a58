package issuer

import (
	"fmt"
	"time"
)

// FaultKind names what a fault does to token requests. The strings are part
// of the scenario format and of the fake issuer's admin API.
type FaultKind string

// Fault kinds.
const (
	// FaultFail fails calls with Status (500 by default; 503, 429 with
	// Retry-After, 401 and any other 4xx/5xx are accepted).
	FaultFail FaultKind = "fail"
	// FaultLatency delays calls by Latency on the issuer's clock.
	FaultLatency FaultKind = "latency"
	// FaultHang makes calls hang until the caller gives up (its context ends).
	FaultHang FaultKind = "hang"
	// FaultExpiredToken answers with a token that is already expired.
	FaultExpiredToken FaultKind = "expired-token"
	// FaultMalformedToken answers with a token that does not parse.
	FaultMalformedToken FaultKind = "malformed-token"
	// FaultShortLifetime answers with tokens of at most Lifetime (default 5m),
	// shorter than asked.
	FaultShortLifetime FaultKind = "short-lifetime"
	// FaultDown fails every call with 503 for Duration on the issuer's clock.
	FaultDown FaultKind = "down"
	// FaultThrottle lets Rate calls per Interval through a token bucket of
	// Burst (one bucket for the client, or one per identity: Bucket) and
	// answers the others 429 with Retry-After: the seconds, rounded up,
	// until the bucket has a token again.
	FaultThrottle FaultKind = "throttle"
	// FaultLoseResponse acts on user-session grants only (refresh token,
	// device code): the issuer grants (a refresh token rotates) but the
	// client never hears the answer; over HTTP the connection is cut.
	FaultLoseResponse FaultKind = "lose-response"
	// FaultInvalidGrant acts on user-session grants only: the grant is
	// refused with invalid_grant and the refresh token is left as it was.
	FaultInvalidGrant FaultKind = "invalid-grant"
)

// ThrottleBucket says whose calls share one FaultThrottle bucket.
type ThrottleBucket string

// Throttle buckets.
const (
	// ThrottleClient is one bucket for every call the fault matches: the
	// client's calls, across identities (the default).
	ThrottleClient ThrottleBucket = "client"
	// ThrottleIdentity is one bucket per identity.
	ThrottleIdentity ThrottleBucket = "identity"
)

// Limits on FaultThrottle's Rate and Burst.
const (
	// MaxThrottleRate is the largest Rate.
	MaxThrottleRate = 1_000_000
	// MaxThrottleBurst is the largest Burst.
	MaxThrottleBurst = 1_000_000
)

// FaultKinds lists every kind, in the order a menu would show them.
func FaultKinds() []FaultKind {
	return []FaultKind{FaultFail, FaultLatency, FaultHang, FaultExpiredToken,
		FaultMalformedToken, FaultShortLifetime, FaultDown, FaultThrottle}
}

// UserGrantFaultKinds lists the kinds that act on user-session grants
// only (refresh token and device code), apart from FaultKinds: an issuer
// without user sessions has no use for them.
func UserGrantFaultKinds() []FaultKind {
	return []FaultKind{FaultLoseResponse, FaultInvalidGrant}
}

// Fault describes how an issuer should misbehave: what to do, to which
// requests, and for how long. It is the spec of a fault, given to a
// FaultInjector; the injector decides how it tracks the faults it holds.
type Fault struct {
	// Kind says what the fault does.
	Kind FaultKind
	// Identity limits the fault to token requests for one identity; empty
	// means every request.
	Identity string
	// Count is how many calls the fault affects; 0 means every call until it
	// is cleared or its Duration ends.
	Count int
	// Status is the HTTP status of FaultFail (default 500) and FaultDown (503).
	Status int
	// RetryAfter is sent as Retry-After with a 429 or 503 (default 1s for 429).
	RetryAfter time.Duration
	// Latency is the delay of FaultLatency.
	Latency time.Duration
	// Lifetime is the token lifetime of FaultShortLifetime (default 5m).
	Lifetime time.Duration
	// Duration limits how long the fault lasts on the issuer's clock; it is
	// required for FaultDown, optional for the others.
	Duration time.Duration
	// Rate is how many calls FaultThrottle lets through per Interval
	// (required, 1..MaxThrottleRate).
	Rate int
	// Interval is FaultThrottle's refill period (default 1s).
	Interval time.Duration
	// Burst is FaultThrottle's bucket size: calls let through at once after
	// a quiet spell (default Rate, at most MaxThrottleBurst).
	Burst int
	// Bucket says whose calls share a FaultThrottle bucket (default
	// ThrottleClient).
	Bucket ThrottleBucket
}

// String describes the fault in a few words, e.g. "fail with 503 for the
// next 3 calls". Fields left at their defaults are not described.
func (f Fault) String() string {
	var what string
	switch f.Kind {
	case FaultFail:
		what = "fail"
		if f.Status != 0 {
			what += fmt.Sprintf(" with %d", f.Status)
		}
	case FaultLatency:
		what = fmt.Sprintf("add %v latency", f.Latency)
	case FaultHang:
		what = "hang until the caller gives up"
	case FaultExpiredToken:
		what = "return expired tokens"
	case FaultMalformedToken:
		what = "return malformed tokens"
	case FaultShortLifetime:
		what = "cap token lifetime"
		if f.Lifetime > 0 {
			what += fmt.Sprintf(" at %v", f.Lifetime)
		}
	case FaultDown:
		what = "be down"
	case FaultLoseResponse:
		what = "lose the response of refresh and device grants"
	case FaultInvalidGrant:
		what = "refuse refresh and device grants with invalid_grant"
	case FaultThrottle:
		what = fmt.Sprintf("throttle to %d calls", f.Rate)
		if f.Interval > 0 {
			what += fmt.Sprintf(" per %v", f.Interval)
		} else {
			what += " per second"
		}
		if f.Burst > 0 {
			what += fmt.Sprintf(" (burst %d)", f.Burst)
		}
		if f.Bucket == ThrottleIdentity {
			what += " per identity"
		}
	default:
		what = string(f.Kind)
	}
	switch {
	case f.Count == 1:
		what += " for the next call"
	case f.Count > 1:
		what += fmt.Sprintf(" for the next %d calls", f.Count)
	}
	if f.Duration > 0 {
		what += fmt.Sprintf(" for %v", f.Duration)
	}
	if f.Identity != "" {
		what += " (" + f.Identity + " only)"
	}
	return what
}

// FaultInjector is an issuer that can be told to misbehave, such as the fake.
type FaultInjector interface {
	// InjectFault adds a fault, or returns an error naming what is wrong
	// with it.
	InjectFault(Fault) error
	// ClearFaults removes every fault.
	ClearFaults()
}

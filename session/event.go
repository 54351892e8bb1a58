package session

import (
	"fmt"
	"strings"
	"time"

	"tokentop/credential"
	"tokentop/issuer"
)

// EventKind names what happened. Credential events keep the credential's
// own kind names; the session and the manager add their own (actions,
// faults, bursts, resource refusals).
type EventKind string

// Kinds that the session package itself emits. Credential event kinds are
// passed through under their own names (see credentialKind).
const (
	KindAdded         EventKind = "session-added"        // a session was added to the manager
	KindRefreshAsked  EventKind = "refresh-requested"    // the user asked for a refresh now
	KindAbortAsked    EventKind = "abort-requested"      // the user asked to abort the refresh in flight
	KindDisposeAsked  EventKind = "dispose-requested"    // the user asked to dispose the session
	KindSignedOut     EventKind = "signed-out"           // the session's identity was signed out
	KindRevoked       EventKind = "revoked"              // the issuer revoked an identity's tokens
	KindRevokeFailed  EventKind = "revoke-failed"        // the issuer could not revoke
	KindBurstStarted  EventKind = "burst-started"        // N concurrent GetToken calls began
	KindBurstDone     EventKind = "burst-done"           // every call of a burst returned
	KindFault         EventKind = "fault-injected"       // a fault was injected at the issuer
	KindFaultsCleared EventKind = "faults-cleared"       // every fault was cleared
	KindTokenRestored EventKind = "token-restored"       // a valid token is back after a time without one
	KindResource      EventKind = "resource-refused"     // first refusal of a run of resource calls
	KindUpstream      EventKind = "upstream-fetched"     // a Teams session fetched a new upstream token
	KindUpstreamCache EventKind = "upstream-cache-hit"   // a Teams session reused its cached upstream token
	KindActionFailed  EventKind = "action-failed"        // an action could not be carried out
	KindIssuerCall    EventKind = "issuer-call-failed"   // the issuer answered a call with an error
	KindStaticIssued  EventKind = "initial-token-issued" // the token for a static or pre-seeded session was issued
)

// Event is one thing that happened to a session (or, with an empty Session,
// to the issuer). The UI and the headless writer share this one type.
type Event struct {
	// Seq numbers events in the order the manager published them, from 1.
	Seq uint64
	// Session is the session's name; empty for manager-wide events (faults).
	Session string
	// At is the virtual time (the manager's clock) of the event.
	At time.Time
	// Kind says what happened.
	Kind EventKind
	// Message adds detail in words; may be empty.
	Message string

	// The fields below are copied from the credential's event when there is one.

	// Attempt is the refresh attempt number (1 for a first try).
	Attempt int
	// Reason is why a refresh started (initial, proactive, on-demand,
	// forced, retry); zero when none applies.
	Reason credential.Reason
	// ExpiresOn is the expiry of the token involved, if any.
	ExpiresOn time.Time
	// NextAt is when the next refresh or retry is scheduled, if any.
	NextAt time.Time
	// Err is the error involved, if any.
	Err error
	// Latency is how long the issuer call took, on the manager's clock.
	Latency time.Duration
	// Waiters is how many callers were waiting on the refresh.
	Waiters int
	// HTTP is where an issuer call's time went (refresh-succeeded,
	// refresh-failed, token-rejected), when the issuer speaks HTTP.
	HTTP *issuer.HTTPTiming
	// Signature is the verdict on a new token's signature (refresh-succeeded),
	// when the issuer adapter checks one.
	Signature *issuer.SignatureCheck
}

// Text renders the event as one human-readable line without its time and
// session, e.g. "refresh-succeeded (proactive) in 41ms; expires 11:31:05".
// A time on another virtual day than the event's says so ("expires tomorrow
// 21:25:14", "next at 2026-01-03 09:00:00"; see formatWhen), and durations
// are rounded as formatDuration says.
func (e Event) Text() string {
	var b strings.Builder
	b.WriteString(string(e.Kind))
	if r := e.Reason.String(); r != "" {
		fmt.Fprintf(&b, " (%s)", r)
	}
	if e.Attempt > 1 {
		fmt.Fprintf(&b, " attempt %d", e.Attempt)
	}
	if e.Latency > 0 {
		fmt.Fprintf(&b, " in %s", formatDuration(e.Latency))
	}
	if h := e.HTTP; h != nil {
		b.WriteString(" (")
		b.WriteString(describeTiming(*h))
		b.WriteString(")")
	}
	if e.Waiters > 0 {
		fmt.Fprintf(&b, "; %d waiting", e.Waiters)
	}
	if !e.ExpiresOn.IsZero() {
		fmt.Fprintf(&b, "; expires %s", formatWhen(e.ExpiresOn, e.At))
	}
	if !e.NextAt.IsZero() {
		fmt.Fprintf(&b, "; next at %s", formatWhen(e.NextAt, e.At))
	}
	if sig := e.Signature; sig != nil && sig.State != "" {
		fmt.Fprintf(&b, "; signature %s", describeSignature(*sig))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	// A retry's cause is the refresh-failed event logged just before it;
	// repeating the error would double every failure in the log.
	if e.Err != nil && e.Kind != KindRetryScheduled {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Session-level names of the credential's event kinds.
const (
	KindRefreshScheduled EventKind = "refresh-scheduled"
	KindRefreshStarted   EventKind = "refresh-started"
	KindOpaqueToken      EventKind = "opaque-token"
	KindRefreshSucceeded EventKind = "refresh-succeeded"
	KindRefreshFailed    EventKind = "refresh-failed"
	KindTokenRejected    EventKind = "token-rejected"
	KindRefreshAborted   EventKind = "refresh-aborted"
	KindRetryScheduled   EventKind = "retry-scheduled"
	KindDisposed         EventKind = "disposed"
)

func credentialKind(k credential.EventKind) EventKind {
	switch k {
	case credential.EventScheduled:
		return KindRefreshScheduled
	case credential.EventStarted:
		return KindRefreshStarted
	case credential.EventOpaqueToken:
		return KindOpaqueToken
	case credential.EventSucceeded:
		return KindRefreshSucceeded
	case credential.EventFailed:
		return KindRefreshFailed
	case credential.EventRejected:
		return KindTokenRejected
	case credential.EventAborted:
		return KindRefreshAborted
	case credential.EventRetryScheduled:
		return KindRetryScheduled
	case credential.EventDisposed:
		return KindDisposed
	}
	return EventKind("credential-" + k.String())
}

// describeTiming says where an HTTP exchange's time went, as httpstat does:
// "HTTP 200, new connection: dns 2ms, connect 1ms, tls 12ms, first byte 30ms, 512 B";
// a call that got no answer (refused, timed out) says "no answer, new
// connection: dns 2ms" rather than HTTP 0 with a first byte at 0s.
func describeTiming(h issuer.HTTPTiming) string {
	var b strings.Builder
	if h.Status == 0 {
		b.WriteString("no answer, ")
	} else {
		fmt.Fprintf(&b, "HTTP %d, ", h.Status)
	}
	if h.Reused {
		b.WriteString("reused connection: ")
	} else {
		b.WriteString("new connection: ")
		for _, p := range []struct {
			name string
			d    time.Duration
		}{{"dns", h.DNS}, {"connect", h.Connect}, {"tls", h.TLS}} {
			if p.d > 0 {
				fmt.Fprintf(&b, "%s %s, ", p.name, formatDuration(p.d))
			}
		}
	}
	if h.Status == 0 {
		return strings.TrimSuffix(strings.TrimSuffix(b.String(), ", "), ": ")
	}
	fmt.Fprintf(&b, "first byte %s, %d B", formatDuration(h.FirstByte), h.Bytes)
	return b.String()
}

// describeSignature says a signature verdict in words: "verified (ES256)",
// "invalid: crypto/ecdsa: verification error".
func describeSignature(s issuer.SignatureCheck) string {
	out := string(s.State)
	if s.State == issuer.SignatureVerified && s.Alg != "" {
		out += " (" + s.Alg + ")"
	}
	if s.Why != "" {
		out += ": " + s.Why
	}
	return out
}

package credential

import (
	"time"
)

// Phase is a credential's state at a glance.
type Phase int

// The phases, in the order Snapshot checks them (the first that applies wins).
const (
	// PhaseIdle: no token yet and no refresh in flight.
	PhaseIdle Phase = iota
	// PhaseValid: the token is valid and the last refresh (if any) succeeded.
	PhaseValid
	// PhaseRefreshing: a refresh is in flight.
	PhaseRefreshing
	// PhaseRetrying: the last refresh failed and a retry is scheduled.
	PhaseRetrying
	// PhaseExpired: the token has expired and nothing is in flight.
	PhaseExpired
	// PhaseAborted: the last refresh was aborted (the token may still be valid).
	PhaseAborted
	// PhaseFailed: the last refresh failed and no retry is scheduled (the
	// token may still be valid).
	PhaseFailed
	// PhaseDisposed: the credential was disposed.
	PhaseDisposed
	// PhaseAttention: the issuer failed permanently (Policy.AttentionAfter
	// times in a row: a wrong secret, a bad request, tokens that arrive
	// expired); it is asked again only every Policy.AttentionRetryDelay, or
	// by Refresh. LastErr says why.
	PhaseAttention
)

var phaseNames = [...]string{
	PhaseIdle: "idle", PhaseValid: "valid", PhaseRefreshing: "refreshing", PhaseRetrying: "retrying",
	PhaseExpired: "expired", PhaseAborted: "aborted", PhaseFailed: "failed", PhaseDisposed: "disposed",
	PhaseAttention: "needs attention",
}

// String returns the phase's lower-case name.
func (p Phase) String() string {
	if p >= 0 && int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "unknown"
}

// Counters count what a credential has done since New.
type Counters struct {
	// RefresherCalls counts calls of the Refresher.
	RefresherCalls uint64
	// Successes counts refreshes that produced a usable token.
	Successes uint64
	// Failures counts refreshes that failed, rejections included.
	Failures uint64
	// Rejections counts tokens rejected as expired or malformed.
	Rejections uint64
	// Aborts counts refreshes abandoned by Abort, by every waiter giving up,
	// or by Dispose.
	Aborts uint64
	// WaitingCalls counts GetToken and Refresh calls that took the slow path
	// (no fresh token cached); calls served from the cache are not counted, so
	// that the hot path stays free of shared writes. Callers that need a total
	// count their own calls.
	WaitingCalls uint64
}

// Snapshot is a consistent view of a credential at one instant.
type Snapshot struct {
	// At is when the snapshot was taken, on the credential's clock.
	At time.Time
	// Policy is the name of the credential's policy ("static" for NewStatic).
	Policy string
	// Static reports a credential made by NewStatic.
	Static bool
	// Proactive reports Options.RefreshProactively.
	Proactive bool
	// Phase is the state at a glance.
	Phase Phase
	// Token is the current token; Token.Token is empty if there is none.
	Token AccessToken
	// NextRefreshAt is when the scheduled proactive refresh or retry falls
	// due; zero if none is scheduled.
	NextRefreshAt time.Time
	// Attempt is the number the current or next attempt carries: 1 plus the
	// consecutive failures so far; 0 when the last refresh succeeded (or none
	// was made) and nothing is in flight.
	Attempt int
	// Waiters is how many callers wait on refreshes in flight.
	Waiters int
	// InFlight is how many refreshes are in flight (more than 1 only without
	// Policy.Coalesce).
	InFlight int
	// LastErr is the error of the last refresh, nil if it succeeded.
	LastErr error
	// LastLatency is how long the last completed refresher call took.
	LastLatency time.Duration
	// LastSuccessAt is when a refresh last succeeded; zero if never.
	LastSuccessAt time.Time
	// Counters count what the credential has done.
	Counters Counters
}

// Snapshot returns the credential's current state. It is safe to call from an
// OnEvent handler.
func (c *Credential) Snapshot() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	s := Snapshot{
		At: now, Policy: c.policy.Name, Static: c.static, Proactive: c.proactive,
		Token: c.token, NextRefreshAt: c.nextAt, LastErr: c.lastErr, LastLatency: c.lastLatency,
		LastSuccessAt: c.lastSuccessAt, Counters: c.counters, InFlight: len(c.flights),
	}
	if c.static {
		s.Policy = "static"
	}
	for f := range c.flights {
		s.Waiters += f.waiters
	}
	if len(c.flights) > 0 || c.failures > 0 {
		s.Attempt = c.failures + 1
	}
	switch {
	case c.disposed:
		s.Phase = PhaseDisposed
	case len(c.flights) > 0:
		s.Phase = PhaseRefreshing
	case c.attentionLocked():
		s.Phase = PhaseAttention
	case c.schedKind == schedRetry:
		s.Phase = PhaseRetrying
	case c.outcome == outcomeFailed:
		s.Phase = PhaseFailed
	case c.outcome == outcomeAborted:
		s.Phase = PhaseAborted
	case c.token.Token == "":
		s.Phase = PhaseIdle
	case !now.Before(c.token.ExpiresOn):
		s.Phase = PhaseExpired
	default:
		s.Phase = PhaseValid
	}
	return s
}

package session

import (
	"time"

	"tokentop/credential"
	"tokentop/issuer"
	"tokentop/scenario"
)

// Stats returns the session's counters now.
func (s *Session) Stats() Stats {
	now := s.m.clock.Now()
	st := Stats{
		IssuerCalls:      s.hot.issuerCalls.Load(),
		UpstreamCalls:    s.hot.upstreamCalls.Load(),
		GetTokenCalls:    s.hot.getTokenCalls.Load(),
		GetTokenErrors:   s.hot.getTokenErrors.Load(),
		MaxWait:          time.Duration(s.hot.maxWait.Load()),
		ResourceAccepted: s.hot.resourceAccepted.Load(),
		ResourceRefused:  s.hot.resourceRefd.Load(),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Successes, st.Failures, st.Aborts = s.successes, s.failures, s.aborts
	st.LastLatency = s.lastLatency
	st.LatencyP50, st.LatencyP99 = s.latencies.quantile(0.5), s.latencies.quantile(0.99)
	st.NewConnections = s.newConns
	st.TokenGap = s.gap.at(now)
	st.EventsLogged, st.EventsOlder = s.logged, s.log.dropped
	return st
}

// Events returns the session's kept events, oldest first, and how many older
// ones were pushed out of the log.
func (s *Session) Events() (events []Event, older uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.events(), s.log.dropped
}

// Snapshot is a consistent-enough view of a session for display.
type Snapshot struct {
	// At is when the snapshot was taken, on the manager's clock.
	At time.Time
	// Spec is the session's spec, defaults filled in.
	Spec scenario.Spec
	// Credential is the credential's own snapshot. For a static session its
	// Phase is computed on the manager's clock.
	Credential credential.Snapshot
	// Stats are the session's counters.
	Stats Stats
	// Token is the current raw token (redact it before display); empty if none.
	Token string
	// ExpiresOn is the current token's expiry; zero if none.
	ExpiresOn time.Time
	// Disposed reports a disposed (or signed-out) session.
	Disposed bool
	// Signature is the verdict on the current token's signature, when the
	// issuer adapter checks one; its State is empty otherwise.
	Signature issuer.SignatureCheck
	// TokenSource says where the current token came from: SourceIssuer,
	// SourceCache, SourceInitial or SourceStatic; empty before the first.
	TokenSource string
}

// Snapshot returns the session's state now.
func (s *Session) Snapshot() Snapshot {
	cs := s.cred().Snapshot()
	snap := Snapshot{At: s.m.clock.Now(), Spec: s.spec, Credential: cs, Stats: s.Stats(),
		Token: cs.Token.Token, ExpiresOn: cs.Token.ExpiresOn}
	s.mu.Lock()
	snap.Disposed = s.disposed
	snap.Signature = s.signature
	snap.TokenSource = s.source
	noToken := s.noToken
	s.mu.Unlock()
	if noToken != nil { // a static session still waiting for its token
		cs.Static, cs.Policy, cs.Phase, cs.LastErr = true, "static", credential.PhaseIdle, noToken
		if snap.Disposed {
			cs.Phase = credential.PhaseDisposed
		}
		snap.Credential = cs
		return snap
	}
	if s.spec.Static { // NewStatic has no clock: judge expiry on ours
		cs.At = snap.At
		switch {
		case snap.Disposed:
			cs.Phase = credential.PhaseDisposed
		case !snap.At.Before(cs.Token.ExpiresOn):
			cs.Phase = credential.PhaseExpired
		default:
			cs.Phase = credential.PhaseValid
		}
		snap.Credential = cs
	}
	return snap
}

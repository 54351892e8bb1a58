package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"tokentop/credential"
	"tokentop/issuer"
	"tokentop/scenario"
)

// Session is one credential under a Spec, with its counters, its bounded
// event log and its simulated callers. Get it from a Manager.
type Session struct {
	m     *Manager
	spec  scenario.Spec
	credp atomic.Pointer[credential.Credential] // swapped once for a static session whose token arrives late
	added time.Time
	hot   hotCounters
	// resource checks the callers' tokens: Spec.ResourceURL's, else
	// Options.Resource (nil when the session does no resource checks).
	resource ResourceChecker

	mu sync.Mutex
	// The callers' fields follow mu: every caller visit reads them under it,
	// and across 100k sessions each line is a cache miss.
	callers     []callerState
	callersDone bool
	log         eventLog
	logged      uint64
	successes   uint64
	failures    uint64
	aborts      uint64
	lastLatency time.Duration
	gap         gapTracker
	disposed    bool
	refusing    bool                  // the last resource check was refused (one event per run)
	noToken     error                 // a static session's token could not be issued: why
	signature   issuer.SignatureCheck // the verdict on the current token's signature
	latencies   latencyHistogram      // issuer-call latencies, for the summary's p50 and p99
	newConns    uint64                // issuer calls that opened a new connection
	source      string                // where the current token came from: SourceIssuer, SourceCache...
}

func newSession(m *Manager, spec scenario.Spec) *Session {
	now := m.clock.Now()
	s := &Session{m: m, spec: spec, added: now, log: newEventLog(m.opts.LogSize), gap: gapTracker{from: now}, resource: m.opts.Resource}
	if spec.ResourceURL != "" {
		s.resource = newURLResource(spec.ResourceURL)
	}
	return s
}

// Name returns the session's name.
func (s *Session) Name() string { return s.spec.Name }

// Spec returns the session's spec, with defaults filled in.
func (s *Session) Spec() scenario.Spec { return s.spec }

// Credential returns the session's credential.
func (s *Session) Credential() *credential.Credential { return s.cred() }

func (s *Session) cred() *credential.Credential { return s.credp.Load() }

// start makes the credential. For a static or pre-seeded session it issues
// the token first.
func (s *Session) start() error {
	s.emit(Event{Kind: KindAdded, Message: s.describe()})
	initial := s.spec.InitialToken
	if s.spec.Static {
		initial = s.spec.StaticToken
	}
	source := SourceInitial
	if s.spec.Static {
		source = SourceStatic
	}
	if initial == "" {
		if tok, _, ok := s.loadCached(); ok { // a persisted session resumes without the issuer
			initial, source = tok, SourceCache
		}
	}
	refresher := s.withCallInfo(s.refresher()) // one for the initial token and the credential: a Teams cache is shared
	if initial == "" && (s.spec.Static || s.spec.IssueInitial) {
		// Each issuer call is bounded by Options.IssueTimeout; a simulated
		// one is issued at once, at the time the session is added.
		tok, _, err := refresher(s.m.ctx)
		s.countIssue(err)
		switch {
		case err != nil && s.spec.Static:
			// An issuer failure never ends a run: the session stays, without
			// a token, until Refresh issues it.
			s.emit(Event{Kind: KindIssuerCall, Message: "initial token; the session has no token until a refresh issues it", Err: err})
			return s.awaitStatic(err)
		case err != nil:
			s.emit(Event{Kind: KindIssuerCall, Message: "initial token; the credential will ask again as its policy says", Err: err})
		default:
			s.emit(Event{Kind: KindStaticIssued, ExpiresOn: tok.ExpiresOn})
			initial = tok.Token
			s.saveCached(tok)
		}
	}
	if initial != "" {
		at, err := credential.ParseJWT(initial)
		if err != nil {
			return fmt.Errorf("the initial token cannot be used: %w", err)
		}
		s.mu.Lock()
		s.gap.token(s.m.clock.Now(), at.ExpiresOn)
		s.source = source
		s.mu.Unlock()
	}
	if s.spec.Static {
		cred, err := credential.NewStatic(initial)
		if err != nil {
			return fmt.Errorf("the static token cannot be used: %w", err)
		}
		s.credp.Store(cred)
		return nil
	}
	policy, err := credential.PolicyByName(s.spec.Policy)
	if err != nil {
		return err
	}
	if s.m.inline && policy.AttemptTimeout >= s.m.opts.IssueTimeout {
		// An in-process issuer's call ends within IssueTimeout on the loop
		// (Manager.async), so an attempt limit no shorter would only be a
		// timer per refresh racing that end.
		policy.AttemptTimeout = 0
	}
	opts := credential.Options{
		AsyncRefresher:     s.m.async(refresher),
		InitialToken:       initial,
		RefreshProactively: s.spec.Proactive,
		Policy:             policy,
		Clock:              s.m.clock,
		OnEvent:            s.onCredentialEvent,
	}
	if s.m.inline {
		opts.Jitter = s.m.jitterFor(s.spec.Name) // reproducible: a sim run's retries too
	}
	cred, err := credential.New(opts)
	if err != nil {
		return err
	}
	s.credp.Store(cred)
	return nil
}

// awaitStatic leaves a static session whose token could not be issued with
// a stand-in credential that answers every call with why, on the loop at
// once (so a sim run stays exact), until issueStatic succeeds.
func (s *Session) awaitStatic(why error) error {
	noToken := fmt.Errorf("no token: the static token could not be issued: %w", why)
	stand, err := credential.New(credential.Options{Clock: s.m.clock, Policy: credential.PolicyJS,
		AsyncRefresher: func(_ context.Context, done func(credential.AccessToken, error)) {
			s.m.loop.Post(func() { done(credential.AccessToken{}, noToken) })
		}})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.noToken = why
	s.mu.Unlock()
	s.credp.Store(stand)
	return nil
}

// issueStatic tries again to issue a static session's token (the Refresh
// action of a session left by awaitStatic); done gets the outcome.
func (s *Session) issueStatic(done func(error)) {
	issued := func(tok credential.AccessToken, err error) {
		s.countIssue(err)
		if err == nil {
			var cred *credential.Credential
			if cred, err = credential.NewStatic(tok.Token); err == nil {
				s.mu.Lock()
				disposed := s.disposed
				s.noToken = nil
				s.source = SourceStatic
				s.gap.token(s.m.clock.Now(), tok.ExpiresOn)
				s.mu.Unlock()
				if disposed {
					cred.Dispose()
				}
				old := s.credp.Swap(cred)
				old.Dispose()
				s.emit(Event{Kind: KindStaticIssued, ExpiresOn: tok.ExpiresOn})
			}
		}
		if err != nil {
			s.mu.Lock()
			s.noToken = err
			s.mu.Unlock()
			s.emit(Event{Kind: KindIssuerCall, Message: "initial token", Err: err})
		}
		done(err)
	}
	s.m.async(s.refresher())(s.m.ctx, issued)
}

// awaitingToken reports a static session still without its token, and why.
func (s *Session) awaitingToken() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.noToken != nil, s.noToken
}

// countIssue counts the outcome of issuing a static or pre-seeded initial
// token, an issuer call the credential does not see, so that a session's
// issuer calls add up to its successes, failures, aborts and calls in
// flight (Stats).
func (s *Session) countIssue(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failures++
	} else {
		s.successes++
	}
}

// describe says what the session is, for its session-added event:
// "identity alice, policy tokentop, proactive, 1 caller every 1m".
func (s *Session) describe() string {
	d := "identity " + s.spec.Identity
	switch {
	case s.spec.Static:
		d += ", static token (issued once, never refreshed)"
	case s.spec.Proactive:
		d += ", policy " + s.spec.PolicyLabel() + ", proactive"
	default:
		d += ", policy " + s.spec.PolicyLabel() + ", on demand"
	}
	if s.spec.Teams != nil {
		d += ", Teams exchange"
	}
	if n := s.spec.Callers; n > 0 {
		d += fmt.Sprintf(", %d %s every %s", n, plural(n, "caller", "callers"), formatDuration(s.spec.CallInterval))
	}
	return d
}

// refresher returns the function that fetches the session's tokens.
func (s *Session) refresher() issueCall {
	if s.spec.Teams != nil {
		t := &teamsRefresher{s: s, spec: *s.spec.Teams}
		return t.refresh
	}
	req := issuer.Request{Identity: s.spec.Identity, Scopes: s.spec.Scopes, Lifetime: s.spec.Lifetime}
	iss := s.m.opts.Issuer
	sim, _ := iss.(issuer.DelayReporter) // set when the manager is inline
	return func(ctx context.Context) (credential.AccessToken, issuer.Delay, error) {
		s.hot.issuerCalls.Add(1)
		return callIssuer(s.m, ctx,
			func(ctx context.Context) (credential.AccessToken, issuer.Delay, error) {
				return sim.IssueSimulated(ctx, req)
			},
			func(ctx context.Context) (credential.AccessToken, error) { return iss.Issue(ctx, req) })
	}
}

// onCredentialEvent turns a credential event into a session event and
// updates the counters. The credential calls it synchronously, so it only
// takes the session's mutex and publishes without blocking.
func (s *Session) onCredentialEvent(ce credential.Event) {
	e := Event{Kind: credentialKind(ce.Kind), At: ce.At, Attempt: ce.Attempt, Reason: ce.Reason,
		ExpiresOn: ce.ExpiresOn, NextAt: ce.NextAt, Err: ce.Err, Latency: ce.Latency, Waiters: ce.Waiters}
	var restored *Event
	var accepted credential.AccessToken // for the cache
	s.mu.Lock()
	switch ce.Kind {
	case credential.EventSucceeded:
		s.successes++
		s.source = SourceIssuer
		s.lastLatency = ce.Latency
		s.latencies.observe(ce.Latency)
		info := callInfo(ce.Token)
		e.HTTP, e.Signature = timingOf(info), signatureOf(info)
		if e.Signature != nil {
			s.signature = *e.Signature
		}
		accepted = ce.Token
		if gap := s.gap.token(ce.At, ce.ExpiresOn); gap > 0 {
			restored = &Event{Kind: KindTokenRestored, At: ce.At, Message: "after a gap of " + formatDuration(gap)}
		}
	case credential.EventFailed, credential.EventRejected:
		s.failures++
		s.lastLatency = ce.Latency
		s.latencies.observe(ce.Latency)
		e.HTTP = timingOf(callInfo(ce.Token))
	case credential.EventAborted:
		s.aborts++
	case credential.EventDisposed:
		s.gap.stop(ce.At)
	}
	s.mu.Unlock()
	s.emit(e)
	if restored != nil {
		s.emit(*restored)
	}
	s.saveCached(accepted)
}

// emit logs e in the session's log and publishes it. A zero At means now.
func (s *Session) emit(e Event) {
	if e.At.IsZero() {
		e.At = s.m.clock.Now()
	}
	e.Session = s.spec.Name
	s.mu.Lock()
	s.m.publish(&e) // numbered under the session's lock, so the log is in Seq order
	s.log.add(e)
	s.logged++
	s.mu.Unlock()
}

// credentialReports tells whether the credential already reported err as an
// event (refresh failures and aborts), so actions do not report it twice.
func (s *Session) credentialReports(err error) bool {
	return !errors.Is(err, credential.ErrStatic) && !errors.Is(err, credential.ErrDisposed) &&
		!errors.Is(err, context.Canceled)
}

// dispose disposes the credential and stops the callers that have nothing
// left to show.
func (s *Session) dispose() {
	s.mu.Lock()
	already := s.disposed
	s.disposed = true
	s.gap.stop(s.m.clock.Now())
	s.mu.Unlock()
	if already {
		return
	}
	s.cred().Dispose()
	if s.spec.Static {
		s.emit(Event{Kind: KindDisposed})
	}
	if !s.spec.Resource {
		s.stopCallers()
	}
}

// shutdown is the manager's Close for one session.
func (s *Session) shutdown() {
	s.stopCallers()
	s.mu.Lock()
	s.disposed = true
	s.gap.stop(s.m.clock.Now())
	s.mu.Unlock()
	if c := s.cred(); c != nil {
		c.Dispose()
	}
}

// hadToken reports whether the session has ever held a valid token.
func (s *Session) hadToken() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gap.started
}

// callInfo returns the issuer adapter's report on one call, which the
// refresher (withCallInfo) returns as the token's Detail; nil when there is
// none (the in-process fake).
func callInfo(tok credential.AccessToken) *issuer.CallInfo {
	info, _ := tok.Detail.(*issuer.CallInfo)
	return info
}

func timingOf(info *issuer.CallInfo) *issuer.HTTPTiming {
	if info == nil {
		return nil
	}
	return info.HTTP
}

func signatureOf(info *issuer.CallInfo) *issuer.SignatureCheck {
	if info == nil || info.Signature.State == "" {
		return nil
	}
	return &info.Signature
}

// withCallInfo wraps a refresher so that each call's token (or, with an
// error, an otherwise empty one) carries the adapter's report on that call
// as its Detail, which the credential hands back in the call's own event:
// so each refresh gets its own timings even when refreshes overlap. The
// in-process fake has no HTTP or signature to report: r is used as it is.
func (s *Session) withCallInfo(r issueCall) issueCall {
	if _, inProcess := s.m.opts.Issuer.(issuer.DelayReporter); inProcess {
		return r
	}
	return func(ctx context.Context) (credential.AccessToken, issuer.Delay, error) {
		info := new(issuer.CallInfo)
		tok, d, err := r(issuer.WithCallInfo(ctx, info))
		if err != nil {
			tok = credential.AccessToken{}
		}
		tok.Detail = info
		if h := info.HTTP; h != nil && !h.Reused {
			s.mu.Lock()
			s.newConns++
			s.mu.Unlock()
		}
		return tok, d, err
	}
}

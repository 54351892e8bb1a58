package session

import (
	"sync/atomic"
	"time"
)

// Stats are a session's counters. Times are on the manager's (virtual) clock.
type Stats struct {
	// IssuerCalls counts token requests made for the session: refresher
	// calls, plus the issue of a static or pre-seeded initial token. Each
	// ends as one success, failure or abort, so IssuerCalls is Successes +
	// Failures + Aborts + the calls still in flight. For a Teams session a
	// request is an upstream token (cached or fetched) and its exchange, and
	// counts once whichever stage fails (UpstreamCalls counts the fetches).
	IssuerCalls uint64
	// UpstreamCalls counts a Teams session's upstream token fetches.
	UpstreamCalls uint64
	// Successes, Failures and Aborts count the outcomes of the issuer calls:
	// refreshes, and the issue of a static or pre-seeded initial token (a
	// rejected token is a failure).
	Successes, Failures, Aborts uint64
	// GetTokenCalls counts GetToken calls by simulated callers and bursts;
	// GetTokenErrors counts those that returned an error.
	GetTokenCalls, GetTokenErrors uint64
	// MaxWait is the longest a GetToken call took.
	MaxWait time.Duration
	// TokenGap is the time without a valid token while the session was
	// live: from when it was added (or from its first token, if it started
	// without one) up to now, or up to its disposal or sign-out, after which
	// it no longer counts (a signed-out session holds no token on purpose).
	TokenGap time.Duration
	// ResourceAccepted and ResourceRefused count resource checks of tokens
	// by simulated callers and bursts.
	ResourceAccepted, ResourceRefused uint64
	// LastLatency is how long the last completed refresher call took.
	LastLatency time.Duration
	// LatencyP50 and LatencyP99 are the median and 99th percentile of the
	// completed issuer calls' latencies (within 19%).
	LatencyP50, LatencyP99 time.Duration
	// NewConnections counts issuer calls that opened a new connection (an
	// HTTP issuer; a reused keep-alive connection does not count).
	NewConnections uint64
	// EventsLogged counts the session's events; EventsOlder counts those
	// pushed out of its bounded log.
	EventsLogged, EventsOlder uint64
}

// add sums o into s (for totals); MaxWait and LastLatency take the maximum.
func (s *Stats) add(o Stats) {
	s.IssuerCalls += o.IssuerCalls
	s.UpstreamCalls += o.UpstreamCalls
	s.Successes += o.Successes
	s.Failures += o.Failures
	s.Aborts += o.Aborts
	s.GetTokenCalls += o.GetTokenCalls
	s.GetTokenErrors += o.GetTokenErrors
	s.MaxWait = max(s.MaxWait, o.MaxWait)
	s.TokenGap += o.TokenGap
	s.ResourceAccepted += o.ResourceAccepted
	s.ResourceRefused += o.ResourceRefused
	s.LastLatency = max(s.LastLatency, o.LastLatency)
	s.LatencyP50 = max(s.LatencyP50, o.LatencyP50) // totals: the largest; summaries merge histograms
	s.LatencyP99 = max(s.LatencyP99, o.LatencyP99)
	s.NewConnections += o.NewConnections
	s.EventsLogged += o.EventsLogged
	s.EventsOlder += o.EventsOlder
}

// hotCounters are updated by many concurrent callers, so they are atomics
// rather than fields under the session's mutex.
type hotCounters struct {
	issuerCalls, upstreamCalls     atomic.Uint64
	getTokenCalls, getTokenErrors  atomic.Uint64
	resourceAccepted, resourceRefd atomic.Uint64
	maxWait                        atomic.Int64
}

func (h *hotCounters) observeWait(d time.Duration) {
	for {
		cur := h.maxWait.Load()
		if int64(d) <= cur || h.maxWait.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// gapTracker measures the time a session spends without a valid token.
// Guarded by the session's mutex.
type gapTracker struct {
	started    bool      // the session has had a token (or started with one)
	from       time.Time // gaps are not counted before this (the session's start)
	validUntil time.Time // expiry of the newest token
	total      time.Duration
	stopped    bool // disposed: the gap no longer grows
	stoppedAt  time.Time
}

// token records a token valid until exp, obtained at. It returns the gap
// that this token ended, zero if there was none.
func (g *gapTracker) token(at, exp time.Time) time.Duration {
	var ended time.Duration
	if !g.started {
		g.started = true
	} else if !g.stopped && at.After(g.validUntil) {
		ended = at.Sub(later(g.validUntil, g.from))
		g.total += ended
	}
	if exp.After(g.validUntil) {
		g.validUntil = exp
	}
	return ended
}

func (g *gapTracker) stop(at time.Time) {
	if !g.stopped {
		g.stopped, g.stoppedAt = true, at
	}
}

// at returns the total gap as of now.
func (g *gapTracker) at(now time.Time) time.Duration {
	if !g.started {
		return g.total
	}
	end := now
	if g.stopped {
		end = g.stoppedAt
	}
	if start := later(g.validUntil, g.from); end.After(start) {
		return g.total + end.Sub(start)
	}
	return g.total
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

package session

import (
	"context"
	"fmt"
	"sync"

	"tokentop/credential"
	"tokentop/issuer"
	"tokentop/scenario"
)

// teamsRefresher is a Teams session's two-stage refresher: an upstream
// (Entra-style) token from an MSAL-like cache, then its exchange for an ACS
// token that expires when the upstream token does.
//
// The cache hands out its token until RenewalOffset before expiry (MSAL's
// five minutes). With that default, the credential's refresh ten minutes
// before expiry gets the same upstream token back, so the exchange yields an
// ACS token with under ten minutes left, which the credential re-polls at
// half its remaining life: the loop the guide describes. Either fix breaks
// it: force a new upstream token when the cached one has ForceRefreshUnder or
// less left, or renew it earlier than the credential's window.
type teamsRefresher struct {
	s    *Session
	spec scenario.TeamsSpec

	mu     sync.Mutex
	cached credential.AccessToken
}

// refresh is one token request of the session, counted as one issuer call
// whether it fails at the upstream stage or at the exchange, so that every
// refresh outcome has its issuer call (Stats.IssuerCalls). Simulated, its
// Delay is both stages' waiting.
func (t *teamsRefresher) refresh(ctx context.Context) (credential.AccessToken, issuer.Delay, error) {
	t.s.hot.issuerCalls.Add(1)
	up, d, err := t.upstream(ctx)
	if err != nil {
		return credential.AccessToken{}, d, fmt.Errorf("upstream token: %w", err)
	}
	m := t.s.m
	sim, _ := m.teams.(SimulatedTeamsIssuer) // set when the manager is inline
	tok, ex, err := callIssuer(m, ctx,
		func(ctx context.Context) (credential.AccessToken, issuer.Delay, error) {
			return sim.ExchangeTeamsTokenSimulated(ctx, up.Token)
		},
		func(ctx context.Context) (credential.AccessToken, error) {
			return m.teams.ExchangeTeamsToken(ctx, up.Token)
		})
	d.Add(ex.Latency)
	d.Hang = d.Hang || ex.Hang
	if err != nil {
		return credential.AccessToken{}, d, fmt.Errorf("Teams token exchange: %w", err)
	}
	return tok, d, nil
}

func (t *teamsRefresher) upstream(ctx context.Context) (credential.AccessToken, issuer.Delay, error) {
	now := t.s.m.clock.Now()
	t.mu.Lock()
	cached := t.cached
	t.mu.Unlock()
	have := cached.Token != ""
	left := cached.ExpiresOn.Sub(now) // meaningless without a cached token
	forced := have && t.spec.ForceRefreshUnder > 0 && left <= t.spec.ForceRefreshUnder
	if have && left > t.spec.RenewalOffset && !forced {
		t.s.emit(Event{Kind: KindUpstreamCache, ExpiresOn: cached.ExpiresOn,
			Message: fmt.Sprintf("cached upstream token has %s left (renewal offset %s)", formatDuration(left), formatDuration(t.spec.RenewalOffset))})
		return cached, issuer.Delay{}, nil
	}
	t.s.hot.upstreamCalls.Add(1)
	m, id, life := t.s.m, t.spec.ClientID, t.spec.UpstreamLifetime
	sim, _ := m.teams.(SimulatedTeamsIssuer) // set when the manager is inline
	tok, d, err := callIssuer(m, ctx,
		func(ctx context.Context) (credential.AccessToken, issuer.Delay, error) {
			return sim.IssueUpstreamSimulated(ctx, id, life)
		},
		func(ctx context.Context) (credential.AccessToken, error) { return m.teams.IssueUpstream(ctx, id, life) })
	if err != nil {
		return credential.AccessToken{}, d, err
	}
	why := "no cached upstream token"
	switch {
	case forced:
		why = fmt.Sprintf("forced: cached one had %s left, at most %s", formatDuration(left), formatDuration(t.spec.ForceRefreshUnder))
	case have && left <= 0:
		why = fmt.Sprintf("cached one expired %s ago", formatDuration(-left))
	case have:
		why = fmt.Sprintf("cached one had %s left, within the renewal offset %s", formatDuration(left), formatDuration(t.spec.RenewalOffset))
	}
	t.s.emit(Event{Kind: KindUpstream, ExpiresOn: tok.ExpiresOn, Message: why})
	t.mu.Lock()
	t.cached = tok
	t.mu.Unlock()
	return tok, d, nil
}

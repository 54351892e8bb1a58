package fakeissuer

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"tokentop/credential"
)

// DefaultUpstreamRenewalOffset is how long before expiry a cached upstream
// token is renewed, as MSAL does.
const DefaultUpstreamRenewalOffset = 5 * time.Minute

// ForceRefreshParam is the /oauth2/token form field that skips the upstream
// cache: force_refresh=true mints a new token (and caches it), as MSAL's
// forceRefresh does.
const ForceRefreshParam = "force_refresh"

// UpstreamCacheHeader is the response header of /oauth2/token that says how
// the upstream cache answered: "hit", "miss" or "refresh" (forced).
const UpstreamCacheHeader = "X-Tokentop-Upstream-Cache"

// UpstreamCacheOptions configure the emulation of a client-side (MSAL-like)
// token cache in front of /oauth2/token, which reproduces the Teams flow's
// loop of short-lived tokens.
type UpstreamCacheOptions struct {
	// Enabled makes /oauth2/token hand back the same token for the same
	// client, scopes and asked lifetime until it is within RenewalOffset of
	// expiry, unless the request sets force_refresh=true.
	Enabled bool
	// RenewalOffset is how long before expiry a cached token is renewed;
	// zero means DefaultUpstreamRenewalOffset.
	RenewalOffset time.Duration
}

// upstreamCache holds the last upstream token per request shape.
type upstreamCache struct {
	enabled bool
	offset  time.Duration

	mu      sync.Mutex
	entries map[upstreamKey]cachedUpstream
}

type upstreamKey struct {
	clientID string
	scopes   string
	lifetime time.Duration
}

type cachedUpstream struct {
	tok    credential.AccessToken
	claims Claims
}

// cacheOutcome says how the cache answered.
type cacheOutcome string

const (
	cacheHit     cacheOutcome = "hit"
	cacheMiss    cacheOutcome = "miss"
	cacheRefresh cacheOutcome = "refresh"
)

func newUpstreamCache(opts UpstreamCacheOptions) (*upstreamCache, error) {
	if opts.RenewalOffset < 0 || opts.RenewalOffset > MaxLifetime {
		return nil, fmt.Errorf("the upstream cache renewal offset %v is out of range [0, %v]", opts.RenewalOffset, MaxLifetime)
	}
	return &upstreamCache{
		enabled: opts.Enabled,
		offset:  cmpOr(opts.RenewalOffset, DefaultUpstreamRenewalOffset),
		entries: map[upstreamKey]cachedUpstream{},
	}, nil
}

// IssueUpstreamCached is IssueUpstream behind an MSAL-like cache: it returns
// the cached token for clientID and lifetime while that token has more than
// the renewal offset left (cached reports it), else, or when forceRefresh is
// set, mints a new one and caches it. A cache hit reaches no issuer, so
// faults do not apply to it; a revoked token stays cached, as in MSAL. It
// works whether or not UpstreamCacheOptions.Enabled is set, which governs
// /oauth2/token only.
func (i *Issuer) IssueUpstreamCached(ctx context.Context, clientID string, lifetime time.Duration, forceRefresh bool) (tok credential.AccessToken, cached bool, err error) {
	tok, _, outcome, err := i.issueUpstreamCached(ctx, clientID, nil, lifetime, forceRefresh)
	return tok, outcome == cacheHit, err
}

func (i *Issuer) issueUpstreamCached(ctx context.Context, clientID string, scopes []string, lifetime time.Duration, force bool) (credential.AccessToken, Claims, cacheOutcome, error) {
	if err := ctx.Err(); err != nil {
		return credential.AccessToken{}, Claims{}, cacheMiss, err
	}
	c := i.upstreamCache
	key := upstreamKey{clientID: clientID, scopes: strings.Join(scopes, " "), lifetime: lifetime}
	outcome := cacheRefresh
	if !force {
		outcome = cacheMiss
		c.mu.Lock()
		e, ok := c.entries[key]
		c.mu.Unlock()
		if ok && e.tok.ExpiresOn.Sub(i.clock.Now()) > c.offset {
			return e.tok, e.claims, cacheHit, nil
		}
	}
	tok, claims, err := i.issueUpstream(ctx, clientID, scopes, lifetime, nil)
	if err != nil {
		return tok, claims, outcome, err
	}
	c.put(key, cachedUpstream{tok: tok, claims: claims}, i.clock.Now())
	return tok, claims, outcome, nil
}

// maxUpstreamCacheEntries bounds the cache: each client, scope set and
// asked lifetime has an entry.
const maxUpstreamCacheEntries = 10_000

// put caches e under key. A full cache first drops its expired tokens, then
// if need be one entry at random, so that it never holds more than
// maxUpstreamCacheEntries.
func (c *upstreamCache) put(key upstreamKey, e cachedUpstream, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= maxUpstreamCacheEntries {
		maps.DeleteFunc(c.entries, func(_ upstreamKey, e cachedUpstream) bool { return !e.tok.ExpiresOn.After(now) })
		for k := range c.entries {
			if len(c.entries) < maxUpstreamCacheEntries {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = e
}

// issueUpstreamForOAuth2 issues the token of /oauth2/token, through the
// upstream cache when it is enabled; the form field force_refresh=true skips
// the cache. The outcome is reported in the UpstreamCacheHeader.
func (i *Issuer) issueUpstreamForOAuth2(w http.ResponseWriter, r *http.Request, scopes []string, lifetime time.Duration) (credential.AccessToken, Claims, error) {
	if !i.upstreamCache.enabled {
		return i.issueUpstream(r.Context(), i.clientID, scopes, lifetime, nil)
	}
	force := false
	if v := r.PostForm.Get(ForceRefreshParam); v != "" {
		var err error
		if force, err = strconv.ParseBool(v); err != nil {
			i.countFailure("")
			return credential.AccessToken{}, Claims{}, badRequest("InvalidForceRefresh", fmt.Sprintf("%s=%q is not a boolean; send true or false", ForceRefreshParam, v))
		}
	}
	tok, claims, outcome, err := i.issueUpstreamCached(r.Context(), i.clientID, scopes, lifetime, force)
	w.Header().Set(UpstreamCacheHeader, string(outcome))
	return tok, claims, err
}

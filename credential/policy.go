package credential

import (
	"fmt"
	"strings"
	"time"
)

// MinRefreshDelay is the floor of every re-poll and retry delay, so that a
// token that keeps coming back short-lived, or a failing issuer, is never
// polled in a tight loop.
const MinRefreshDelay = time.Second

// DefaultAttemptTimeout is the tokentop policy's AttemptTimeout: far above a
// healthy issuer's latency (well under a second), yet short against the
// 10-minute window, so a hung attempt still leaves room for many retries
// before the token expires.
const DefaultAttemptTimeout = 30 * time.Second

// Policy holds the constants and rules that decide when a credential
// refreshes and how concurrent callers share a refresh. The predefined
// policies reproduce the official ACS SDKs; compare them side by side.
// The zero Policy in Options means DefaultPolicy.
type Policy struct {
	// Name identifies the policy ("tokentop", "js", "dotnet", "java", "python").
	Name string
	// ExpiringSoonWindow (W): a proactive refresh is scheduled W before expiry.
	ExpiringSoonWindow time.Duration
	// RefreshFraction (F): inside the window, the next proactive refresh is
	// scheduled after F of the remaining lifetime.
	RefreshFraction float64
	// OnDemandBuffer: GetToken refreshes (and waits) once the token has this
	// little validity left. 0 means only an expired token is refreshed on demand.
	OnDemandBuffer time.Duration
	// ProactiveOnDemandBuffer, if larger, replaces OnDemandBuffer when the
	// credential refreshes proactively (the Python SDK's 10 minutes).
	ProactiveOnDemandBuffer time.Duration
	// OpaqueTokenLifetime is the lifetime given to a token from the refresher
	// that is not a JWT and comes without an expiry.
	OpaqueTokenLifetime time.Duration
	// Coalesce makes concurrent callers share one refresh (single flight).
	// Without it (the Java SDK) every caller calls the refresher itself.
	Coalesce bool
	// WaiterTakesOver: when the caller that started a refresh fails, one of
	// the callers waiting on it starts another refresh instead of every one
	// getting the error (the .NET and Python SDKs).
	WaiterTakesOver bool
	// ServeValidWhileRefreshing: while any refresh is in flight, a still-valid
	// token is returned at once even inside the on-demand buffer (.NET, Python).
	ServeValidWhileRefreshing bool
	// RetryOnFailure: a failed refresh of a proactive credential is retried
	// with capped exponential backoff and jitter until it succeeds, also after
	// the token has expired (tokentop). Without it, proactive refresh stops
	// after a failed proactive attempt until a later refresh succeeds.
	RetryOnFailure bool
	// RetryFirstDelay is the delay before the first retry; it doubles per
	// consecutive failure (never below MinRefreshDelay).
	RetryFirstDelay time.Duration
	// RetryMaxDelay caps the retry delay.
	RetryMaxDelay time.Duration
	// AttemptTimeout limits a background refresh (proactive or retry), which
	// no caller can cancel, on the credential's clock: when it passes, the
	// refresher's context is cancelled and the attempt counts as failed, so
	// that a hung issuer cannot hold the credential for good. Zero means no
	// limit (the SDKs set none). A refresh a caller waits on is bounded by
	// the callers' own contexts instead.
	AttemptTimeout time.Duration
	// HonourRefreshOn makes an issuer's AccessToken.RefreshOn hint schedule the
	// proactive refresh when it is earlier than the policy's own schedule.
	HonourRefreshOn bool
	// HonourRetryAfter: after a failure whose error asks for a wait (a
	// RetryAfterError: an HTTP 429 or 503 with Retry-After), the issuer is
	// not called again, by a retry or a caller, until the wait is over.
	HonourRetryAfter bool
	// AttentionAfter, if positive, is how many permanent failures in a row (a
	// PermanentError, or a token rejected as expired or malformed) put the
	// credential in PhaseAttention: the issuer is then called only every
	// AttentionRetryDelay, and at once by Refresh.
	AttentionAfter int
	// AttentionRetryDelay is the wait between calls in PhaseAttention.
	AttentionRetryDelay time.Duration
}

// DefaultAttentionRetryDelay is the tokentop policy's AttentionRetryDelay.
const DefaultAttentionRetryDelay = time.Minute

// The predefined policies. All use the SDKs' 10-minute window, the fraction
// 0.5 and a 10-minute lifetime for opaque tokens.
var (
	// DefaultPolicy is tokentop's own: single flight, retries with backoff
	// until the issuer answers, cancels a background attempt after 30 s,
	// honours RefreshOn and Retry-After, and after two permanent failures in a
	// row calls the issuer once a minute until it is fixed.
	DefaultPolicy = Policy{
		Name: "tokentop", ExpiringSoonWindow: 10 * time.Minute, RefreshFraction: 0.5,
		OpaqueTokenLifetime: 10 * time.Minute, Coalesce: true,
		RetryOnFailure: true, RetryFirstDelay: time.Second, RetryMaxDelay: time.Minute,
		AttemptTimeout: DefaultAttemptTimeout, HonourRefreshOn: true,
		HonourRetryAfter: true, AttentionAfter: 2, AttentionRetryDelay: DefaultAttentionRetryDelay,
	}
	// PolicyJS is the JavaScript SDK: on-demand only when expired, waiters all
	// get the leader's error, proactive refresh stops after a failure.
	PolicyJS = Policy{
		Name: "js", ExpiringSoonWindow: 10 * time.Minute, RefreshFraction: 0.5,
		OpaqueTokenLifetime: 10 * time.Minute, Coalesce: true,
	}
	// PolicyDotNet is the .NET SDK: 2-minute on-demand buffer, a valid token
	// is served while another caller refreshes, one waiter takes over when
	// the leader fails.
	PolicyDotNet = Policy{
		Name: "dotnet", ExpiringSoonWindow: 10 * time.Minute, RefreshFraction: 0.5,
		OnDemandBuffer: 2 * time.Minute, OpaqueTokenLifetime: 10 * time.Minute,
		Coalesce: true, WaiterTakesOver: true, ServeValidWhileRefreshing: true,
	}
	// PolicyJava is the Java SDK: no coalescing, every caller refreshes.
	PolicyJava = Policy{
		Name: "java", ExpiringSoonWindow: 10 * time.Minute, RefreshFraction: 0.5,
		OpaqueTokenLifetime: 10 * time.Minute,
	}
	// PolicyPython is the Python SDK: like .NET, with a 10-minute on-demand
	// buffer when refreshing proactively.
	PolicyPython = Policy{
		Name: "python", ExpiringSoonWindow: 10 * time.Minute, RefreshFraction: 0.5,
		OnDemandBuffer: 2 * time.Minute, ProactiveOnDemandBuffer: 10 * time.Minute,
		OpaqueTokenLifetime: 10 * time.Minute,
		Coalesce:            true, WaiterTakesOver: true, ServeValidWhileRefreshing: true,
	}
)

// Policies lists the predefined policies, DefaultPolicy first.
func Policies() []Policy {
	return []Policy{DefaultPolicy, PolicyJS, PolicyDotNet, PolicyJava, PolicyPython}
}

// PolicyByName returns the predefined policy with that name ("tokentop",
// "js", "dotnet", "java", "python"; case-insensitive; "" means "tokentop").
func PolicyByName(name string) (Policy, error) {
	if name == "" {
		return DefaultPolicy, nil
	}
	var names []string
	for _, p := range Policies() {
		if strings.EqualFold(p.Name, name) {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Policy{}, fmt.Errorf("credential: unknown policy %q; choose one of %s", name, strings.Join(names, ", "))
}

// Validate reports a policy whose constants cannot work.
func (p Policy) Validate() error {
	switch {
	case p.ExpiringSoonWindow < 0:
		return fmt.Errorf("credential: policy %q: ExpiringSoonWindow %v is negative", p.Name, p.ExpiringSoonWindow)
	case !(p.RefreshFraction > 0 && p.RefreshFraction <= 1):
		return fmt.Errorf("credential: policy %q: RefreshFraction %v must be in (0, 1]", p.Name, p.RefreshFraction)
	case p.OnDemandBuffer < 0 || p.ProactiveOnDemandBuffer < 0:
		return fmt.Errorf("credential: policy %q: the on-demand buffers must not be negative", p.Name)
	case p.AttemptTimeout < 0:
		return fmt.Errorf("credential: policy %q: AttemptTimeout %v is negative (0 means no limit)", p.Name, p.AttemptTimeout)
	case p.OpaqueTokenLifetime <= 0:
		return fmt.Errorf("credential: policy %q: OpaqueTokenLifetime must be positive", p.Name)
	case p.AttentionAfter < 0 || (p.AttentionAfter > 0 && p.AttentionRetryDelay < MinRefreshDelay):
		return fmt.Errorf("credential: policy %q: AttentionAfter needs AttentionRetryDelay of at least %v", p.Name, MinRefreshDelay)
	case p.RetryOnFailure && (p.RetryFirstDelay <= 0 || p.RetryMaxDelay < p.RetryFirstDelay):
		return fmt.Errorf("credential: policy %q: retries need 0 < RetryFirstDelay <= RetryMaxDelay", p.Name)
	}
	return nil
}

// onDemandBuffer is the buffer in effect for a credential.
func (p Policy) onDemandBuffer(proactive bool) time.Duration {
	if proactive && p.ProactiveOnDemandBuffer > p.OnDemandBuffer {
		return p.ProactiveOnDemandBuffer
	}
	return p.OnDemandBuffer
}

// proactiveAt is when the next proactive refresh of tok is due: W before
// expiry outside the window, after F of the remaining lifetime inside it, or
// at the RefreshOn hint if the policy honours it and it is earlier; never
// sooner than MinRefreshDelay from now. It works on instants, not durations,
// so that a far-future expiry (year 3000) cannot saturate into an early fire.
func (p Policy) proactiveAt(tok AccessToken, now time.Time) time.Time {
	at := tok.ExpiresOn.Add(-p.ExpiringSoonWindow)
	if !now.Before(at) { // inside the window
		at = now.Add(time.Duration(float64(tok.ExpiresOn.Sub(now)) * p.RefreshFraction))
	}
	if p.HonourRefreshOn && !tok.RefreshOn.IsZero() && tok.RefreshOn.Before(at) {
		at = tok.RefreshOn
	}
	if floor := now.Add(MinRefreshDelay); at.Before(floor) {
		at = floor
	}
	return at
}

// retryDelay is the backoff before the retry that follows the n-th
// consecutive failure: RetryFirstDelay doubled n-1 times, capped at
// RetryMaxDelay and at ttl/2 while the token is still valid (ttl > 0), then
// jittered to between 80% and 100% of that (jitter in [0, 1)); never below
// MinRefreshDelay.
func (p Policy) retryDelay(n int, ttl time.Duration, jitter float64) time.Duration {
	d := p.RetryFirstDelay
	for i := 1; i < n && d < p.RetryMaxDelay; i++ {
		if d > p.RetryMaxDelay/2 { // doubling would pass the cap (or overflow)
			d = p.RetryMaxDelay
			break
		}
		d *= 2
	}
	d = min(d, p.RetryMaxDelay)
	if ttl > 0 {
		d = min(d, ttl/2)
	}
	// Jitter after capping, downwards, so that sessions failing together
	// spread out also at the caps, and no cap is ever exceeded.
	d = time.Duration(float64(d) * (1 - 0.2*(1-jitter)))
	return max(d, MinRefreshDelay)
}

package session

import (
	"context"
	"time"

	"tokentop/credential"
	"tokentop/internal/clock"
	"tokentop/issuer"
)

// Options configure a Manager.
type Options struct {
	// Issuer issues the sessions' tokens. Required.
	Issuer issuer.Issuer
	// Clock is the time of the credentials, callers and timeline: a
	// *clock.Loop (sim or paced) that the caller runs and shares with the
	// issuer, or nil (or clock.Real) for the wall clock, on a loop that
	// follows it (clock.NewWall) and that the manager runs itself until
	// Close. Sim time needs an in-process issuer (the fake).
	Clock clock.Clock
	// Resource checks a token as a protected resource would (the fake's
	// /api/me); nil means Issuer, if it implements ResourceChecker (as the
	// fake does), else no resource checks. It is called on the manager's
	// loop, so it must answer at once (the fake's does).
	Resource ResourceChecker
	// Faults injects issuer faults; nil means Issuer, if it implements
	// issuer.FaultInjector (as the fake does), else InjectFault reports that
	// the issuer takes no faults.
	Faults issuer.FaultInjector
	// Teams issues upstream tokens and exchanges them for Teams sessions;
	// nil means Issuer, if it implements TeamsIssuer.
	Teams TeamsIssuer
	// LogSize is how many events each session keeps; 0 means DefaultLogSize
	// and a negative size keeps none (a headless run, where nobody reads
	// them, counts them only).
	LogSize int
	// CallTimeout bounds each simulated caller's and burst call's GetToken
	// (and resource check), and the Refresh action's wait for its refresh,
	// on the manager's clock; 0 means one minute.
	CallTimeout time.Duration
	// IssueTimeout bounds every issuer call the manager makes, on the
	// manager's clock: each issue (static, initial or refresh), each Teams
	// upstream fetch and exchange, each revocation. 0 means 30 seconds. It is
	// the app-level limit that holds for every refresh policy and issuer,
	// like the HTTP adapters' own: a call that has not answered by then
	// fails with an error wrapping context.DeadlineExceeded, so a refresh
	// nobody waits on (a proactive one) cannot hang the session past expiry.
	IssueTimeout time.Duration
	// IssuerLatency is how long every call of an in-process issuer (the
	// fake) takes: its own work costs no virtual time on the loop, so this,
	// plus any injected latency, is the latency the sessions see. 0 means
	// DefaultIssuerLatency; negative means none.
	IssuerLatency time.Duration
	// Seed seeds every random choice the sessions make (retry jitter) with an
	// in-process issuer, so that a run can be repeated exactly.
	Seed uint64
	// Cache keeps the tokens of persisted sessions (Spec.Persist) across
	// restarts; nil means an in-memory cache, which only a restart inside
	// the process (the restart action) resumes from.
	Cache TokenCache
}

// DefaultIssuerLatency is Options.IssuerLatency's default: a healthy
// issuer's answer over a network.
const DefaultIssuerLatency = 20 * time.Millisecond

// ResourceChecker checks a token at a protected resource.
type ResourceChecker interface {
	// CheckToken returns nil if the resource accepts raw, or an error saying
	// why it refuses it (expired, revoked, bad signature...).
	CheckToken(ctx context.Context, raw string) error
}

// ResourceCheckFunc adapts a function to ResourceChecker.
type ResourceCheckFunc func(ctx context.Context, raw string) error

// CheckToken calls f.
func (f ResourceCheckFunc) CheckToken(ctx context.Context, raw string) error { return f(ctx, raw) }

// TeamsIssuer is what a Teams session needs of its issuer: upstream (Entra
// style) tokens, and their exchange for ACS tokens of the same expiry.
type TeamsIssuer interface {
	IssueUpstream(ctx context.Context, clientID string, lifetime time.Duration) (credential.AccessToken, error)
	ExchangeTeamsToken(ctx context.Context, teamsToken string) (credential.AccessToken, error)
}

// SimulatedTeamsIssuer is a TeamsIssuer whose calls can be simulated, as
// an issuer.DelayReporter's: they return at once with the waiting they
// would have done. With it (and an issuer.DelayReporter as Options.Issuer)
// a Teams session runs in simulated time.
type SimulatedTeamsIssuer interface {
	TeamsIssuer
	// IssueUpstreamSimulated is IssueUpstream without the waiting.
	IssueUpstreamSimulated(ctx context.Context, clientID string, lifetime time.Duration) (credential.AccessToken, issuer.Delay, error)
	// ExchangeTeamsTokenSimulated is ExchangeTeamsToken without the waiting.
	ExchangeTeamsTokenSimulated(ctx context.Context, teamsToken string) (credential.AccessToken, issuer.Delay, error)
}

const (
	defaultCallTimeout  = time.Minute
	defaultIssueTimeout = 30 * time.Second
)

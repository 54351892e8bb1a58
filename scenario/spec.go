package scenario

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"tokentop/credential"
)

// Spec declares one session: whose tokens, from which kind of credential,
// under which refresh policy, and what simulated callers do with them.
type Spec struct {
	// Name identifies the session in the manager; it must be unique.
	Name string
	// Identity is the user the tokens are for (the issuer's identity).
	Identity string
	// Scopes are asked of the issuer; empty means the issuer's default.
	Scopes []string
	// Static makes a static credential: one token, issued when the session is
	// added (or StaticToken), never refreshed.
	Static bool
	// StaticToken is the raw token of a static session; empty means issue one.
	StaticToken string
	// Proactive refreshes ahead of expiry instead of only on demand.
	Proactive bool
	// InitialToken seeds a refreshing credential with a raw token.
	InitialToken string
	// IssueInitial seeds a refreshing credential with a token issued when the
	// session is added (ignored when InitialToken is set).
	IssueInitial bool
	// Policy is the refresh policy's name: tokentop (the default), js,
	// dotnet, java or python.
	Policy string
	// Lifetime is the token validity asked of the issuer; zero means the
	// issuer's default.
	Lifetime time.Duration
	// Callers is how many simulated callers call GetToken, each every
	// CallInterval, from the moment the session is added.
	Callers int
	// CallInterval is the pause between one caller's calls; zero means one
	// minute.
	CallInterval time.Duration
	// Resource sends each token a caller obtains to the resource check (the
	// fake's /api/me), so revoked or expired tokens show up as refusals.
	Resource bool
	// ResourceURL is where the resource check sends the token (a GET with
	// "Authorization: Bearer"; a 2xx answer accepts it): an https:// URL, or
	// an http:// one on a loopback host, such as tokentop fakeissuer's
	// /api/me or a real API. Empty means the in-process fake's check.
	ResourceURL string
	// Teams, when set, makes a two-stage Teams session: an upstream token
	// through an MSAL-like cache, then an exchange for an ACS token.
	Teams *TeamsSpec
	// Persist keeps each token the session accepts in the manager's token
	// cache (session.Options.Cache) and, when the session starts, resumes from a
	// cached token that is still valid instead of asking the issuer. Only
	// access tokens are kept, never a refresh secret.
	Persist bool
}

// TeamsSpec configures a Teams session's two-stage refresher.
type TeamsSpec struct {
	// ClientID names the upstream application; empty means "tokentop".
	ClientID string
	// UpstreamLifetime is the upstream (Entra-like) token's validity; zero
	// means one hour.
	UpstreamLifetime time.Duration
	// RenewalOffset is how long before its expiry the cache renews the
	// upstream token; zero means five minutes, as MSAL does.
	RenewalOffset time.Duration
	// ForceRefreshUnder forces a new upstream token when the cached one has
	// this much validity or less; zero disables the fix.
	ForceRefreshUnder time.Duration
}

// Limits on what specs, scenarios and bursts may ask for, far above any
// useful run, so that a typo such as "count": 1000000000 is an error naming
// the field instead of an out-of-memory crash.
const (
	// MaxCallers is the most simulated callers one session may have.
	MaxCallers = 10_000
	// MaxScenarioSessions is the most sessions one scenario may declare,
	// counting each copy a "count" makes.
	MaxScenarioSessions = 100_000
	// MaxScenarioCallers is the most simulated callers one scenario may
	// declare in total, over all its sessions and their copies.
	MaxScenarioCallers = 100_000
	// MaxBurst is the most concurrent calls one burst may start.
	MaxBurst = 100_000
	// MaxNameLen is the longest session name or identity, in bytes, as the
	// fake issuer allows for identities. Names label every metric series and
	// line of output: 4000-byte names made a scrape of 1000 sessions 186 MB.
	MaxNameLen = 256
	// MinCallInterval is the shortest pause a caller may take between calls:
	// one of 1ns made an hour of sim time take days of CPU.
	MinCallInterval = time.Millisecond
)

// PolicyNames returns the refresh policy names a Spec accepts, those of
// credential.Policies(), the default first.
func PolicyNames() []string {
	policies := credential.Policies()
	names := make([]string, len(policies))
	for i, p := range policies {
		names[i] = p.Name
	}
	return names
}

// Validate reports the first thing wrong with the spec, naming the field.
// Names, identities, scopes and the Teams client ID must be printable: no
// control characters (newlines, terminal escapes) and no bidirectional
// overrides, since they are printed as they are.
func (s Spec) Validate() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("name: a session needs a name")
	case len(s.Name) > MaxNameLen:
		return fmt.Errorf("name: %s", overLong(s.Name))
	case len(s.Identity) > MaxNameLen:
		return fmt.Errorf("identity: %s", overLong(s.Identity))
	case s.Identity == "":
		return fmt.Errorf("identity: session %q needs an identity (the user its tokens are for)", s.Name)
	case s.Callers < 0:
		return fmt.Errorf("callers: %d is negative; use 0 or more simulated callers", s.Callers)
	case s.Callers > MaxCallers:
		return fmt.Errorf("callers: %d is over the limit of %d simulated callers per session; use fewer, or more sessions", s.Callers, MaxCallers)
	case s.CallInterval < 0:
		return fmt.Errorf("call_interval: %s is negative; use a positive duration such as \"30s\"", s.CallInterval)
	case s.CallInterval > 0 && s.CallInterval < MinCallInterval:
		return fmt.Errorf("call_interval: %s is under the floor of %s; use %s or more, or leave it out for %s", s.CallInterval, MinCallInterval, MinCallInterval, DefaultCallInterval)
	case s.Lifetime < 0:
		return fmt.Errorf("lifetime: %s is negative; use a positive duration such as \"1h\", or omit it", s.Lifetime)
	case s.Static && s.Teams != nil:
		return fmt.Errorf("static: a Teams session refreshes through its exchange and cannot be static")
	case s.Static && s.Proactive:
		return fmt.Errorf("proactive: a static session never refreshes; drop proactive or static")
	}
	if err := checkPrintable(s.Name); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if err := checkPrintable(s.Identity); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	for _, scope := range s.Scopes {
		if err := checkPrintable(scope); err != nil {
			return fmt.Errorf("scopes: %w", err)
		}
	}
	if err := checkResourceURL(s.ResourceURL); err != nil {
		return fmt.Errorf("resource_url: %w", err)
	}
	if _, err := credential.PolicyByName(s.Policy); err != nil {
		return fmt.Errorf("policy: %q is not a policy; use one of %s", s.Policy, strings.Join(PolicyNames(), ", "))
	}
	if t := s.Teams; t != nil {
		switch {
		case t.UpstreamLifetime < 0:
			return fmt.Errorf("teams.upstream_lifetime: %s is negative", t.UpstreamLifetime)
		case t.RenewalOffset < 0:
			return fmt.Errorf("teams.renewal_offset: %s is negative", t.RenewalOffset)
		case t.ForceRefreshUnder < 0:
			return fmt.Errorf("teams.force_refresh_under: %s is negative", t.ForceRefreshUnder)
		}
		if err := checkPrintable(t.ClientID); err != nil {
			return fmt.Errorf("teams.client_id: %w", err)
		}
	}
	return nil
}

// overLong says a name or identity is over MaxNameLen, quoting only its
// ends: the whole of it may be megabytes.
func overLong(s string) string {
	return fmt.Sprintf("%q is %d bytes long, over the limit of %d bytes; use a shorter one", elide(s, 40), len(s), MaxNameLen)
}

// PolicyLabel is what the session's policy column shows: the policy name,
// or "static" for a static credential.
func (s Spec) PolicyLabel() string {
	if s.Static {
		return "static"
	}
	if s.Policy == "" {
		return DefaultPolicy
	}
	return s.Policy
}

// maxResourceURLLen bounds a resource_url; real ones are well under it.
const maxResourceURLLen = 2048

// checkResourceURL refuses a resource check URL that is not https:// or
// loopback http://: the check sends a token, which must not cross a network
// in the clear.
func checkResourceURL(raw string) error {
	if raw == "" {
		return nil
	}
	if len(raw) > maxResourceURLLen {
		return fmt.Errorf("%q is %d bytes long, over the limit of %d bytes", elide(raw, 40), len(raw), maxResourceURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%q is not an http(s)://HOST/PATH URL without credentials in it, such as https://api.example/me", elide(raw, 100))
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return fmt.Errorf("%q would send tokens in the clear: use https://, or http:// only to a loopback host (127.0.0.1, [::1], localhost)", elide(raw, 100))
	}
	return nil
}

// loopbackHost reports whether host names this machine: localhost or a
// loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

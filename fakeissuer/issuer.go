package fakeissuer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"tokentop/credential"
	"tokentop/internal/clock"
	"tokentop/issuer"
)

// Defaults used when Options leaves a field zero.
const (
	// DefaultIssuerURL is the iss claim of tokens when Options.IssuerURL is empty.
	DefaultIssuerURL = "urn:tokentop:fakeissuer"
	// DefaultAudience is the aud claim of ACS-style tokens.
	DefaultAudience = "urn:tokentop:acs"
	// UpstreamAudience is the aud claim of upstream (Teams / Entra style)
	// tokens: the ACS token exchange resource.
	UpstreamAudience = "https://auth.msft.communication.azure.com"
	// DefaultLifetime is the lifetime of a token when none is asked for, as in ACS.
	DefaultLifetime = 24 * time.Hour
	// DefaultUpstreamLifetime is the lifetime of an upstream token, as in Entra ID.
	DefaultUpstreamLifetime = time.Hour
	// DefaultClientID is the OAuth2 client id when none is configured.
	DefaultClientID = "tokentop"
	// MaxLifetime is the longest lifetime a token can be asked for.
	MaxLifetime = issuer.MaxLifetime
)

// Limits of Options.Warp, as of tokentop's --speed.
const (
	MinWarp = 0.01
	MaxWarp = 1e6
)

// defaultScopes are the scopes of a token when the request names none.
var defaultScopes = []string{"chat", "voip"}

// Options configure an Issuer. The zero value is usable.
type Options struct {
	// Clock is the time source for minting, verification, latency and
	// outages; nil means the real clock. Share it with the credentials to
	// time-warp end to end.
	Clock clock.Clock
	// Algorithm is ES256 (the default), RS256 or HS256.
	Algorithm string
	// KeyFile is a PEM private key (or an HS256 secret) to sign with; empty
	// means a key generated at start. With a key file and no Algorithm, the
	// algorithm follows the key.
	KeyFile string
	// IssuerURL is the iss claim and the OIDC issuer; default DefaultIssuerURL.
	IssuerURL string
	// Audience is the aud claim of ACS-style tokens; default DefaultAudience.
	Audience string
	// DefaultLifetime is used when a request asks for none; default 24h.
	DefaultLifetime time.Duration
	// UpstreamLifetime is the default lifetime of upstream (OAuth2, Teams)
	// tokens; default 1h.
	UpstreamLifetime time.Duration
	// ResourceID is the ACS resource id inside identity ids
	// (8:acs:<resource>_<uuid>); default a random UUID.
	ResourceID string
	// ClientID and ClientSecret are the OAuth2 client credentials accepted by
	// /oauth2/token; defaults DefaultClientID and a generated secret.
	ClientID     string
	ClientSecret string
	// ACS configures the ACS Identity REST API emulation: the access key
	// of its connection string.
	ACS ACSOptions
	// UpstreamCache makes /oauth2/token answer from an MSAL-like token
	// cache; off by default.
	UpstreamCache UpstreamCacheOptions
	// MaxIdentities is the most identities the issuer holds (plain names
	// registered on first use, ACS identities, deleted ones included);
	// beyond it a request that would add one fails with 429. Zero means
	// DefaultMaxIdentities; at most MaxMaxIdentities.
	MaxIdentities int
	// Refresh is the refresh-token policy of user sessions (refresh.go);
	// the zero value is DefaultRefreshPolicy. The admin API can change it.
	Refresh RefreshPolicy
	// Device is the device authorization policy (device.go); zero fields
	// take the defaults of DevicePolicy. The admin API can change it.
	Device DevicePolicy
	// MaxFamilies is the most refresh-token families (sign-ins) the issuer
	// holds; beyond it, expired and revoked families are evicted, and a
	// sign-in that still finds no room fails with 429. Zero means
	// DefaultMaxFamilies; at most MaxMaxFamilies.
	MaxFamilies int
	// OnRefreshEvent, when set, hears what the issuer does to refresh-token
	// families (rotations, replays, revocations), synchronously on the
	// goroutine of the grant and outside the issuer's locks: it must not
	// block.
	OnRefreshEvent func(RefreshEvent)
	// Warp divides every token's lifetime while its times stay on Clock:
	// at 60 an hour-long token is stamped iat = nbf = now and expires one
	// Clock minute later, with the lifetime asked for in its ttl_nominal
	// claim (seconds). Served on the real clock, such tokens pass any JOSE
	// verifier, where those of a sped-up clock would be "not yet valid"
	// (their iat would lie ahead of the verifier's). Warped lifetimes are
	// whole seconds, rounded up, at least one. The upstream cache's renewal
	// offset is divided alike; fault latencies and outages are not. 0 or 1
	// means no warp; otherwise from MinWarp to MaxWarp.
	Warp float64
}

// Issuer is the fake token issuer. It is safe for concurrent use.
type Issuer struct {
	clock           clock.Clock
	key             *signingKey
	issuerURL       string
	audience        string
	defaultLifetime time.Duration
	upstreamLife    time.Duration
	resourceID      string
	clientID        string
	clientSecret    string
	secretGenerated bool
	warp            float64 // Options.Warp; 1 when none

	seq atomic.Uint64 // last token sequence number (in jti); orders tokens against revocations

	identities *identityTable // sharded, so that callers for different identities do not queue
	totals     atomicCounters
	faults     faultSet
	minted     mintCounts // by route (metrics.go)

	mux     *http.ServeMux
	handler http.Handler

	users *userStore // refresh-token families and device grants (refresh.go, device.go)

	acs           *acsService    // ACS Identity REST emulation (acs.go)
	upstreamCache *upstreamCache // MSAL-like cache of /oauth2/token (teams_cache.go)
}

var (
	_ issuer.Issuer          = (*Issuer)(nil)
	_ issuer.Revoker         = (*Issuer)(nil)
	_ issuer.DelayReporter   = (*Issuer)(nil)
	_ issuer.CacheIdentifier = (*Issuer)(nil)
)

// New returns an issuer with a fresh signing key (or the one in
// opts.KeyFile), no identities and no faults.
func New(opts Options) (*Issuer, error) {
	key, err := newSigningKey(opts.Algorithm, opts.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("fake issuer: %w", err)
	}
	if opts.DefaultLifetime < 0 || opts.DefaultLifetime > MaxLifetime {
		return nil, fmt.Errorf("fake issuer: default lifetime %v is out of range (0, %v]", opts.DefaultLifetime, MaxLifetime)
	}
	if opts.UpstreamLifetime < 0 || opts.UpstreamLifetime > MaxLifetime {
		return nil, fmt.Errorf("fake issuer: upstream lifetime %v is out of range (0, %v]", opts.UpstreamLifetime, MaxLifetime)
	}
	if opts.MaxIdentities < 0 || opts.MaxIdentities > MaxMaxIdentities {
		return nil, fmt.Errorf("fake issuer: maximum identities %d is out of range 1..%d (0 for the default %d)", opts.MaxIdentities, MaxMaxIdentities, DefaultMaxIdentities)
	}
	if opts.MaxFamilies < 0 || opts.MaxFamilies > MaxMaxFamilies {
		return nil, fmt.Errorf("fake issuer: maximum refresh-token families %d is out of range 1..%d (0 for the default %d)", opts.MaxFamilies, MaxMaxFamilies, DefaultMaxFamilies)
	}
	if w := opts.Warp; w != 0 && !(w >= MinWarp && w <= MaxWarp) { // NaN too
		return nil, fmt.Errorf("fake issuer: warp %v is out of range %g..%g (0 or 1 for none)", w, MinWarp, MaxWarp)
	}
	i := &Issuer{
		clock:           opts.Clock,
		key:             key,
		issuerURL:       strings.TrimRight(cmpOr(opts.IssuerURL, DefaultIssuerURL), "/"),
		audience:        cmpOr(opts.Audience, DefaultAudience),
		defaultLifetime: cmpOr(opts.DefaultLifetime, DefaultLifetime),
		upstreamLife:    cmpOr(opts.UpstreamLifetime, DefaultUpstreamLifetime),
		resourceID:      cmpOr(opts.ResourceID, newUUID()),
		clientID:        cmpOr(opts.ClientID, DefaultClientID),
		clientSecret:    opts.ClientSecret,
		identities:      newIdentityTable(cmpOr(opts.MaxIdentities, DefaultMaxIdentities)),
		warp:            cmpOr(opts.Warp, 1),
	}
	if i.clock == nil {
		i.clock = clock.Real{}
	}
	users, err := newUserStore(opts)
	if err != nil {
		return nil, fmt.Errorf("fake issuer: %w", err)
	}
	i.users = users
	// Sequence numbers start at the wall-clock nanosecond, so that a restarted
	// issuer (same key file) numbers its tokens after the previous run's and a
	// revocation also covers tokens minted before the restart.
	i.seq.Store(uint64(time.Now().UnixNano()))
	if i.clientSecret == "" {
		i.clientSecret = randomHex(24)
		i.secretGenerated = true
	}
	if err := i.initACS(opts); err != nil {
		return nil, fmt.Errorf("fake issuer: %w", err)
	}
	if i.upstreamCache != nil {
		// Renew as far before a warped expiry as before a nominal one.
		i.upstreamCache.offset = i.WarpLifetime(i.upstreamCache.offset)
	}
	i.buildHandler()
	return i, nil
}

func cmpOr[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}

// Name describes the issuer for display.
func (i *Issuer) Name() string { return "fake (in-process)" }

// Algorithm returns the signing algorithm (ES256, RS256 or HS256).
func (i *Issuer) Algorithm() string { return i.key.alg }

// KeyID returns the kid of the signing key.
func (i *Issuer) KeyID() string { return i.key.kid }

// VerificationKey returns the key that verifies the issuer's tokens: an
// *ecdsa.PublicKey, an *rsa.PublicKey, or for HS256 the shared secret.
func (i *Issuer) VerificationKey() any { return i.key.verify }

// IssuerURL returns the iss claim of the issuer's tokens.
func (i *Issuer) IssuerURL() string { return i.issuerURL }

// Clock returns the issuer's clock.
func (i *Issuer) Clock() clock.Clock { return i.clock }

// Warp returns Options.Warp, 1 when the issuer has none.
func (i *Issuer) Warp() float64 { return i.warp }

// ClientID returns the OAuth2 client id accepted by /oauth2/token.
func (i *Issuer) ClientID() string { return i.clientID }

// ClientSecret returns the OAuth2 client secret accepted by /oauth2/token.
// Do not print it unless the user asked to see secrets.
func (i *Issuer) ClientSecret() string { return i.clientSecret }

// ClientSecretGenerated reports whether the client secret was generated at
// start rather than configured.
func (i *Issuer) ClientSecretGenerated() bool { return i.secretGenerated }

// Issue mints a token for r.Identity after applying any injected faults. A
// plain name (e.g. "alice") is registered on first use; an ACS id
// (8:acs:...) must have been made by CreateIdentity and not deleted.
func (i *Issuer) Issue(ctx context.Context, r issuer.Request) (credential.AccessToken, error) {
	return i.issueRequest(ctx, r, nil)
}

// IssueSimulated is Issue for a simulator (issuer.DelayReporter): injected
// latency and hangs are returned as a Delay, for the simulator to play out
// as virtual time, instead of waited for; it returns at once. Revoke and
// CheckToken never wait.
func (i *Issuer) IssueSimulated(ctx context.Context, r issuer.Request) (credential.AccessToken, issuer.Delay, error) {
	var d issuer.Delay
	tok, err := i.issueRequest(ctx, r, &d)
	return tok, d, err
}

// issueRequest is Issue; with delay set, the waiting is reported there
// instead of done.
func (i *Issuer) issueRequest(ctx context.Context, r issuer.Request, delay *issuer.Delay) (credential.AccessToken, error) {
	if strings.TrimSpace(r.Identity) == "" {
		i.countFailure("")
		return credential.AccessToken{}, badRequest("InvalidIdentity", "the token request names no identity; set Request.Identity")
	}
	lifetime, err := i.lifetimeOrDefault(r.Lifetime, i.defaultLifetime)
	if err != nil {
		i.countFailure(r.Identity)
		return credential.AccessToken{}, err
	}
	tok, _, err := i.issue(ctx, mintSpec{
		subject:  r.Identity,
		scopes:   r.Scopes,
		lifetime: lifetime,
		audience: i.audience,
		delay:    delay,
	})
	return tok, err
}

// Revoke revokes every token of identity issued so far: from now on Verify
// refuses them. Tokens issued afterwards are valid. A plain name is
// registered if new, so that the revocation outlives a restart with the
// same key.
func (i *Issuer) Revoke(ctx context.Context, identity string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st, err := i.liveIdentity(identity)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.goneLocked(); err != nil {
		return err
	}
	st.revokedSeq = i.seq.Load()
	st.revokedAt = i.clock.Now()
	i.bump(st, counterRevoked)
	return nil
}

func (i *Issuer) lifetimeOrDefault(asked, def time.Duration) (time.Duration, error) {
	switch {
	case asked == 0:
		return def, nil
	case asked < 0:
		return 0, badRequest("InvalidLifetime", fmt.Sprintf("token lifetime %v is negative; ask for a positive lifetime or zero for the default (%v)", asked, def))
	case asked > MaxLifetime:
		return 0, badRequest("InvalidLifetime", fmt.Sprintf("token lifetime %v is longer than the maximum %v", asked, MaxLifetime))
	}
	return asked, nil
}

// Limits on the scopes of a token request.
const (
	// MaxScopes is the most scopes a token request may name.
	MaxScopes = 32
	// MaxScopeLen is the longest scope accepted, in bytes.
	MaxScopeLen = 256
)

// checkScopes refuses too many scopes, or one that is too long or not
// printable.
func checkScopes(scopes []string) error {
	if len(scopes) > MaxScopes {
		return badRequest("InvalidScope", fmt.Sprintf("the request names %d scopes; the most is %d", len(scopes), MaxScopes))
	}
	for n, sc := range scopes {
		if len(sc) > MaxScopeLen {
			return badRequest("InvalidScope", fmt.Sprintf("scope %d is %d bytes long; the most is %d", n+1, len(sc), MaxScopeLen))
		}
		if err := checkPrintable(sc); err != nil {
			return badRequest("InvalidScope", fmt.Sprintf("scope %d %v", n+1, err))
		}
	}
	return nil
}

// issue runs one token request through the checks of its subject and
// scopes, the faults, the identity, then mints. It is the single path every
// issuing entry point (in-process and HTTP) takes.
func (i *Issuer) issue(ctx context.Context, spec mintSpec) (credential.AccessToken, Claims, error) {
	err := checkIdentity("identity", spec.subject)
	if err == nil {
		err = checkScopes(spec.scopes)
	}
	if err != nil {
		i.countFailure("")
		return credential.AccessToken{}, Claims{}, err
	}
	eff, err := i.applyFaults(ctx, faultCall{identity: spec.subject}, spec.delay)
	if err != nil {
		i.countFailure(spec.subject)
		return credential.AccessToken{}, Claims{}, err
	}
	return i.mintWith(spec, eff)
}

// mintWith mints for spec's subject with the effects of the faults already
// taken for the call: the second half of issue, which user-session grants
// call after deciding, under their store's lock, what the grant does.
func (i *Issuer) mintWith(spec mintSpec, eff faultEffects) (credential.AccessToken, Claims, error) {
	st, err := i.liveIdentity(spec.subject)
	if err != nil {
		i.countFailure(spec.subject)
		return credential.AccessToken{}, Claims{}, err
	}
	if eff.lifetime > 0 && eff.lifetime < spec.lifetime {
		spec.lifetime = eff.lifetime
		spec.expiresAt = time.Time{} // the cap wins over a fixed expiry (Teams exchange)
	}
	if eff.expired {
		spec.expired = true
	}
	tok, claims, err := i.mint(spec, st)
	if err != nil {
		i.bump(st, counterFailed)
		return credential.AccessToken{}, Claims{}, err
	}
	if eff.malformed {
		tok.Token, tok.Minted = malformToken(tok.Token), false // the credential is to find it malformed
	}
	i.bump(st, counterIssued)
	return tok, claims, nil
}

// malformToken turns a JWT into something that still has three segments but
// whose payload is not base64url JSON, as a broken issuer might return.
func malformToken(raw string) string {
	parts := strings.SplitN(raw, ".", 3)
	if len(parts) != 3 {
		return "malformed.token.!"
	}
	return parts[0] + ".!not-base64-json!." + parts[2]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// errorsAs is errors.As with a typed result.
func errorsAs[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}

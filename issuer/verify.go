package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// WhyNoKeys is why an adapter given no KeySource checks no signature.
const WhyNoKeys = "no keys configured"

// discoveryRetry is how long after a failed OIDC discovery the adapter
// tries it again (at a token's check, never in the background).
const discoveryRetry = time.Minute

// unknownKIDRefresh is how often at most a token whose kid is not in the
// key set refreshes it: keyfunc's default rate limit.
const unknownKIDRefresh = 5 * time.Minute

// maxDiscoveryBytes bounds the OIDC discovery document; a real one is a few
// KiB.
const maxDiscoveryBytes = 256 << 10

// checkedAlgs are the signature algorithms a public key set can verify.
// HS256 and friends are signed with a shared secret, which a JWK Set does
// not publish; "none" is no signature.
var checkedAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// keySet checks the signatures of an adapter's tokens against the issuer's
// JWK Set, through keyfunc: the set is fetched when the adapter is built,
// every hour, and when a token names a kid it lacks (at most once per
// unknownKIDRefresh). Every fetch goes through the adapter's HTTP client
// (its body limit, same-origin redirects) and is bounded by the adapter's
// timeout. A failure never fails a token: the token's SignatureCheck says
// what went wrong. close ends keyfunc's refresh goroutine.
type keySet struct {
	src     KeySource
	client  *http.Client
	timeout time.Duration
	now     func() time.Time // when discovery may be retried
	life    context.Context  // ends with close: keyfunc's refresh goroutine and any fetch
	stop    context.CancelFunc

	refreshErr atomic.Pointer[string] // the last failed JWK Set fetch, for the why

	mu      sync.Mutex
	kf      keyfunc.Keyfunc // nil until the JWK Set's URL is known
	loading bool            // a caller is discovering the URL; the others do not wait
	failed  error           // why the last discovery failed
	retryAt time.Time       // when discovery may be tried again
}

// newKeySet returns the key set src names, fetched with client (an adapter
// client: bounded responses), or nil if src names none. The first fetch
// happens here; if it fails the adapter still works, and its tokens say why
// their signature was not checked.
func newKeySet(src KeySource, client *http.Client, opts Options) (*keySet, error) {
	if !src.Configured() {
		return nil, nil
	}
	if err := src.check(); err != nil {
		return nil, err
	}
	life, stop := context.WithCancel(context.Background())
	k := &keySet{src: src, client: client, timeout: opts.timeout(), now: opts.now, life: life, stop: stop}
	k.keyfunc()
	return k, nil
}

// close stops the key set's background refresh. It is safe on nil.
func (k *keySet) close() {
	if k != nil {
		k.stop()
	}
}

// keyfunc returns the keyfunc of the JWK Set, discovering its URL first if
// need be; nil and the reason while the URL is unknown.
func (k *keySet) keyfunc() (keyfunc.Keyfunc, error) {
	k.mu.Lock()
	if k.kf != nil {
		defer k.mu.Unlock()
		return k.kf, nil
	}
	if k.loading {
		k.mu.Unlock()
		return nil, errors.New("the key set is being fetched")
	}
	if !k.retryAt.IsZero() && k.now().Before(k.retryAt) {
		defer k.mu.Unlock()
		return nil, k.failed
	}
	k.loading = true
	k.mu.Unlock()

	kf, err := k.load()

	k.mu.Lock()
	defer k.mu.Unlock()
	k.loading = false
	if err != nil {
		k.failed, k.retryAt = err, k.now().Add(discoveryRetry)
		return nil, err
	}
	k.kf = kf
	return kf, nil
}

// load finds the JWK Set's URL and starts keyfunc on it.
func (k *keySet) load() (keyfunc.Keyfunc, error) {
	jwksURL := k.src.JWKS
	if jwksURL == "" {
		var err error
		if jwksURL, err = k.discover(); err != nil {
			return nil, err
		}
	}
	kf, err := keyfunc.NewDefaultOverrideCtx(k.life, []string{jwksURL}, keyfunc.Override{
		Client:           k.client,
		HTTPTimeout:      k.timeout,
		RateLimitWaitMax: k.timeout, // a refresh refused by the rate limit fails at once: see check
		RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				msg := oneLine(err.Error())
				k.refreshErr.Store(&msg)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("the key set's URL: %w", err)
	}
	return kf, nil
}

// discover reads jwks_uri from the issuer's OIDC discovery document.
func (k *keySet) discover() (string, error) {
	ctx, cancel := context.WithTimeoutCause(k.life, k.timeout, ErrTimeout)
	defer cancel()
	u := strings.TrimRight(k.src.IssuerURL, "/")
	if !strings.HasSuffix(u, "/.well-known/openid-configuration") {
		u += "/.well-known/openid-configuration"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("OIDC discovery: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("OIDC discovery: %w", describeCallError(ctx, k.timeout, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("OIDC discovery: %w", describeCallError(ctx, k.timeout, err))
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("OIDC discovery: %s answered %s", redactURL(req.URL), resp.Status)
	case len(body) > maxDiscoveryBytes:
		return "", fmt.Errorf("OIDC discovery: the document at %s is larger than %d KiB", redactURL(req.URL), maxDiscoveryBytes>>10)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("OIDC discovery: the document at %s is not JSON (%s)", redactURL(req.URL), shapeOf(body, resp.Header.Get("Content-Type")))
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("OIDC discovery: the document at %s has no jwks_uri", redactURL(req.URL))
	}
	if err := checkKeyURL(doc.JWKSURI); err != nil {
		return "", fmt.Errorf("OIDC discovery: jwks_uri: %w", err)
	}
	return doc.JWKSURI, nil
}

// check says whether raw's signature verifies with a key of the set. A nil
// key set checks nothing. ctx bounds a refresh for an unknown kid; it must
// not carry the call's HTTP trace, which is for the token exchange.
func (k *keySet) check(ctx context.Context, raw string) SignatureCheck {
	if k == nil {
		return SignatureCheck{State: SignatureNotChecked, Why: WhyNoKeys}
	}
	if strings.Count(raw, ".") != 2 {
		return SignatureCheck{State: SignatureNotChecked, Why: "an opaque token, not a JWT"}
	}
	parser := jwt.NewParser(jwt.WithValidMethods(checkedAlgs), jwt.WithoutClaimsValidation())
	tok, _, err := parser.ParseUnverified(raw, jwt.MapClaims{})
	if err != nil {
		return SignatureCheck{State: SignatureInvalid, Why: "malformed JWT: " + oneLine(err.Error())}
	}
	alg, _ := tok.Header["alg"].(string)
	kid, _ := tok.Header["kid"].(string)
	verdict := SignatureCheck{Alg: clip(alg), KeyID: clip(kid)}
	switch {
	case alg == "" || alg == "none":
		verdict.State, verdict.Why = SignatureInvalid, "unsigned (alg none)"
		return verdict
	case strings.HasPrefix(alg, "HS"):
		verdict.State, verdict.Why = SignatureNotChecked, alg+" is signed with a shared secret, which a key set does not publish"
		return verdict
	case !slices.Contains(checkedAlgs, alg):
		verdict.State, verdict.Why = SignatureInvalid, fmt.Sprintf("alg %q is not a signature algorithm tokentop checks", clip(alg))
		return verdict
	}
	kf, err := k.keyfunc()
	if kf == nil {
		verdict.State, verdict.Why = SignatureNotChecked, "key set unavailable: "+oneLine(err.Error())
		return verdict
	}
	// The kid is looked up first so that a key missing from the set (and
	// still missing after a refresh) is told from a bad signature.
	if kid != "" {
		if _, err := kf.Storage().KeyRead(ctx, kid); err != nil {
			return k.unknownKey(ctx, kf, verdict, err)
		}
	}
	_, err = parser.Parse(raw, kf.KeyfuncCtx(ctx))
	switch {
	case err == nil:
		verdict.State = SignatureVerified
	case kid == "" && errors.Is(err, jwt.ErrTokenUnverifiable):
		return k.unknownKey(ctx, kf, verdict, err) // no kid, and the set is empty
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) && kid != "":
		verdict.State, verdict.Why = SignatureInvalid, fmt.Sprintf("the signature does not verify with key %q", clip(kid))
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		verdict.State, verdict.Why = SignatureInvalid, "no key of the key set verifies the signature"
	default: // say, the key's alg is not the token's
		verdict.State, verdict.Why = SignatureInvalid, oneLine(err.Error())
	}
	return verdict
}

// unknownKey is the verdict on a token whose key is not in the set: not
// checked if the set could not be fetched, unknown key otherwise.
func (k *keySet) unknownKey(ctx context.Context, kf keyfunc.Keyfunc, verdict SignatureCheck, err error) SignatureCheck {
	if keys, _ := kf.Storage().KeyReadAll(ctx); len(keys) == 0 {
		if msg := k.refreshErr.Load(); msg != nil {
			verdict.State, verdict.Why = SignatureNotChecked, "key set unavailable: "+*msg
			return verdict
		}
		verdict.State, verdict.Why = SignatureUnknownKey, "the key set has no keys"
		return verdict
	}
	verdict.State = SignatureUnknownKey
	switch {
	case verdict.KeyID == "":
		verdict.Why = "the token names no kid and no key of the set fits it"
	case errors.Is(err, jwkset.ErrKeyNotFound):
		verdict.Why = fmt.Sprintf("kid %q is not in the key set", verdict.KeyID)
	case ctx.Err() != nil:
		verdict.Why = fmt.Sprintf("kid %q is not in the key set; the call ended before it was fetched again", verdict.KeyID)
	default: // keyfunc's rate limit refused a refresh
		verdict.Why = fmt.Sprintf("kid %q is not in the key set, fetched again for an unknown kid less than %v ago", verdict.KeyID, unknownKIDRefresh)
	}
	return verdict
}

// clip bounds a header value the token chose (a kid, an alg) for display.
func clip(s string) string {
	const max = 64
	switch {
	case s == "":
		return ""
	case !isTokenText(s):
		return "(not printable)"
	case len(s) > max:
		return s[:max] + "…"
	}
	return s
}

// The adapters that may hold a key set are closed when done.
var (
	_ io.Closer = (*HTTP)(nil)
	_ io.Closer = (*OAuth2)(nil)
	_ io.Closer = (*Exec)(nil)
)

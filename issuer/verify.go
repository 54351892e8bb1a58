package issuer

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// WhyNoKeys is why an adapter given no KeySource checks no signature.
const WhyNoKeys = "no keys configured"

// fetchRetry is how long after a failed fetch of the key set (or of the
// OIDC discovery document) it is tried again, at a token's check.
const fetchRetry = time.Minute

// keySetRefresh is how old a key set may grow before a check fetches it again.
const keySetRefresh = time.Hour

// unknownKIDRefresh is how often at most a token whose key is not in the
// set fetches the set again.
const unknownKIDRefresh = 5 * time.Minute

// checkedAlgs are the signature algorithms a public key set can verify.
// HS256 and friends are signed with a shared secret, which a JWK Set does
// not publish; "none" is no signature.
var checkedAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// CheckSignature checks raw's signature once against the JWK Set that src
// names: it finds the set (through OIDC discovery for src.IssuerURL),
// fetches it with opts.HTTPClient and verifies, all within opts.Timeout and
// ctx. Keys of the set that cannot be read are skipped and named in the
// verdict's Why. Its verdicts are the adapters' (CallInfo.Signature), word
// for word; `tokentop decode` uses it.
func CheckSignature(ctx context.Context, raw string, src KeySource, opts Options) SignatureCheck {
	if !src.Configured() {
		return SignatureCheck{State: SignatureNotChecked, Why: WhyNoKeys}
	}
	if err := src.check(); err != nil {
		return SignatureCheck{State: SignatureNotChecked, Why: "key set unavailable: " + err.Error()}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, opts.timeout(), ErrTimeout)
	defer cancel()
	k := &keySet{src: src, client: adapterClient(opts.httpClient()), timeout: opts.timeout(), now: opts.now, life: ctx, stop: cancel}
	return k.check(ctx, raw)
}

// keySet checks the signatures of an adapter's tokens against the issuer's
// JWK Set: the set is fetched when the adapter is built, again at a check
// once it is an hour old, and when a token's key is missing from it (at
// most once per unknownKIDRefresh). Every fetch goes through the adapter's
// HTTP client (its body limit, same-origin redirects) and within the
// context of the call whose token is checked: a check never outlives its
// call. A failure never fails a token: the token's SignatureCheck says what
// went wrong. A keySet starts no goroutine; close ends a fetch in flight.
type keySet struct {
	src     KeySource
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
	life    context.Context // ends with close, and with it any fetch
	stop    context.CancelFunc
	// refetch says whether a token whose key is missing fetches the set
	// again; a one-shot check (CheckSignature) has just fetched it.
	refetch bool

	mu        sync.Mutex
	url       string        // the JWK Set's URL, once known
	set       *jwks         // the last set read; nil until one is
	fetchedAt time.Time     // when set was read
	failed    error         // why the last fetch failed; nil after a success
	retryAt   time.Time     // after a failure, no fetch before this
	unknownAt time.Time     // the last fetch for a missing key
	fetching  chan struct{} // closed when the fetch in flight ends; nil if none
}

// newKeySet returns the key set src names, fetched with client (an adapter
// client: bounded responses), or nil if src names none. The first fetch
// happens here, within the adapter's timeout; if it fails the adapter still
// works, and its tokens say why their signature was not checked.
func newKeySet(src KeySource, client *http.Client, opts Options) (*keySet, error) {
	if !src.Configured() {
		return nil, nil
	}
	if err := src.check(); err != nil {
		return nil, err
	}
	life, stop := context.WithCancel(context.Background())
	k := &keySet{src: src, client: client, timeout: opts.timeout(), now: opts.now, life: life, stop: stop, refetch: true}
	ctx, cancel := context.WithTimeoutCause(life, k.timeout, ErrTimeout)
	defer cancel()
	k.keys(ctx, false)
	return k, nil
}

// close ends a fetch in flight. It is safe on nil.
func (k *keySet) close() {
	if k != nil {
		k.stop()
	}
}

// errRateLimited is keys' answer to a second fetch for a missing key
// within unknownKIDRefresh.
var errRateLimited = errors.New("fetched again for a missing key too recently")

// keys returns the set to check a token with: the one held, fetched first
// if there is none yet or it is an hour old, or if missing asks (a token's
// key is not in it). Concurrent callers share one fetch; each waits at most
// until its ctx ends. The error says why there is no fresh set (the fetch
// failed, ctx ended, errRateLimited); the set held, if any, is returned
// with it and is still good to check with.
func (k *keySet) keys(ctx context.Context, missing bool) (*jwks, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for {
		now := k.now()
		stale := k.set == nil || now.Sub(k.fetchedAt) >= keySetRefresh
		switch {
		case !stale && !missing:
			return k.set, nil
		case k.fetching != nil: // share the fetch in flight
			wait := k.fetching
			k.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
			}
			k.mu.Lock()
			if ctx.Err() != nil {
				return k.set, context.Cause(ctx)
			}
			missing = false // the set was just fetched, or failed to be
			continue
		case now.Before(k.retryAt):
			if missing && k.set != nil {
				return k.set, fmt.Errorf("fetching it again failed: %w", k.failed)
			}
			return k.set, k.failed
		case missing && !k.unknownAt.IsZero() && now.Sub(k.unknownAt) < unknownKIDRefresh:
			return k.set, errRateLimited
		}
		if missing {
			k.unknownAt = now
		}
		done := make(chan struct{})
		k.fetching = done
		jwksURL := k.url
		k.mu.Unlock()

		set, found, err := k.fetch(ctx, jwksURL)

		k.mu.Lock()
		k.fetching = nil
		close(done)
		k.url = found
		switch {
		case err != nil && ctx.Err() != nil && !errors.Is(context.Cause(ctx), ErrTimeout):
			return k.set, err // the call was abandoned: the next check tries again
		case err != nil:
			k.failed, k.retryAt = err, k.now().Add(fetchRetry)
			return k.set, err
		}
		k.set, k.fetchedAt, k.failed = set, k.now(), nil
		return set, nil
	}
}

// fetch reads the JWK Set at jwksURL, or at the one the source names or
// its discovery document gives when jwksURL is empty, within ctx and the
// life of the key set. It returns the URL it used ("" if none was found).
func (k *keySet) fetch(ctx context.Context, jwksURL string) (*jwks, string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(k.life, cancel)()
	if jwksURL == "" {
		jwksURL = k.src.JWKS
	}
	if jwksURL == "" {
		var err error
		if jwksURL, err = discoverJWKS(ctx, k.client, k.timeout, k.src.IssuerURL); err != nil {
			return nil, "", err
		}
	}
	set, err := fetchJWKS(ctx, k.client, k.timeout, jwksURL)
	return set, jwksURL, err
}

// check says whether raw's signature verifies with a key of the set. A nil
// key set checks nothing. ctx is the call's: it bounds any fetch; it must
// not carry the call's HTTP trace, which is for the token exchange.
func (k *keySet) check(ctx context.Context, raw string) SignatureCheck {
	if k == nil {
		return SignatureCheck{State: SignatureNotChecked, Why: WhyNoKeys}
	}
	if strings.Count(raw, ".") != 2 {
		return SignatureCheck{State: SignatureNotChecked, Why: "an opaque token, not a JWT"}
	}
	parser := jwt.NewParser(jwt.WithValidMethods(checkedAlgs), jwt.WithoutClaimsValidation())
	tok, parts, err := parser.ParseUnverified(raw, jwt.MapClaims{})
	var sig []byte
	if err == nil {
		sig, err = parser.DecodeSegment(parts[2])
	}
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
		verdict.State, verdict.Why = SignatureNotChecked, clip(alg)+" is signed with a shared secret, which a key set does not publish"
		return verdict
	case !slices.Contains(checkedAlgs, alg):
		verdict.State, verdict.Why = SignatureInvalid, fmt.Sprintf("alg %q is not one of %s", clip(alg), strings.Join(checkedAlgs, ", "))
		return verdict
	}
	signed := signedToken{method: tok.Method, alg: alg, kid: kid, text: raw[:strings.LastIndexByte(raw, '.')], sig: sig}

	set, err := k.keys(ctx, false)
	if set == nil {
		verdict.State, verdict.Why = SignatureNotChecked, "key set unavailable: "+oneLine(err.Error())
		return verdict
	}
	state, why := signed.verify(set)
	if state == SignatureUnknownKey && k.refetch {
		// The issuer may have rotated its keys since the set was read.
		again, err := k.keys(ctx, true)
		switch {
		case err == nil:
			set = again
			state, why = signed.verify(set)
		case errors.Is(err, errRateLimited):
			why += fmt.Sprintf(", fetched again for a missing key less than %v ago", unknownKIDRefresh)
		case ctx.Err() != nil:
			why += "; the call ended before it was fetched again"
		default:
			why += "; " + oneLine(err.Error())
		}
	}
	verdict.State, verdict.Why = state, joinWhy(why, set.skipNote())
	return verdict
}

// signedToken is what of a JWT its signature check reads.
type signedToken struct {
	method jwt.SigningMethod
	alg    string
	kid    string // "" if the header names none
	text   string // header.payload, as signed
	sig    []byte
}

// verify gives the state of t's signature against the keys of set, and
// why when it is not verified. The keys tried are those of the token's kid,
// if it names one, that fit its alg.
func (t signedToken) verify(set *jwks) (SignatureState, string) {
	var found, fitting []setKey
	for _, key := range set.keys {
		if t.kid != "" && key.kid != t.kid {
			continue
		}
		found = append(found, key)
		if key.fits(t.alg) {
			fitting = append(fitting, key)
		}
	}
	switch {
	case len(set.keys) == 0:
		return SignatureUnknownKey, "the key set has no keys"
	case t.kid != "" && len(found) == 0:
		return SignatureUnknownKey, fmt.Sprintf("kid %q is not in the key set", clip(t.kid))
	case t.kid != "" && len(fitting) == 0:
		return SignatureInvalid, fmt.Sprintf("key %q of the key set is %s; it cannot check an %s signature", clip(t.kid), found[0].kind(), t.alg)
	case len(fitting) == 0:
		return SignatureUnknownKey, "the token names no kid and no key of the set fits it"
	}
	var err error
	for _, key := range fitting {
		if err = t.method.Verify(t.text, t.sig, key.pub); err == nil {
			return SignatureVerified, ""
		}
	}
	switch {
	case !isBadSignature(err):
		return SignatureInvalid, oneLine(err.Error()) // say, an RSA key too small for crypto/rsa
	case t.kid != "":
		return SignatureInvalid, fmt.Sprintf("the signature does not verify with key %q", clip(t.kid))
	}
	return SignatureInvalid, "no key of the key set verifies the signature"
}

// isBadSignature says whether a signing method's Verify failed because the
// signature is wrong, rather than because the key cannot be used.
func isBadSignature(err error) bool {
	return errors.Is(err, jwt.ErrSignatureInvalid) || errors.Is(err, jwt.ErrECDSAVerification) ||
		errors.Is(err, jwt.ErrEd25519Verification) || errors.Is(err, rsa.ErrVerification)
}

// joinWhy joins the parts of a verdict's Why that are not empty.
func joinWhy(why, note string) string {
	if why == "" || note == "" {
		return why + note
	}
	return why + "; " + note
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

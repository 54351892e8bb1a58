package fakeissuer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Verify checks a token as a protected resource would: signature (only the
// issuer's algorithm and key), issuer, audience, expiry on the issuer's clock,
// and revocation. It returns the claims, also when refusing a token whose
// claims could be read, and an error wrapping ErrMalformedToken,
// ErrBadSignature, ErrTokenExpired, ErrTokenNotYetValid, ErrTokenRevoked or
// ErrInvalidClaims. Every call counts as accepted or refused in Stats.
func (i *Issuer) Verify(raw string) (Claims, error) {
	claims, err := i.verify(raw)
	if err != nil {
		i.countRefused(claims.Subject)
		return claims, err
	}
	i.countAccepted(claims.Subject)
	return claims, nil
}

// CheckToken is the in-process /api/me: Verify without the claims. It makes
// the issuer a resource that sessions can present their tokens to. The check
// is local and immediate, so ctx is not consulted.
func (i *Issuer) CheckToken(_ context.Context, raw string) error {
	_, err := i.Verify(raw)
	return err
}

func (i *Issuer) verify(raw string) (Claims, error) {
	claims, err := i.parse(raw)
	if err != nil {
		return claims, err
	}
	seq, ok := tokenSeq(claims.ID)
	if !ok {
		return claims, fmt.Errorf("%w: jti %q was not minted by this issuer", ErrInvalidClaims, claims.ID)
	}
	return claims, i.checkRevoked(claims.Subject, seq)
}

// checkRevoked refuses the token numbered seq of identity when the identity
// was deleted (whenever the token was minted) or revoked after it.
func (i *Issuer) checkRevoked(identity string, seq uint64) error {
	st := i.identities.get(identity)
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case st.deleted:
		return fmt.Errorf("%w: identity %s was deleted at %s", ErrTokenRevoked, identity, st.revokedAt.UTC().Format(time.RFC3339))
	case seq <= st.revokedSeq:
		return fmt.Errorf("%w: every token of %s issued before %s was revoked", ErrTokenRevoked,
			identity, st.revokedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// parse checks signature, issuer, audience and times; not revocation.
func (i *Issuer) parse(raw string) (Claims, error) {
	if raw == "" {
		return Claims{}, fmt.Errorf("%w: the token is empty", ErrMalformedToken)
	}
	var claims Claims
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{i.key.alg}),
		jwt.WithTimeFunc(i.clock.Now),
		jwt.WithIssuer(i.issuerURL),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	_, err := p.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		if kid, ok := t.Header["kid"]; ok && kid != i.key.kid {
			return nil, fmt.Errorf("key id %v is not this issuer's (%s)", kid, i.key.kid)
		}
		return i.key.verify, nil
	})
	if err != nil {
		return claims, classify(err, claims)
	}
	if !slices.Contains(claims.Audience, i.audience) && !slices.Contains(claims.Audience, UpstreamAudience) {
		return claims, fmt.Errorf("%w: audience %v is not %s", ErrInvalidClaims, []string(claims.Audience), i.audience)
	}
	return claims, nil
}

// classify maps a golang-jwt error to this package's reasons, keeping the
// library's detail in the message but not its words for the reason, which
// would repeat ours ("token is malformed: token is malformed: ...").
func classify(err error, c Claims) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return withDetail(ErrMalformedToken, jwt.ErrTokenMalformed, err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return withDetail(ErrBadSignature, jwt.ErrTokenSignatureInvalid, err)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return withDetail(ErrBadSignature, jwt.ErrTokenUnverifiable, err)
	case errors.Is(err, jwt.ErrTokenExpired):
		if c.ExpiresAt != nil {
			return fmt.Errorf("%w at %s", ErrTokenExpired, c.ExpiresAt.UTC().Format(time.RFC3339))
		}
		return withDetail(ErrTokenExpired, jwt.ErrTokenInvalidClaims, err)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return withDetail(ErrTokenNotYetValid, jwt.ErrTokenInvalidClaims, err)
	}
	return withDetail(ErrInvalidClaims, jwt.ErrTokenInvalidClaims, err)
}

// withDetail wraps reason with err's message, less the words of theirs (the
// library's reason) and of reason itself where the message starts with them.
func withDetail(reason, theirs, err error) error {
	d := strings.TrimPrefix(err.Error(), theirs.Error()+": ")
	d = strings.TrimLeft(strings.TrimPrefix(d, reason.Error()), ":, ")
	if d == "" {
		return reason
	}
	return fmt.Errorf("%w: %s", reason, d)
}

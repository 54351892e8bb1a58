package fakeissuer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tokentop/credential"
)

// Claims are the claims of a token minted by the issuer.
type Claims struct {
	jwt.RegisteredClaims
	// Scopes are the granted scopes (scp).
	Scopes []string `json:"scp,omitempty"`
	// AppID is the OAuth2 client id of an upstream (Teams / Entra style) token.
	AppID string `json:"appid,omitempty"`
	// ObjectID is the user object id of an upstream token.
	ObjectID string `json:"oid,omitempty"`
	// TenantID is the tenant of an upstream token.
	TenantID string `json:"tid,omitempty"`
}

// mintSpec says what to mint.
type mintSpec struct {
	subject   string
	scopes    []string
	lifetime  time.Duration
	expiresAt time.Time // when set, the exact expiry instead of now+lifetime
	audience  string
	expired   bool // mint a token that is already expired (a fault)
	appID     string
	objectID  string
	tenantID  string
}

// mint signs a token for st on the issuer's clock. iat, nbf and exp are
// whole seconds, so exp - iat is exactly the lifetime asked for.
func (i *Issuer) mint(spec mintSpec, st *identityState) (credential.AccessToken, Claims, error) {
	iat := i.clock.Now().Truncate(time.Second)
	exp := iat.Add(spec.lifetime)
	if !spec.expiresAt.IsZero() {
		exp = spec.expiresAt.Truncate(time.Second)
	}
	if spec.expired {
		life := exp.Sub(iat)
		exp = iat.Add(-time.Minute)
		iat = exp.Add(-life)
	}
	scopes := spec.scopes
	if len(scopes) == 0 {
		scopes = defaultScopes
	}
	// The sequence number is taken under the identity's lock, where
	// DeleteIdentity and Revoke record theirs: a token is either numbered
	// before a deletion (and revoked by it) or refused.
	st.mu.Lock()
	if err := st.goneLocked(); err != nil {
		st.mu.Unlock()
		return credential.AccessToken{}, Claims{}, err
	}
	seq := i.seq.Add(1)
	st.mu.Unlock()
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuerURL,
			Subject:   spec.subject,
			Audience:  jwt.ClaimStrings{spec.audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			NotBefore: jwt.NewNumericDate(iat),
			IssuedAt:  jwt.NewNumericDate(iat),
			ID:        strconv.FormatUint(seq, 10) + "." + randomHex(8),
		},
		Scopes:   append([]string(nil), scopes...),
		AppID:    spec.appID,
		ObjectID: spec.objectID,
		TenantID: spec.tenantID,
	}
	raw, err := i.key.signClaims(&claims)
	if err != nil {
		return credential.AccessToken{}, Claims{}, &StatusError{Status: 500, Code: "SigningFailed",
			Message: fmt.Sprintf("could not sign the token: %v", err), Err: err}
	}
	return credential.AccessToken{Token: raw, ExpiresOn: exp}, claims, nil
}

// signClaims returns the signed JWT of claims, with the key's kid.
func (k *signingKey) signClaims(c *Claims) (string, error) {
	t := jwt.NewWithClaims(k.method, c)
	t.Header["kid"] = k.kid
	return t.SignedString(k.sign)
}

// tokenSeq reads the sequence number the issuer put in a token's jti; ok is
// false for a jti this issuer did not mint.
func tokenSeq(jti string) (uint64, bool) {
	head, _, found := strings.Cut(jti, ".")
	if !found {
		return 0, false
	}
	n, err := strconv.ParseUint(head, 10, 64)
	return n, err == nil
}

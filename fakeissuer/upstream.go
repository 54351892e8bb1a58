package fakeissuer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"tokentop/credential"
	"tokentop/issuer"
)

// teamsUserPrefix starts the ACS id of a Teams user (8:orgid:<oid>).
const teamsUserPrefix = "8:orgid:"

// upstreamTenantID is the tid claim of upstream tokens.
const upstreamTenantID = "00000000-0000-0000-0000-00000000f4e1"

// IssueUpstream mints an upstream token, as Entra ID would for a Teams user
// of the app clientID: an OAuth2 access token with appid and oid claims and
// the ACS exchange audience. A zero lifetime means Options.UpstreamLifetime.
// Faults apply as to any token request.
func (i *Issuer) IssueUpstream(ctx context.Context, clientID string, lifetime time.Duration) (credential.AccessToken, error) {
	tok, _, err := i.issueUpstream(ctx, clientID, nil, lifetime, nil)
	return tok, err
}

// IssueUpstreamSimulated is IssueUpstream for a simulator, as
// IssueSimulated is Issue: the waiting comes back as a Delay.
func (i *Issuer) IssueUpstreamSimulated(ctx context.Context, clientID string, lifetime time.Duration) (credential.AccessToken, issuer.Delay, error) {
	var d issuer.Delay
	tok, _, err := i.issueUpstream(ctx, clientID, nil, lifetime, &d)
	return tok, d, err
}

func (i *Issuer) issueUpstream(ctx context.Context, clientID string, scopes []string, lifetime time.Duration, delay *issuer.Delay) (credential.AccessToken, Claims, error) {
	if strings.TrimSpace(clientID) == "" {
		i.countFailure("")
		return credential.AccessToken{}, Claims{}, badRequest("InvalidClient", "the upstream token request names no client id")
	}
	if problem := identityProblem(clientID); problem != "" {
		i.countFailure("")
		return credential.AccessToken{}, Claims{}, badRequest("InvalidClient", "the client id "+problem)
	}
	lifetime, err := i.lifetimeOrDefault(lifetime, i.upstreamLife)
	if err != nil {
		i.countFailure("")
		return credential.AccessToken{}, Claims{}, err
	}
	oid := i.objectIDFor(clientID)
	if len(scopes) == 0 {
		scopes = []string{UpstreamAudience + "/Teams.ManageCalls", UpstreamAudience + "/Teams.ManageChats"}
	}
	return i.issue(ctx, mintSpec{
		subject:  oid,
		scopes:   scopes,
		lifetime: lifetime,
		audience: UpstreamAudience,
		appID:    clientID,
		objectID: oid,
		tenantID: upstreamTenantID,
		delay:    delay,
	})
}

// objectIDFor derives a stable user object id for a client, so that the
// same app always stands for the same Teams user.
func (i *Issuer) objectIDFor(clientID string) string {
	sum := sha256.Sum256([]byte(i.resourceID + "\x00" + clientID))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ExchangeTeamsToken trades an upstream (Teams) token from IssueUpstream or
// /oauth2/token for an ACS token of the Teams user 8:orgid:<oid> that expires
// when the Teams token does, as ACS's exchangeAccessToken does. An invalid,
// expired or revoked Teams token is refused with a 401 *StatusError wrapping
// the reason (ErrTokenExpired, ...). Faults apply.
func (i *Issuer) ExchangeTeamsToken(ctx context.Context, teamsToken string) (credential.AccessToken, error) {
	tok, _, err := i.exchangeTeamsToken(ctx, teamsToken, nil)
	return tok, err
}

// ExchangeTeamsTokenSimulated is ExchangeTeamsToken for a simulator, as
// IssueSimulated is Issue: the waiting comes back as a Delay.
func (i *Issuer) ExchangeTeamsTokenSimulated(ctx context.Context, teamsToken string) (credential.AccessToken, issuer.Delay, error) {
	var d issuer.Delay
	tok, _, err := i.exchangeTeamsToken(ctx, teamsToken, &d)
	return tok, d, err
}

func (i *Issuer) exchangeTeamsToken(ctx context.Context, teamsToken string, delay *issuer.Delay) (credential.AccessToken, Claims, error) {
	up, err := i.verify(teamsToken)
	if err == nil && (!slices.Contains(up.Audience, UpstreamAudience) || up.ObjectID == "" || up.AppID == "") {
		err = fmt.Errorf("%w: the token is not a Teams token (want aud %s with appid and oid claims)", ErrInvalidClaims, UpstreamAudience)
	}
	if err != nil {
		i.countFailure("")
		return credential.AccessToken{}, Claims{}, &StatusError{Status: http.StatusUnauthorized, Code: "InvalidTeamsToken",
			Message: "the Teams token was refused: " + err.Error(), Err: err}
	}
	exp := up.ExpiresAt.Time
	return i.issue(ctx, mintSpec{
		subject:   teamsUserPrefix + up.ObjectID,
		scopes:    []string{"voip", "chat"},
		lifetime:  exp.Sub(i.clock.Now()),
		expiresAt: exp,
		audience:  i.audience,
		delay:     delay,
	})
}

package fakeissuer

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// acsTeamsExchangeRequest is the body of POST /teamsUser/:exchangeAccessToken.
type acsTeamsExchangeRequest struct {
	Token  string `json:"token"`
	AppID  string `json:"appId"`
	UserID string `json:"userId"`
}

// acsEntraExchangeResponse is the answer of the Entra exchanges.
type acsEntraExchangeResponse struct {
	AccessToken *acsAccessToken `json:"accessToken"`
}

// entraExchange says which Entra exchange route is served.
type entraExchange int

const (
	// entraCommunicationClients is /access/entra: an ACS identity of the
	// Entra user, 8:acs:<resource>_<oid>.
	entraCommunicationClients entraExchange = iota
	// entraTeamsExtension is /access/teamsExtension: the Teams user,
	// 8:orgid:<oid>.
	entraTeamsExtension
)

// serveACSTeamsUserExchange trades a Teams user's token from /oauth2/token
// (or IssueUpstream) for an ACS token that expires when it does. appId and
// userId must be the token's appid and oid claims.
func (i *Issuer) serveACSTeamsUserExchange(w http.ResponseWriter, r *http.Request) {
	var req acsTeamsExchangeRequest
	if err := decodeACSJSON(r, &req, false); err != nil {
		i.failACS(w, "", err)
		return
	}
	var missing []string
	for _, f := range []struct{ name, value string }{{"token", req.Token}, {"appId", req.AppID}, {"userId", req.UserID}} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		i.failACS(w, "", badRequest("ValidationError", fmt.Sprintf("the request lacks %s; send {\"token\", \"appId\", \"userId\"}", strings.Join(missing, ", "))))
		return
	}
	claims, err := i.upstreamClaims(req.Token)
	if err != nil {
		i.failACS(w, "", err)
		return
	}
	if claims.AppID != req.AppID {
		i.failACS(w, "", badRequest("AppIdMismatch", fmt.Sprintf("appId %q is not the Teams token's application (appid claim %q)", req.AppID, claims.AppID)))
		return
	}
	if claims.ObjectID != req.UserID {
		i.failACS(w, "", badRequest("UserIdMismatch", fmt.Sprintf("userId %q is not the Teams token's user (oid claim %q)", req.UserID, claims.ObjectID)))
		return
	}
	tok, err := i.ExchangeTeamsToken(r.Context(), req.Token)
	if err != nil {
		writeIssueError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, newACSAccessToken(tok))
}

// serveACSEntraExchange trades the Entra token of "Authorization: Bearer"
// for an ACS token that expires when it does.
func (i *Issuer) serveACSEntraExchange(kind entraExchange) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, ok := bearerToken(r)
		if !ok {
			i.failACS(w, "", &StatusError{Status: http.StatusUnauthorized, Code: "Denied",
				Message: "the request has no bearer token; send Authorization: Bearer <Entra token from " + PathOAuth2Token + ">", Err: ErrBadRequest})
			return
		}
		claims, err := i.upstreamClaims(raw)
		if err != nil {
			i.failACS(w, "", err)
			return
		}
		if kind == entraTeamsExtension {
			tok, err := i.ExchangeTeamsToken(r.Context(), raw)
			if err != nil {
				writeIssueError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, acsEntraExchangeResponse{AccessToken: newACSAccessToken(tok)})
			return
		}
		id := acsIDPrefix + i.resourceID + "_" + claims.ObjectID
		if err := i.registerIdentity(id); err != nil {
			i.failACS(w, "", err)
			return
		}
		exp := claims.ExpiresAt.Time
		tok, _, err := i.issue(r.Context(), mintSpec{subject: id, lifetime: exp.Sub(i.clock.Now()), expiresAt: exp, audience: i.audience})
		if err != nil {
			writeIssueError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, acsEntraExchangeResponse{AccessToken: newACSAccessToken(tok)})
	}
}

// upstreamClaims verifies an upstream (Teams / Entra) token: valid, not
// revoked, with the exchange audience and appid and oid claims. A refusal is
// a 401 *StatusError.
func (i *Issuer) upstreamClaims(raw string) (Claims, error) {
	claims, err := i.verify(raw)
	if err == nil && (!slices.Contains(claims.Audience, UpstreamAudience) || claims.AppID == "" || claims.ObjectID == "") {
		err = fmt.Errorf("%w: the token is not a Teams or Entra token (want aud %s with appid and oid claims)", ErrInvalidClaims, UpstreamAudience)
	}
	if err != nil {
		return claims, &StatusError{Status: http.StatusUnauthorized, Code: "InvalidAccessToken",
			Message: "the Entra (Teams) token was refused: " + err.Error(), Err: err}
	}
	return claims, nil
}

// registerIdentity makes id exist, as the service does for the ACS identity
// of an Entra user on first exchange, within Options.MaxIdentities. A
// deleted id stays deleted.
func (i *Issuer) registerIdentity(id string) error {
	_, err := i.identities.add(id, i.clock.Now())
	return err
}

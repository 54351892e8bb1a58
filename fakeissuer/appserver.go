package fakeissuer

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"tokentop/credential"
)

// maxRequestMinutes bounds expiresInMinutes of /getToken (a year).
const maxRequestMinutes = 366 * 24 * 60

// getTokenRequest is the body of POST /getToken, as the ACS sample app
// server takes it; scopes and expiresInMinutes are optional.
type getTokenRequest struct {
	Username         string   `json:"username"`
	Scopes           []string `json:"scopes,omitempty"`
	ExpiresInMinutes int      `json:"expiresInMinutes,omitempty"`
}

// teamsTokenRequest is the body of POST /getTokenForTeamsUser.
type teamsTokenRequest struct {
	TeamsToken string `json:"teamsToken"`
}

// appTokenResponse is the answer of both app server routes.
type appTokenResponse struct {
	Token     string    `json:"communicationIdentityToken"`
	ExpiresOn time.Time `json:"expiresOn"`
	UserID    string    `json:"communicationUserId"`
}

func (i *Issuer) appServerRoutes() {
	i.handle(PathGetToken, methods{http.MethodPost: i.serveGetToken})
	i.handle(PathGetTokenForTeams, methods{http.MethodPost: i.serveGetTokenForTeams})
}

// serveGetToken issues a token for username; with no username it creates a
// new ACS identity, as the sample app server does.
func (i *Issuer) serveGetToken(w http.ResponseWriter, r *http.Request) {
	var req getTokenRequest
	if err := decodeJSON(r, &req); err != nil {
		i.countFailure("")
		writeIssueError(w, err)
		return
	}
	if req.ExpiresInMinutes < 0 || req.ExpiresInMinutes > maxRequestMinutes {
		i.countFailure("")
		writeError(w, http.StatusBadRequest, "InvalidExpiresInMinutes",
			fmt.Sprintf("expiresInMinutes %d is out of range 1..%d (omit it for the default %v)", req.ExpiresInMinutes, maxRequestMinutes, i.defaultLifetime))
		return
	}
	if err := checkScopeTokens(req.Scopes); err != nil {
		i.countFailure("")
		writeError(w, http.StatusBadRequest, "InvalidScope", err.Error())
		return
	}
	id := strings.TrimSpace(req.Username)
	if id == "" {
		var err error
		if id, err = i.CreateIdentity(); err != nil {
			i.countFailure("")
			writeIssueError(w, err)
			return
		}
	}
	lifetime := time.Duration(req.ExpiresInMinutes) * time.Minute
	if lifetime == 0 {
		lifetime = i.defaultLifetime
	}
	tok, _, err := i.issue(r.Context(), mintSpec{subject: id, scopes: req.Scopes, lifetime: lifetime, audience: i.audience})
	if err != nil {
		writeIssueError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, appToken(tok, id))
}

// serveGetTokenForTeams exchanges a Teams token for an ACS token.
func (i *Issuer) serveGetTokenForTeams(w http.ResponseWriter, r *http.Request) {
	var req teamsTokenRequest
	if err := decodeJSON(r, &req); err != nil {
		i.countFailure("")
		writeIssueError(w, err)
		return
	}
	if strings.TrimSpace(req.TeamsToken) == "" {
		i.countFailure("")
		writeError(w, http.StatusBadRequest, "MissingTeamsToken", "the request has no teamsToken; send {\"teamsToken\": \"<Teams access token>\"}")
		return
	}
	tok, claims, err := i.exchangeTeamsToken(r.Context(), req.TeamsToken, nil)
	if err != nil {
		writeIssueError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, appToken(tok, claims.Subject))
}

func appToken(tok credential.AccessToken, id string) appTokenResponse {
	return appTokenResponse{Token: tok.Token, ExpiresOn: tok.ExpiresOn.UTC(), UserID: id}
}

package fakeissuer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"tokentop/credential"
)

// acsCreateIdentityRequest is the body of POST /identities.
type acsCreateIdentityRequest struct {
	CreateTokenWithScopes []string `json:"createTokenWithScopes"`
	ExpiresInMinutes      *int     `json:"expiresInMinutes"`
}

// acsIssueTokenRequest is the body of POST /identities/{id}/:issueAccessToken.
type acsIssueTokenRequest struct {
	Scopes           []string `json:"scopes"`
	ExpiresInMinutes *int     `json:"expiresInMinutes"`
}

// acsAccessToken is an issued token as the service returns it.
type acsAccessToken struct {
	Token     string    `json:"token"`
	ExpiresOn time.Time `json:"expiresOn"`
}

// acsIdentity is a created identity.
type acsIdentity struct {
	ID string `json:"id"`
}

// acsCreateIdentityResponse is the 201 answer of POST /identities.
type acsCreateIdentityResponse struct {
	Identity    acsIdentity     `json:"identity"`
	AccessToken *acsAccessToken `json:"accessToken,omitempty"`
}

func newACSAccessToken(tok credential.AccessToken) *acsAccessToken {
	return &acsAccessToken{Token: tok.Token, ExpiresOn: tok.ExpiresOn.UTC()}
}

// serveACSCreateIdentity creates an identity and, when the request names
// scopes, issues its first token.
func (i *Issuer) serveACSCreateIdentity(w http.ResponseWriter, r *http.Request) {
	var req acsCreateIdentityRequest
	if err := decodeACSJSON(r, &req, true); err != nil {
		i.failACS(w, "", err)
		return
	}
	lifetime, err := acsLifetime(req.ExpiresInMinutes)
	if err == nil && req.CreateTokenWithScopes != nil {
		err = checkACSScopes("createTokenWithScopes", req.CreateTokenWithScopes, false)
	}
	if err != nil {
		i.failACS(w, "", err)
		return
	}
	id, err := i.CreateIdentity()
	if err != nil {
		i.failACS(w, "", err)
		return
	}
	resp := acsCreateIdentityResponse{Identity: acsIdentity{ID: id}}
	if len(req.CreateTokenWithScopes) > 0 {
		tok, _, err := i.issue(r.Context(), mintSpec{subject: id, scopes: req.CreateTokenWithScopes, lifetime: lifetime, audience: i.audience})
		if err != nil {
			i.forgetIdentity(id) // the client never learns the id: create nothing
			writeIssueError(w, err)
			return
		}
		resp.AccessToken = newACSAccessToken(tok)
	}
	writeJSON(w, http.StatusCreated, resp)
}

// serveACSDeleteIdentity deletes an identity; its tokens are refused from now on.
func (i *Issuer) serveACSDeleteIdentity(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := i.knownIdentity(id); err != nil {
		i.failACS(w, id, err)
		return
	}
	if err := i.DeleteIdentity(id); err != nil {
		i.failACS(w, id, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveACSIssueAccessToken issues a token with the requested scopes.
func (i *Issuer) serveACSIssueAccessToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req acsIssueTokenRequest
	err := decodeACSJSON(r, &req, false)
	if err == nil {
		err = checkACSScopes("scopes", req.Scopes, true)
	}
	var lifetime time.Duration
	if err == nil {
		lifetime, err = acsLifetime(req.ExpiresInMinutes)
	}
	if err == nil {
		err = i.knownIdentity(id)
	}
	if err != nil {
		i.failACS(w, id, err)
		return
	}
	tok, _, err := i.issue(r.Context(), mintSpec{subject: id, scopes: req.Scopes, lifetime: lifetime, audience: i.audience})
	if err != nil {
		writeIssueError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, newACSAccessToken(tok))
}

// serveACSRevokeAccessTokens revokes every token of an identity issued so far.
func (i *Issuer) serveACSRevokeAccessTokens(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := i.knownIdentity(id)
	if err == nil {
		err = i.Revoke(r.Context(), id)
	}
	if err != nil {
		i.failACS(w, id, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// knownIdentity reports a 404 for an identity that does not exist or was
// deleted (a plain name is not registered by asking).
func (i *Issuer) knownIdentity(id string) error {
	if i.HasIdentity(id) {
		return nil
	}
	return &StatusError{Status: http.StatusNotFound, Code: "IdentityNotFound",
		Message: fmt.Sprintf("identity %s does not exist or was deleted; create one with POST %s", quoteID(id), PathACSIdentities), Err: ErrUnknownIdentity}
}

// forgetIdentity removes an identity that was created for a request that
// then failed.
func (i *Issuer) forgetIdentity(id string) { i.identities.remove(id) }

// failACS counts a refused request and writes its error.
func (i *Issuer) failACS(w http.ResponseWriter, id string, err error) {
	i.countFailure(id)
	writeIssueError(w, err)
}

// acsLifetime validates expiresInMinutes (absent means the default).
func acsLifetime(minutes *int) (time.Duration, error) {
	if minutes == nil {
		return DefaultACSTokenMinutes * time.Minute, nil
	}
	if *minutes < MinACSTokenMinutes || *minutes > MaxACSTokenMinutes {
		return 0, badRequest("ValidationError", fmt.Sprintf("expiresInMinutes %d is out of range: a token lives %d to %d minutes (omit it for %d)",
			*minutes, MinACSTokenMinutes, MaxACSTokenMinutes, DefaultACSTokenMinutes))
	}
	return time.Duration(*minutes) * time.Minute, nil
}

// checkACSScopes validates scopes; field names the request field.
func checkACSScopes(field string, scopes []string, required bool) error {
	if required && len(scopes) == 0 {
		return badRequest("ValidationError", fmt.Sprintf("%s is required and must name at least one of %s", field, strings.Join(acsScopes, ", ")))
	}
	for _, s := range scopes {
		if !slices.Contains(acsScopes, s) {
			return badRequest("ValidationError", fmt.Sprintf("%s: %q is not a scope; use %s", field, s, strings.Join(acsScopes, ", ")))
		}
	}
	return nil
}

// decodeACSJSON reads one JSON object like the service: unknown fields are
// ignored (newer clients may send more), trailing data is refused, and an
// empty body means {} when allowEmpty.
func decodeACSJSON(r *http.Request, dst any, allowEmpty bool) error {
	dec := json.NewDecoder(r.Body)
	err := dec.Decode(dst)
	switch {
	case errors.Is(err, io.EOF) && allowEmpty:
		return nil
	case err != nil:
		return jsonError("the request body is not the JSON object expected", err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		if err == nil {
			err = errors.New("more than one JSON value")
		}
		return jsonError("the request body has data after the JSON object", err)
	}
	return nil
}

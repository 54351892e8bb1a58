package fakeissuer

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"tokentop/credential"
	"tokentop/issuer"
)

func TestACSCreateIdentityWithoutScopesReturnsOnlyTheIdentity(t *testing.T) {
	iss := newACSIssuer(t, Options{ResourceID: "res"})
	for _, body := range []string{"", "{}", `{"expiresInMinutes":1440}`} {
		w := acsCall(t, iss.Handler(), "POST", "/identities?api-version="+ACSAPIVersion, body)
		wantStatus(t, w, http.StatusCreated)
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		if _, has := raw["accessToken"]; has {
			t.Errorf("body %q: response has an accessToken without createTokenWithScopes: %s", body, w.Body.Bytes())
		}
		var got acsCreateIdentityResponse
		_ = json.Unmarshal(w.Body.Bytes(), &got)
		if !strings.HasPrefix(got.Identity.ID, "8:acs:res_") || !iss.HasIdentity(got.Identity.ID) {
			t.Errorf("body %q: identity %q, want a live 8:acs:res_<uuid>", body, got.Identity.ID)
		}
	}
}

func TestACSCreateIdentityWithScopesIssuesATokenOfTheAskedLifetime(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	w := acsCall(t, iss.Handler(), "POST", "/identities?api-version="+ACSAPIVersion, `{"createTokenWithScopes":["chat","voip.join"],"expiresInMinutes":60}`)
	wantStatus(t, w, http.StatusCreated)
	got := decodeBody[acsCreateIdentityResponse](t, w.Body)
	if got.AccessToken == nil {
		t.Fatal("no accessToken in the response")
	}
	c, err := iss.Verify(got.AccessToken.Token)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != got.Identity.ID || !slices.Equal(c.Scopes, []string{"chat", "voip.join"}) || lifetimeOf(c) != time.Hour {
		t.Errorf("claims sub %q scp %v lifetime %v; want %s, [chat voip.join], 1h", c.Subject, c.Scopes, lifetimeOf(c), got.Identity.ID)
	}
	if !got.AccessToken.ExpiresOn.Equal(c.ExpiresAt.Time) {
		t.Errorf("expiresOn %v, token exp %v", got.AccessToken.ExpiresOn, c.ExpiresAt.Time)
	}
}

func TestACSIssueAccessTokenCarriesTheScopesAndParsesWithTheCredentialPackage(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	h := iss.Handler()
	id := createACSIdentity(t, h)
	for _, tc := range []struct {
		body     string
		scopes   []string
		lifetime time.Duration
	}{
		{`{"scopes":["chat"]}`, []string{"chat"}, 24 * time.Hour},
		{`{"scopes":["voip","chat.join.limited"],"expiresInMinutes":60}`, []string{"voip", "chat.join.limited"}, time.Hour},
		{`{"scopes":["chat.join","voip.join"],"expiresInMinutes":1440,"futureField":true}`, []string{"chat.join", "voip.join"}, 24 * time.Hour},
	} {
		w := acsCall(t, h, "POST", acsPath(id, ":issueAccessToken", ACSAPIVersion), tc.body)
		wantStatus(t, w, http.StatusOK)
		got := decodeBody[acsAccessToken](t, w.Body)
		parsed, err := credential.ParseJWT(got.Token)
		if err != nil {
			t.Fatalf("%s: credential.ParseJWT: %v", tc.body, err)
		}
		if !parsed.ExpiresOn.Equal(got.ExpiresOn) {
			t.Errorf("%s: ParseJWT expiry %v, response expiresOn %v", tc.body, parsed.ExpiresOn, got.ExpiresOn)
		}
		c, err := iss.Verify(got.Token)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != id || !slices.Equal(c.Scopes, tc.scopes) || lifetimeOf(c) != tc.lifetime {
			t.Errorf("%s: sub %q scp %v lifetime %v; want %s %v %v", tc.body, c.Subject, c.Scopes, lifetimeOf(c), id, tc.scopes, tc.lifetime)
		}
	}
}

func TestACSIdentityRoutesRefuseInvalidRequestsWithTheServiceErrors(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	h := iss.Handler()
	id := createACSIdentity(t, h)
	deleted := createACSIdentity(t, h)
	wantStatus(t, acsCall(t, h, "DELETE", acsPath(deleted, "", ACSAPIVersion), ""), http.StatusNoContent)
	unknown := acsIDPrefix + "nobody_00000000-0000-4000-8000-000000000000"
	create := "/identities?api-version=" + ACSAPIVersion
	issue := acsPath(id, ":issueAccessToken", ACSAPIVersion)
	for _, tc := range []struct {
		name, method, target, body string
		status                     int
		code                       string
		fragment                   string
	}{
		{"create: 59 minutes", "POST", create, `{"createTokenWithScopes":["chat"],"expiresInMinutes":59}`, 400, "ValidationError", "expiresInMinutes 59 is out of range"},
		{"create: 1441 minutes", "POST", create, `{"createTokenWithScopes":["chat"],"expiresInMinutes":1441}`, 400, "ValidationError", "60 to 1440"},
		{"create: zero minutes", "POST", create, `{"expiresInMinutes":0}`, 400, "ValidationError", "out of range"},
		{"create: unknown scope", "POST", create, `{"createTokenWithScopes":["chat","admin"]}`, 400, "ValidationError", `"admin" is not a scope`},
		{"create: not JSON", "POST", create, `{"createTokenWithScopes":`, 400, "InvalidRequestBody", "ends too soon"},
		{"create: scopes not a list", "POST", create, `{"createTokenWithScopes":"chat"}`, 400, "InvalidRequestBody", "createTokenWithScopes"},
		{"create: trailing data", "POST", create, `{} {}`, 400, "InvalidRequestBody", "after the JSON object"},
		{"issue: no body", "POST", issue, ``, 400, "InvalidRequestBody", "empty"},
		{"issue: no scopes", "POST", issue, `{}`, 400, "ValidationError", "scopes is required"},
		{"issue: empty scopes", "POST", issue, `{"scopes":[]}`, 400, "ValidationError", "scopes is required"},
		{"issue: unknown scope", "POST", issue, `{"scopes":["Chat"]}`, 400, "ValidationError", `"Chat" is not a scope`},
		{"issue: 59 minutes", "POST", issue, `{"scopes":["chat"],"expiresInMinutes":59}`, 400, "ValidationError", "out of range"},
		{"issue: 1441 minutes", "POST", issue, `{"scopes":["chat"],"expiresInMinutes":1441}`, 400, "ValidationError", "out of range"},
		{"issue: fractional minutes", "POST", issue, `{"scopes":["chat"],"expiresInMinutes":60.5}`, 400, "InvalidRequestBody", "expiresInMinutes"},
		{"issue: unknown identity", "POST", acsPath(unknown, ":issueAccessToken", ACSAPIVersion), `{"scopes":["chat"]}`, 404, "IdentityNotFound", "does not exist"},
		{"issue: deleted identity", "POST", acsPath(deleted, ":issueAccessToken", ACSAPIVersion), `{"scopes":["chat"]}`, 404, "IdentityNotFound", "deleted"},
		{"issue: plain name never seen", "POST", acsPath("alice", ":issueAccessToken", ACSAPIVersion), `{"scopes":["chat"]}`, 404, "IdentityNotFound", "alice"},
		{"revoke: unknown identity", "POST", acsPath(unknown, ":revokeAccessTokens", ACSAPIVersion), ``, 404, "IdentityNotFound", "does not exist"},
		{"revoke: deleted identity", "POST", acsPath(deleted, ":revokeAccessTokens", ACSAPIVersion), ``, 404, "IdentityNotFound", "deleted"},
		{"delete: unknown identity", "DELETE", acsPath(unknown, "", ACSAPIVersion), ``, 404, "IdentityNotFound", "does not exist"},
		{"delete: deleted identity", "DELETE", acsPath(deleted, "", ACSAPIVersion), ``, 404, "IdentityNotFound", "deleted"},
		{"create: GET", "GET", create, ``, 405, "MethodNotAllowed", "use POST"},
		{"identity: POST", "POST", acsPath(id, "", ACSAPIVersion), ``, 405, "MethodNotAllowed", "use DELETE"},
		{"issue: GET", "GET", issue, ``, 405, "MethodNotAllowed", "use POST"},
		{"unknown action", "POST", acsPath(id, ":renameIdentity", ACSAPIVersion), `{}`, 404, "NotFound", "no route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := iss.Stats().Identities
			wantACSError(t, acsCall(t, h, tc.method, tc.target, tc.body), tc.status, tc.code, tc.fragment)
			if after := iss.Stats().Identities; len(after) != len(before) {
				t.Errorf("a refused request changed the identities (%d -> %d)", len(before), len(after))
			}
		})
	}
	if iss.HasIdentity("alice") {
		t.Error("asking for a token of an unknown plain name registered it")
	}
}

func TestACSIdentityRoutesAcceptTheThreeAPIVersionsAndRefuseOthers(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	h := iss.Handler()
	for _, v := range []string{"2023-10-01", "2022-10-01", "2021-03-07"} {
		wantStatus(t, acsCall(t, h, "POST", "/identities?api-version="+v, ""), http.StatusCreated)
	}
	id := createACSIdentity(t, h)
	for _, tc := range []struct {
		target, code, fragment string
	}{
		{"/identities", "ApiVersionUnspecified", "api-version=2023-10-01"},
		{"/identities?api-version=", "ApiVersionUnspecified", "required"},
		{"/identities?api-version=2020-07-20-preview2", "UnsupportedApiVersion", "does not support the API version '2020-07-20-preview2'"},
		{"/identities?api-version=2025-06-30", "UnsupportedApiVersion", "2023-10-01, 2022-10-01, 2021-03-07"},
		{"/identities?api-version=2023-10-01&api-version=2022-10-01", "AmbiguousApiVersion", "send one"},
		{strings.Replace(acsPath(id, ":issueAccessToken", ACSAPIVersion), ACSAPIVersion, "2099-01-01", 1), "UnsupportedApiVersion", "2099-01-01"},
	} {
		wantACSError(t, acsCall(t, h, "POST", tc.target, `{"scopes":["chat"]}`), http.StatusBadRequest, tc.code, tc.fragment)
	}
}

func TestACSRevokeAccessTokensRefusesEarlierTokensOnly(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	h := iss.Handler()
	id := createACSIdentity(t, h)
	issue := func() string {
		w := acsCall(t, h, "POST", acsPath(id, ":issueAccessToken", ACSAPIVersion), `{"scopes":["voip"]}`)
		wantStatus(t, w, http.StatusOK)
		return decodeBody[acsAccessToken](t, w.Body).Token
	}
	old := issue()
	wantStatus(t, acsCall(t, h, "POST", acsPath(id, ":revokeAccessTokens", ACSAPIVersion), ""), http.StatusNoContent)
	if _, err := iss.Verify(old); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("Verify(token issued before the revocation) = %v, want ErrTokenRevoked", err)
	}
	if w := call(h, "GET", PathMe, "", "", "Authorization", "Bearer "+old); w.Code != http.StatusUnauthorized ||
		!strings.Contains(w.Header().Get("WWW-Authenticate"), "revoked") {
		t.Errorf("/api/me with a revoked token: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if _, err := iss.Verify(issue()); err != nil {
		t.Errorf("a token issued after the revocation is refused: %v", err)
	}
}

func TestACSDeleteIdentityRefusesItsTokensAndFurtherIssuing(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	h := iss.Handler()
	w := acsCall(t, h, "POST", "/identities?api-version="+ACSAPIVersion, `{"createTokenWithScopes":["chat"]}`)
	wantStatus(t, w, http.StatusCreated)
	created := decodeBody[acsCreateIdentityResponse](t, w.Body)
	id, tok := created.Identity.ID, created.AccessToken.Token
	if w := call(h, "GET", PathMe, "", "", "Authorization", "Bearer "+tok); w.Code != http.StatusOK {
		t.Fatalf("/api/me before deletion: %d %s", w.Code, w.Body.Bytes())
	}
	w = acsCall(t, h, "DELETE", acsPath(id, "", ACSAPIVersion), "")
	wantStatus(t, w, http.StatusNoContent)
	if w.Body.Len() != 0 {
		t.Errorf("204 with a body: %q", w.Body.Bytes())
	}
	if iss.HasIdentity(id) {
		t.Error("the identity still exists after DELETE")
	}
	if _, err := iss.Verify(tok); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("Verify(token of a deleted identity) = %v, want ErrTokenRevoked", err)
	}
	if w := call(h, "GET", PathMe, "", "", "Authorization", "Bearer "+tok); w.Code != http.StatusUnauthorized {
		t.Errorf("/api/me with a deleted identity's token: %d, want 401", w.Code)
	}
	wantACSError(t, acsCall(t, h, "POST", acsPath(id, ":issueAccessToken", ACSAPIVersion), `{"scopes":["chat"]}`),
		http.StatusNotFound, "IdentityNotFound")
}

func TestACSIssueAccessTokenServesInjectedFaultsWithTheirStatus(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	h := iss.Handler()
	id := createACSIdentity(t, h)
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Status: http.StatusTooManyRequests, RetryAfter: 3 * time.Second, Count: 2}); err != nil {
		t.Fatal(err)
	}
	w := acsCall(t, h, "POST", acsPath(id, ":issueAccessToken", ACSAPIVersion), `{"scopes":["chat"]}`)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "3" {
		t.Errorf("issue under a 429 fault: %d Retry-After %q, want 429 and 3", w.Code, w.Header().Get("Retry-After"))
	}
	before := len(iss.Stats().Identities)
	w = acsCall(t, h, "POST", "/identities?api-version="+ACSAPIVersion, `{"createTokenWithScopes":["chat"]}`)
	if w.Code != http.StatusTooManyRequests {
		t.Errorf("create with a token under a 429 fault: %d, want 429", w.Code)
	}
	if after := len(iss.Stats().Identities); after != before {
		t.Errorf("a create whose token failed kept its identity (%d -> %d)", before, after)
	}
	wantStatus(t, acsCall(t, h, "POST", acsPath(id, ":issueAccessToken", ACSAPIVersion), `{"scopes":["chat"]}`), http.StatusOK)
}

package fakeissuer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"tokentop/issuer"
)

// oauth2Token asks /oauth2/token for an upstream (Teams / Entra) token with
// extra form fields.
func oauth2Token(t testing.TB, iss *Issuer, extra url.Values) (tokenResponse, *httptest.ResponseRecorder) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {iss.ClientID()}, "client_secret": {iss.ClientSecret()}}
	for k, v := range extra {
		form[k] = v
	}
	w := call(iss.Handler(), "POST", PathOAuth2Token, "application/x-www-form-urlencoded", form.Encode())
	if w.Code != http.StatusOK {
		return tokenResponse{}, w
	}
	var tr tokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil {
		t.Fatal(err)
	}
	return tr, w
}

// teamsExchangeBody is the JSON of a /teamsUser/:exchangeAccessToken request.
func teamsExchangeBody(token, appID, userID string) string {
	b, _ := json.Marshal(acsTeamsExchangeRequest{Token: token, AppID: appID, UserID: userID})
	return string(b)
}

func TestACSTeamsUserExchangeMatchesTheTeamsTokenExpiryAndUser(t *testing.T) {
	iss := newACSIssuer(t, Options{ClientID: "teams-app"})
	teams, _ := oauth2Token(t, iss, url.Values{"expires_in": {"2700"}})
	up := unverifiedClaims(t, teams.AccessToken)
	w := acsCall(t, iss.Handler(), "POST", PathACSTeamsUserExchange+"?api-version="+ACSAPIVersion, teamsExchangeBody(teams.AccessToken, "teams-app", up.ObjectID))
	wantStatus(t, w, http.StatusOK)
	got := decodeBody[acsAccessToken](t, w.Body)
	c, err := iss.Verify(got.Token)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != teamsUserPrefix+up.ObjectID {
		t.Errorf("sub %q, want 8:orgid:%s", c.Subject, up.ObjectID)
	}
	if !c.ExpiresAt.Equal(up.ExpiresAt.Time) || !got.ExpiresOn.Equal(up.ExpiresAt.Time) {
		t.Errorf("ACS token exp %v (expiresOn %v), Teams token exp %v: want equal", c.ExpiresAt, got.ExpiresOn, up.ExpiresAt)
	}
}

func TestACSTeamsUserExchangeRefusesBadRequests(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{ClientID: "teams-app", ACS: ACSOptions{AccessKey: testACSKey}})
	h := iss.Handler()
	teams, _ := oauth2Token(t, iss, nil)
	oid := unverifiedClaims(t, teams.AccessToken).ObjectID
	acs, err := iss.Issue(context.Background(), issuerRequest("alice"))
	if err != nil {
		t.Fatal(err)
	}
	expiring, _ := oauth2Token(t, iss, url.Values{"expires_in": {"60"}})
	target := PathACSTeamsUserExchange + "?api-version=" + ACSAPIVersion
	for _, tc := range []struct {
		name, body string
		advance    time.Duration
		status     int
		code       string
		fragment   string
	}{
		{"no token", teamsExchangeBody("", "teams-app", oid), 0, 400, "ValidationError", "lacks token"},
		{"nothing", `{}`, 0, 400, "ValidationError", "lacks token, appId, userId"},
		{"not JSON", `token=abc`, 0, 400, "InvalidRequestBody", "invalid JSON"},
		{"wrong app", teamsExchangeBody(teams.AccessToken, "other-app", oid), 0, 400, "AppIdMismatch", `appid claim "teams-app"`},
		{"wrong user", teamsExchangeBody(teams.AccessToken, "teams-app", "someone-else"), 0, 400, "UserIdMismatch", oid},
		{"garbage token", teamsExchangeBody("a.b.c", "teams-app", oid), 0, 401, "InvalidAccessToken", "malformed"},
		{"ACS token instead of a Teams token", teamsExchangeBody(acs.Token, "teams-app", oid), 0, 401, "InvalidAccessToken", "not a Teams or Entra token"},
		{"expired Teams token", teamsExchangeBody(expiring.AccessToken, "teams-app", oid), 2 * time.Minute, 401, "InvalidAccessToken", "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk.Advance(tc.advance)
			wantACSError(t, acsCall(t, h, "POST", target, tc.body), tc.status, tc.code, tc.fragment)
		})
	}
	if err := iss.Revoke(context.Background(), oid); err != nil {
		t.Fatal(err)
	}
	wantACSError(t, acsCall(t, h, "POST", target, teamsExchangeBody(teams.AccessToken, "teams-app", oid)), 401, "InvalidAccessToken", "revoked")
}

func TestACSEntraExchangesTradeABearerTokenForAnACSTokenOfTheSameExpiry(t *testing.T) {
	iss := newACSIssuer(t, Options{ResourceID: "res"})
	h := iss.Handler()
	entra, _ := oauth2Token(t, iss, url.Values{"scope": {"https://communication.azure.com/clients/.default"}})
	up := unverifiedClaims(t, entra.AccessToken)
	for _, tc := range []struct {
		route, version, subject string
	}{
		{PathACSEntraExchange, ACSEntraAPIVersion, acsIDPrefix + "res_" + up.ObjectID},
		{PathACSTeamsExtensionExchange, ACSTeamsExtensionAPIVersion, teamsUserPrefix + up.ObjectID},
	} {
		w := call(h, "POST", tc.route+"?api-version="+tc.version, "application/json", "{}", "Authorization", "Bearer "+entra.AccessToken)
		wantStatus(t, w, http.StatusOK)
		got := decodeBody[acsEntraExchangeResponse](t, w.Body)
		if got.AccessToken == nil {
			t.Fatalf("%s: no accessToken in %s", tc.route, w.Body.Bytes())
		}
		c, err := iss.Verify(got.AccessToken.Token)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != tc.subject || !c.ExpiresAt.Equal(up.ExpiresAt.Time) || !got.AccessToken.ExpiresOn.Equal(up.ExpiresAt.Time) {
			t.Errorf("%s: sub %q exp %v; want %q and the Entra token's exp %v", tc.route, c.Subject, c.ExpiresAt, tc.subject, up.ExpiresAt)
		}
	}
	if !iss.HasIdentity(acsIDPrefix + "res_" + up.ObjectID) {
		t.Error("the Entra exchange did not register the user's ACS identity")
	}
}

func TestACSEntraExchangesRefuseBadRequests(t *testing.T) {
	iss := newACSIssuer(t, Options{ResourceID: "res"})
	h := iss.Handler()
	entra, _ := oauth2Token(t, iss, nil)
	acs, err := iss.Issue(context.Background(), issuerRequest("bob"))
	if err != nil {
		t.Fatal(err)
	}
	entraURL := PathACSEntraExchange + "?api-version=" + ACSEntraAPIVersion
	extURL := PathACSTeamsExtensionExchange + "?api-version=" + ACSTeamsExtensionAPIVersion
	for _, tc := range []struct {
		name, target, auth string
		status             int
		code, fragment     string
	}{
		{"no bearer", entraURL, "", 401, "Denied", "no bearer token"},
		{"HMAC instead of bearer", extURL, "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=abc", 401, "Denied", "no bearer token"},
		{"ACS token as bearer", entraURL, "Bearer " + acs.Token, 401, "InvalidAccessToken", "not a Teams or Entra token"},
		{"garbage bearer", extURL, "Bearer nope", 401, "InvalidAccessToken", "malformed"},
		{"entra: identity API version", PathACSEntraExchange + "?api-version=" + ACSAPIVersion, "Bearer " + entra.AccessToken, 400, "UnsupportedApiVersion", ACSEntraAPIVersion},
		{"teams extension: entra API version", PathACSTeamsExtensionExchange + "?api-version=" + ACSEntraAPIVersion, "Bearer " + entra.AccessToken, 400, "UnsupportedApiVersion", ACSTeamsExtensionAPIVersion},
		{"no API version", PathACSEntraExchange, "Bearer " + entra.AccessToken, 400, "ApiVersionUnspecified", ACSEntraAPIVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var header []string
			if tc.auth != "" {
				header = []string{"Authorization", tc.auth}
			}
			wantACSError(t, call(h, "POST", tc.target, "application/json", "{}", header...), tc.status, tc.code, tc.fragment)
		})
	}
	// A deleted ACS identity of an Entra user stays deleted.
	id := acsIDPrefix + "res_" + unverifiedClaims(t, entra.AccessToken).ObjectID
	wantStatus(t, call(h, "POST", entraURL, "application/json", "{}", "Authorization", "Bearer "+entra.AccessToken), http.StatusOK)
	if err := iss.DeleteIdentity(id); err != nil {
		t.Fatal(err)
	}
	wantACSError(t, call(h, "POST", entraURL, "application/json", "{}", "Authorization", "Bearer "+entra.AccessToken), 404, "IdentityNotFound", "deleted")
}

func TestACSEntraExchangeServesInjectedFaults(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	entra, _ := oauth2Token(t, iss, nil)
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Status: http.StatusServiceUnavailable, Count: 1}); err != nil {
		t.Fatal(err)
	}
	w := call(iss.Handler(), "POST", PathACSEntraExchange+"?api-version="+ACSEntraAPIVersion, "application/json", "{}", "Authorization", "Bearer "+entra.AccessToken)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503 from the injected fault; body %s", w.Code, w.Body.Bytes())
	}
}

// issuerRequest asks Issue for a default token of identity.
func issuerRequest(identity string) issuer.Request { return issuer.Request{Identity: identity} }

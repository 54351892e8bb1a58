package fakeissuer

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"tokentop/issuer"
)

func postJSON(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGetTokenIssuesTheAskedTokenForUsername(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{})
	srv := serve(t, iss)
	resp := postJSON(t, srv.URL+PathGetToken, `{"username":"alice","scopes":["voip"],"expiresInMinutes":90}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp))
	}
	got := decodeBody[appTokenResponse](t, resp.Body)
	c, err := iss.Verify(got.Token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.UserID != "alice" || c.Subject != "alice" || lifetimeOf(c) != 90*time.Minute || strings.Join(c.Scopes, ",") != "voip" {
		t.Errorf("user %q sub %q lifetime %v scopes %v", got.UserID, c.Subject, lifetimeOf(c), c.Scopes)
	}
	if !got.ExpiresOn.Equal(clk.Now().Truncate(time.Second).Add(90 * time.Minute)) {
		t.Errorf("expiresOn = %v", got.ExpiresOn)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
	}
}

func TestGetTokenWithoutUsernameCreatesAnACSIdentity(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	w := call(iss.Handler(), http.MethodPost, PathGetToken, "application/json", `{}`)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := decodeBody[appTokenResponse](t, w.Body)
	if !strings.HasPrefix(got.UserID, "8:acs:") || !iss.HasIdentity(got.UserID) {
		t.Errorf("user id %q is not a created ACS identity", got.UserID)
	}
}

func TestGetTokenRefusesBadRequestsWithJSONErrors(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	deleted := createIdentity(t, iss)
	_ = iss.DeleteIdentity(deleted)
	for _, tc := range []struct {
		name, method, body string
		status             int
		code               string
	}{
		{"malformed JSON", "POST", `{"username":`, 400, "InvalidRequestBody"},
		{"not JSON", "POST", `username=alice`, 400, "InvalidRequestBody"},
		{"unknown field", "POST", `{"username":"a","admin":true}`, 400, "InvalidRequestBody"},
		{"wrong type", "POST", `{"username":42}`, 400, "InvalidRequestBody"},
		{"trailing data", "POST", `{"username":"a"} {}`, 400, "InvalidRequestBody"},
		{"empty body", "POST", ``, 400, "InvalidRequestBody"},
		{"oversize body", "POST", `{"username":"` + strings.Repeat("a", MaxRequestBody) + `"}`, 413, "RequestTooLarge"},
		{"negative lifetime", "POST", `{"username":"a","expiresInMinutes":-5}`, 400, "InvalidExpiresInMinutes"},
		{"huge lifetime", "POST", `{"username":"a","expiresInMinutes":99999999}`, 400, "InvalidExpiresInMinutes"},
		{"deleted identity", "POST", `{"username":"` + deleted + `"}`, 404, "IdentityNotFound"},
		{"wrong method", "GET", ``, 405, "MethodNotAllowed"},
		{"PUT", "PUT", `{}`, 405, "MethodNotAllowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := call(iss.Handler(), tc.method, PathGetToken, "application/json", tc.body)
			if w.Code != tc.status || errorCode(t, w.Body.Bytes()) != tc.code {
				t.Errorf("= %d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
			if tc.status == 405 && w.Header().Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", w.Header().Get("Allow"))
			}
		})
	}
}

func TestUnknownPathGetsJSON404(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	w := call(iss.Handler(), http.MethodGet, "/nope", "", "")
	if w.Code != 404 || errorCode(t, w.Body.Bytes()) != "NotFound" {
		t.Errorf("= %d %s", w.Code, w.Body)
	}
}

func TestPanickingRouteGetsJSON500(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	iss.Handle("/boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }))
	w := call(iss.Handler(), http.MethodGet, "/boom", "", "")
	if w.Code != 500 || errorCode(t, w.Body.Bytes()) != "InternalError" {
		t.Errorf("= %d %s", w.Code, w.Body)
	}
}

func TestGetTokenForTeamsUserMatchesTheTeamsTokenExpiry(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{})
	teams, err := iss.IssueUpstream(context.Background(), "app-1", 45*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	up := unverifiedClaims(t, teams.Token)
	if up.AppID != "app-1" || up.ObjectID == "" || up.Audience[0] != UpstreamAudience {
		t.Fatalf("upstream claims %+v, want appid app-1, an oid and the ACS exchange audience", up)
	}
	clk.Advance(10 * time.Minute)
	w := call(iss.Handler(), http.MethodPost, PathGetTokenForTeams, "application/json", `{"teamsToken":"`+teams.Token+`"}`)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := decodeBody[appTokenResponse](t, w.Body)
	c, err := iss.Verify(got.Token)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ExpiresAt.Equal(up.ExpiresAt.Time) || !got.ExpiresOn.Equal(teams.ExpiresOn) {
		t.Errorf("ACS exp %v / expiresOn %v, want the Teams token's %v", c.ExpiresAt, got.ExpiresOn, up.ExpiresAt)
	}
	if got.UserID != "8:orgid:"+up.ObjectID || c.Subject != got.UserID {
		t.Errorf("user %q sub %q, want 8:orgid:%s", got.UserID, c.Subject, up.ObjectID)
	}
	// In-process gives the same.
	acs, err := iss.ExchangeTeamsToken(context.Background(), teams.Token)
	if err != nil || !acs.ExpiresOn.Equal(teams.ExpiresOn) {
		t.Errorf("ExchangeTeamsToken = %v, %v; want expiry %v", acs.ExpiresOn, err, teams.ExpiresOn)
	}
}

func TestGetTokenForTeamsUserRefusesBadTeamsTokens(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{})
	acs, _ := iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
	expiring, _ := iss.IssueUpstream(context.Background(), "app", time.Minute)
	clk.Advance(2 * time.Minute)
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"missing", `{}`, 400, "MissingTeamsToken"},
		{"garbage", `{"teamsToken":"x.y.z"}`, 401, "InvalidTeamsToken"},
		{"ACS token", `{"teamsToken":"` + acs.Token + `"}`, 401, "InvalidTeamsToken"},
		{"expired", `{"teamsToken":"` + expiring.Token + `"}`, 401, "InvalidTeamsToken"},
		{"unknown field", `{"teamsToken":"a","x":1}`, 400, "InvalidRequestBody"},
	} {
		w := call(iss.Handler(), http.MethodPost, PathGetTokenForTeams, "application/json", tc.body)
		if w.Code != tc.status || errorCode(t, w.Body.Bytes()) != tc.code {
			t.Errorf("%s: = %d %s, want %d %s", tc.name, w.Code, w.Body, tc.status, tc.code)
		}
	}
	w := call(iss.Handler(), http.MethodPost, PathGetTokenForTeams, "application/json", `{"teamsToken":"`+expiring.Token+`"}`)
	if !strings.Contains(w.Body.String(), "expired") {
		t.Errorf("expired Teams token: body %s does not say expired", w.Body)
	}
	if w := call(iss.Handler(), http.MethodGet, PathGetTokenForTeams, "", ""); w.Code != 405 {
		t.Errorf("GET = %d, want 405", w.Code)
	}
}

func TestEveryRouteAnswersAWrongMethodWithJSON405AndAllow(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for path, allow := range map[string]string{
		PathGetToken:           "POST",
		PathGetTokenForTeams:   "POST",
		PathOpenIDConfig:       "GET, HEAD",
		PathJWKS:               "GET, HEAD",
		PathOAuth2Token:        "POST",
		PathOAuth2Authorize:    "GET, HEAD, POST",
		PathMe:                 "GET, HEAD",
		PathAdminFaults:        "GET, HEAD, POST, DELETE",
		PathAdminFaults + "/1": "DELETE",
		PathAdminStats:         "GET, HEAD",
		PathAdminRevoke:        "POST",
	} {
		w := call(iss.Handler(), http.MethodPatch, path, "", "")
		if w.Code != 405 || w.Header().Get("Allow") != allow {
			t.Errorf("PATCH %s = %d Allow %q %s, want a JSON 405 allowing %s", path, w.Code, w.Header().Get("Allow"), w.Body, allow)
		}
		// The OAuth2 endpoints answer in RFC 6749's error shape, the others in ACS's.
		if strings.HasPrefix(path, "/oauth2/") {
			if code := oauthCode(t, w.Body.Bytes()); code != "invalid_request" {
				t.Errorf("PATCH %s: error %q, want invalid_request", path, code)
			}
		} else if code := errorCode(t, w.Body.Bytes()); code != "MethodNotAllowed" {
			t.Errorf("PATCH %s: code %q, want MethodNotAllowed", path, code)
		}
	}
}

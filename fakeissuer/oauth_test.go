package fakeissuer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"tokentop/internal/clock"
	"tokentop/issuer"
)

func TestClientCredentialsLibraryGetsATokenUnchanged(t *testing.T) {
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleAutoDetect, oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		iss, _ := newTestIssuer(t, Options{Clock: clock.Real{}, ClientID: "my app", ClientSecret: "s3cr:et&=+"})
		srv := serve(t, iss)
		cfg := clientcredentials.Config{ClientID: "my app", ClientSecret: "s3cr:et&=+", TokenURL: srv.URL + PathOAuth2Token,
			Scopes: []string{"chat", "voip"}, AuthStyle: style}
		tok, err := cfg.Token(context.Background())
		if err != nil {
			t.Fatalf("auth style %d: Token: %v", style, err)
		}
		if !tok.Valid() || tok.TokenType != "Bearer" || time.Until(tok.Expiry) < 59*time.Minute {
			t.Errorf("auth style %d: token %+v, want a valid bearer token for about an hour", style, tok)
		}
		c, err := iss.Verify(tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if c.AppID != "my app" || strings.Join(c.Scopes, " ") != "chat voip" {
			t.Errorf("claims appid %q scp %v", c.AppID, c.Scopes)
		}
	}
}

func TestClientCredentialsLibrarySeesInvalidClient(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{Clock: clock.Real{}})
	srv := serve(t, iss)
	cfg := clientcredentials.Config{ClientID: "tokentop", ClientSecret: "wrong", TokenURL: srv.URL + PathOAuth2Token}
	_, err := cfg.Token(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Errorf("err = %v, want a RetrieveError with invalid_client", err)
	}
}

func TestOAuth2TokenRefusesBadRequests(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{ClientSecret: "pw"})
	h := iss.Handler()
	form := "application/x-www-form-urlencoded"
	basic := func(id, secret string) string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(id, secret)
		return r.Header.Get("Authorization")
	}
	for _, tc := range []struct {
		name, method, ct, body, auth string
		status                       int
		code                         string
	}{
		{"no auth", "POST", form, "grant_type=client_credentials", "", 401, "invalid_client"},
		{"wrong secret (Basic)", "POST", form, "grant_type=client_credentials", basic("tokentop", "nope"), 401, "invalid_client"},
		{"wrong id (form)", "POST", form, "grant_type=client_credentials&client_id=x&client_secret=pw", "", 401, "invalid_client"},
		{"two auth methods", "POST", form, "grant_type=client_credentials&client_id=tokentop&client_secret=pw", basic("tokentop", "pw"), 400, "invalid_request"},
		{"no grant", "POST", form, "", basic("tokentop", "pw"), 400, "invalid_request"},
		{"wrong grant", "POST", form, "grant_type=password", basic("tokentop", "pw"), 400, "unsupported_grant_type"},
		{"bad expires_in", "POST", form, "grant_type=client_credentials&expires_in=-3", basic("tokentop", "pw"), 400, "invalid_request"},
		{"JSON body", "POST", "application/json", `{"grant_type":"client_credentials"}`, basic("tokentop", "pw"), 400, "invalid_request"},
		{"bad form", "POST", form, "a=%zz", basic("tokentop", "pw"), 400, "invalid_request"},
		{"oversize", "POST", form, "grant_type=client_credentials&x=" + strings.Repeat("a", MaxRequestBody), basic("tokentop", "pw"), 413, "invalid_request"},
	} {
		w := call(h, tc.method, PathOAuth2Token, tc.ct, tc.body, "Authorization", tc.auth)
		if w.Code != tc.status || oauthCode(t, w.Body.Bytes()) != tc.code {
			t.Errorf("%s: = %d %s, want %d %s", tc.name, w.Code, w.Body, tc.status, tc.code)
		}
		if tc.status == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: WWW-Authenticate = %q", tc.name, w.Header().Get("WWW-Authenticate"))
		}
	}
}

func TestOAuth2TokenHonoursExpiresInAndFaults(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{ClientSecret: "pw"})
	h := iss.Handler()
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {"tokentop"}, "client_secret": {"pw"}, "expires_in": {"600"}}.Encode()
	w := call(h, http.MethodPost, PathOAuth2Token, "application/x-www-form-urlencoded", body)
	got := decodeBody[tokenResponse](t, w.Body)
	if w.Code != 200 || got.ExpiresIn != 600 || lifetimeOf(unverifiedClaims(t, got.AccessToken)) != 10*time.Minute {
		t.Errorf("= %d expires_in %d, want 200 and 600", w.Code, got.ExpiresIn)
	}
	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Status: 429, RetryAfter: 5 * time.Second, Count: 1})
	w = call(h, http.MethodPost, PathOAuth2Token, "application/x-www-form-urlencoded", body)
	if w.Code != 429 || oauthCode(t, w.Body.Bytes()) != "temporarily_unavailable" || w.Header().Get("Retry-After") != "5" {
		t.Errorf("429 fault: = %d %s Retry-After %q", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Status: 401, Count: 1})
	w = call(h, http.MethodPost, PathOAuth2Token, "application/x-www-form-urlencoded", body)
	if w.Code != 401 || oauthCode(t, w.Body.Bytes()) != "invalid_client" {
		t.Errorf("401 fault: = %d %s", w.Code, w.Body)
	}
}

func TestOpenIDConfigurationPointsAtThisServer(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{IssuerURL: "http://issuer.test"})
	srv := serve(t, iss)
	resp, err := http.Get(srv.URL + PathOpenIDConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cfg := decodeBody[openIDConfig](t, resp.Body)
	if cfg.Issuer != "http://issuer.test" || cfg.JWKSURI != srv.URL+PathJWKS || cfg.TokenEndpoint != srv.URL+PathOAuth2Token || cfg.SigningAlgs[0] != "ES256" {
		t.Errorf("config = %+v", cfg)
	}
	if w := call(iss.Handler(), http.MethodPost, PathOpenIDConfig, "", ""); w.Code != 405 {
		t.Errorf("POST = %d, want 405", w.Code)
	}
}

// jwksKeyfunc fetches the server's JWKS the way a resource server would.
func jwksKeyfunc(t *testing.T, url string) keyfunc.Keyfunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	k, err := keyfunc.NewDefaultCtx(ctx, []string{url})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTokensVerifyAgainstJWKSWithKeyfunc(t *testing.T) {
	for _, alg := range []string{AlgES256, AlgRS256} {
		t.Run(alg, func(t *testing.T) {
			iss, _ := newTestIssuer(t, Options{Clock: clock.Real{}, Algorithm: alg})
			srv := serve(t, iss)
			k := jwksKeyfunc(t, srv.URL+PathJWKS)
			tok, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			var c Claims
			parsed, err := jwt.ParseWithClaims(tok.Token, &c, k.Keyfunc, jwt.WithValidMethods([]string{alg}))
			if err != nil || !parsed.Valid || c.Subject != "alice" {
				t.Fatalf("verify against /jwks: %v (sub %q)", err, c.Subject)
			}
			upstream, _ := iss.IssueUpstream(context.Background(), "app", 0)
			if _, err := jwt.Parse(upstream.Token, k.Keyfunc, jwt.WithValidMethods([]string{alg})); err != nil {
				t.Errorf("upstream token: %v", err)
			}
		})
	}
}

func TestJWKSVerifierRefusesAlgNoneAndWrongAlg(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{Clock: clock.Real{}, Algorithm: AlgRS256})
	srv := serve(t, iss)
	k := jwksKeyfunc(t, srv.URL+PathJWKS)
	none := forge(t, iss, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType)
	if _, err := jwt.Parse(none, k.Keyfunc); err == nil {
		t.Error("alg none verified against /jwks")
	}
	// HS256 under the RS256 key id, keyed with bytes of the attacker's choosing.
	confused := forge(t, iss, jwt.SigningMethodHS256, []byte(srv.URL))
	if _, err := jwt.Parse(confused, k.Keyfunc); err == nil {
		t.Error("HS256 token verified against an RS256 /jwks")
	}
	es, _ := newTestIssuer(t, Options{})
	wrongAlg := forge(t, iss, jwt.SigningMethodES256, es.key.sign)
	if _, err := jwt.Parse(wrongAlg, k.Keyfunc, jwt.WithValidMethods([]string{AlgRS256})); err == nil {
		t.Error("ES256 token verified against an RS256 key")
	}
}

func TestJWKSNeverPublishesAnHS256Secret(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{Algorithm: AlgHS256})
	w := call(iss.Handler(), http.MethodGet, PathJWKS, "", "")
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"keys":[]}` {
		t.Errorf("= %d %s, want an empty key set", w.Code, w.Body)
	}
}

// tokenForm posts form to /oauth2/token with the client's Basic credentials.
func tokenForm(h http.Handler, method, form string) *httptest.ResponseRecorder {
	return call(h, method, PathOAuth2Token, "application/x-www-form-urlencoded", form, "Authorization", "Basic dG9rZW50b3A6cHc=")
}

func TestOAuth2TokenRefusesRepeatedParameters(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{ClientSecret: "pw"})
	h := iss.Handler()
	for _, form := range []string{
		"grant_type=client_credentials&grant_type=client_credentials",
		"grant_type=password&grant_type=client_credentials",
		"grant_type=client_credentials&scope=chat&scope=voip",
		"grant_type=client_credentials&expires_in=60&expires_in=120",
	} {
		if w := tokenForm(h, http.MethodPost, form); w.Code != 400 || oauthCode(t, w.Body.Bytes()) != "invalid_request" {
			t.Errorf("%s = %d %s, want 400 invalid_request", form, w.Code, w.Body)
		}
	}
	// Two secrets in the form: refused before either is checked.
	form := "grant_type=client_credentials&client_id=tokentop&client_secret=wrong&client_secret=pw"
	w := call(h, http.MethodPost, PathOAuth2Token, "application/x-www-form-urlencoded", form)
	if w.Code != 400 || oauthCode(t, w.Body.Bytes()) != "invalid_request" || !strings.Contains(w.Body.String(), "client_secret") {
		t.Errorf("two client secrets = %d %s, want 400 invalid_request naming client_secret", w.Code, w.Body)
	}
	if iss.Stats().Issued != 0 {
		t.Errorf("a request with repeated parameters got a token")
	}
}

func TestOAuth2TokenRefusesScopesOutsideTheScopeTokenSyntax(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{ClientSecret: "pw"})
	h := iss.Handler()
	for _, scope := range []string{"chat\x00", "chat\x1b[31m", "chat\tvoip", "chat\nvoip", `ch"at`, `ch\at`, "chät", "chat\x7f"} {
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}.Encode()
		if w := tokenForm(h, http.MethodPost, form); w.Code != 400 || oauthCode(t, w.Body.Bytes()) != "invalid_scope" {
			t.Errorf("scope %q = %d %s, want 400 invalid_scope", scope, w.Code, w.Body)
		}
	}
	if iss.Stats().Issued != 0 {
		t.Errorf("a request with a bad scope got a token")
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {" chat  a:b/c.d!#$%&'()*+,-;<=>?@[]^_`{|}~ "}}.Encode()
	w := tokenForm(h, http.MethodPost, form)
	if got := decodeBody[tokenResponse](t, w.Body); w.Code != 200 || got.Scope != "chat a:b/c.d!#$%&'()*+,-;<=>?@[]^_`{|}~" {
		t.Errorf("every scope-token character = %d scope %q", w.Code, got.Scope)
	}
}

func TestGetTokenRefusesScopesOutsideTheScopeTokenSyntax(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for _, body := range []string{`{"username":"a","scopes":["chat\u0000"]}`, `{"username":"a","scopes":["chat voip"]}`, `{"username":"a","scopes":[""]}`} {
		if w := call(iss.Handler(), http.MethodPost, PathGetToken, "application/json", body); w.Code != 400 || errorCode(t, w.Body.Bytes()) != "InvalidScope" {
			t.Errorf("%s = %d %s, want 400 InvalidScope", body, w.Code, w.Body)
		}
	}
}

func TestOAuth2TokenAnswersAWrongMethodInRFC6749Shape(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{ClientSecret: "pw"})
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete} {
		w := tokenForm(iss.Handler(), method, "grant_type=client_credentials")
		if w.Code != 405 || w.Header().Get("Allow") != "POST" || oauthCode(t, w.Body.Bytes()) != "invalid_request" {
			t.Errorf("%s = %d Allow %q %s, want 405 invalid_request allowing POST", method, w.Code, w.Header().Get("Allow"), w.Body)
		}
	}
}

func TestOpenIDConfigurationNamesAnAuthorizationEndpointThatRefusesFlows(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	srv := serve(t, iss)
	resp, err := http.Get(srv.URL + PathOpenIDConfig)
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeBody[map[string]any](t, resp.Body)
	resp.Body.Close()
	// OpenID Connect Discovery 1.0 §3 requires these.
	for _, field := range []string{"issuer", "authorization_endpoint", "jwks_uri", "response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"} {
		if doc[field] == nil {
			t.Errorf("discovery lacks %s: %v", field, doc)
		}
	}
	authz, _ := doc["authorization_endpoint"].(string)
	if authz != srv.URL+PathOAuth2Authorize {
		t.Fatalf("authorization_endpoint = %q, want %s", authz, srv.URL+PathOAuth2Authorize)
	}
	resp, err = http.Get(authz + "?response_type=code&client_id=tokentop")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 400 || oauthCode(t, readAll(t, resp)) != "unsupported_response_type" {
		t.Errorf("GET authorization_endpoint = %d, want 400 unsupported_response_type", resp.StatusCode)
	}
}

func TestGetRoutesAnswerHEADLikeGET(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	srv := serve(t, iss)
	for _, path := range []string{PathOpenIDConfig, PathJWKS, PathMe, PathAdminFaults, PathAdminStats} {
		get, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		get.Body.Close()
		head, err := http.Head(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, head)
		if head.StatusCode != get.StatusCode || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") || len(body) != 0 {
			t.Errorf("HEAD %s = %d %q body %q, want GET's %d %q and no body", path, head.StatusCode,
				head.Header.Get("Content-Type"), body, get.StatusCode, get.Header.Get("Content-Type"))
		}
	}
}

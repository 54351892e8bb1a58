package fakeissuer

import (
	"context"
	"errors"
	"net/http"
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
	if w := call(h, http.MethodGet, PathOAuth2Token, "", ""); w.Code != 405 || errorCode(t, w.Body.Bytes()) != "MethodNotAllowed" {
		t.Errorf("GET = %d %s, want a JSON 405", w.Code, w.Body)
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

package issuer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/issuer"
)

// redirectingPair starts a server that 307-redirects every request to a
// second server on another port (another host to the client) and returns
// both, with a count of the requests the second one received.
func redirectingPair(t *testing.T) (from, to *httptest.Server, reached *atomic.Int64) {
	t.Helper()
	reached = new(atomic.Int64)
	to = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		fmt.Fprint(w, `{"access_token":"stolen-header-or-secret"}`)
	}))
	t.Cleanup(to.Close)
	from = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, to.URL+"/collect?code=hunter2", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(from.Close)
	return from, to, reached
}

func TestHTTPRefusesRedirectToAnotherHostSoHeaderEnvSecretsStay(t *testing.T) {
	from, to, reached := redirectingPair(t)
	opts := issuer.Options{LookupEnv: func(string) (string, bool) { return "k3y-from-env", true }}
	iss := newHTTPIssuer(t, from.URL+"/getToken#header_env=X-Api-Key:APP_KEY", opts)

	_, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err == nil {
		t.Fatal("Issue followed a redirect to another host")
	}
	for _, want := range []string{"POST " + from.URL + "/getToken", "redirected to " + to.URL + "/collect,"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q shows the redirect target's query", err)
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the other host received %d request(s), want none", n)
	}
}

func TestOAuth2RefusesRedirectToAnotherHostSoTheClientSecretStays(t *testing.T) {
	from, _, reached := redirectingPair(t)
	iss, err := issuer.Parse("oauth2:token_url="+from.URL+"/token,client_id=app,secret_env=APP_SECRET,auth=params", oauth2Opts())
	if err != nil {
		t.Fatal(err)
	}
	_, err = iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err == nil || !strings.Contains(err.Error(), "redirected to") {
		t.Errorf("err = %v, want the redirect refused", err)
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the other host received %d request(s) carrying the client secret, want none", n)
	}
}

func TestHTTPFollowsRedirectWithinTheSameHost(t *testing.T) {
	jwt := testJWT(fixedNow.Add(time.Hour))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/getToken", http.StatusPermanentRedirect)
			return
		}
		fmt.Fprintf(w, `{"token":%q}`, jwt)
	}))
	defer srv.Close()

	tok, err := newHTTPIssuer(t, srv.URL+"/old", issuer.Options{}).Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil || tok.Token != jwt {
		t.Errorf("got %q, %v; want the token from the redirect's target on the same host", tok.Token, err)
	}
}

package issuer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"tokentop/credential"
	"tokentop/issuer"
)

// issueWithInfo issues a token with a CallInfo in the context and returns
// what the adapter reported.
func issueWithInfo(t *testing.T, iss issuer.Issuer, r issuer.Request) (credential.AccessToken, *issuer.CallInfo, error) {
	t.Helper()
	info := &issuer.CallInfo{}
	tok, err := iss.Issue(issuer.WithCallInfo(context.Background(), info), r)
	return tok, info, err
}

// checkTimingSane fails unless every duration is non-negative and the
// whole exchange took at least as long as its wait for the first byte.
func checkTimingSane(t *testing.T, call string, h *issuer.HTTPTiming) {
	t.Helper()
	for name, d := range map[string]time.Duration{"DNS": h.DNS, "Connect": h.Connect, "TLS": h.TLS, "FirstByte": h.FirstByte, "Total": h.Total} {
		if d < 0 {
			t.Errorf("%s: %s = %v, negative", call, name, d)
		}
	}
	if h.Total < h.FirstByte || h.Total < h.Connect+h.TLS {
		t.Errorf("%s: Total %v is shorter than a phase: %+v", call, h.Total, *h)
	}
}

func TestHTTPReportsTimingsOfANewThenAReusedConnection(t *testing.T) {
	body := fmt.Sprintf(`{"token":%q}`, testJWT(time.Now().Add(time.Hour)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	iss, err := issuer.Parse(srv.URL, issuer.Options{HTTPClient: issuer.NewHTTPClient()})
	if err != nil {
		t.Fatal(err)
	}

	_, first, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if first.HTTP == nil {
		t.Fatal("first call: no HTTP timing")
	}
	h := first.HTTP
	if h.Reused || h.Connect <= 0 || h.Status != 200 || h.Bytes != int64(len(body)) || h.TLS != 0 || h.DNS != 0 {
		t.Errorf("first call: %+v, want a new connection (Connect > 0, no DNS for an IP, no TLS for http), status 200, %d bytes", *h, len(body))
	}
	checkTimingSane(t, "first call", h)

	_, second, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	h = second.HTTP
	if h == nil || !h.Reused || h.Connect != 0 || h.Status != 200 || h.Bytes != int64(len(body)) {
		t.Fatalf("second call: %+v, want the kept-alive connection reused, Connect 0, status 200, %d bytes", h, len(body))
	}
	checkTimingSane(t, "second call", h)
}

func TestHTTPReportsTLSHandshakeTime(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"token":%q}`, testJWT(time.Now().Add(time.Hour)))
	}))
	defer srv.Close()
	iss, err := issuer.Parse(srv.URL, issuer.Options{HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, info, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if info.HTTP == nil || info.HTTP.TLS <= 0 || info.HTTP.Connect <= 0 {
		t.Fatalf("HTTP = %+v, want a TLS handshake and a connect timed", info.HTTP)
	}
	checkTimingSane(t, "https call", info.HTTP)
}

func TestHTTPReportsTheFailedExchangeAndTheLastOfARedirect(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable) // "down\n"
	})
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "opaque-token-123")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	down, err := issuer.Parse(srv.URL+"/down", issuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, info, err := issueWithInfo(t, down, issuer.Request{Identity: "alice"}); err == nil || info.HTTP == nil || info.HTTP.Status != 503 || info.HTTP.Bytes != 5 {
		t.Errorf("503: err = %v, HTTP = %+v; want an error and the 503 with its 5 bytes timed", err, info.HTTP)
	}

	moved, err := issuer.Parse(srv.URL+"/old", issuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, info, err := issueWithInfo(t, moved, issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if info.HTTP == nil || info.HTTP.Status != 200 || info.HTTP.Bytes != int64(len("opaque-token-123")) {
		t.Fatalf("redirect: HTTP = %+v, want the final exchange: 200, 16 bytes", info.HTTP)
	}
	checkTimingSane(t, "redirected call", info.HTTP)
}

func TestOAuth2ReportsTimingsOfTheTokenRequest(t *testing.T) {
	fake, srv, _ := fakeServer(t)
	opts := issuer.Options{HTTPClient: issuer.NewHTTPClient(), LookupEnv: func(k string) (string, bool) {
		return fake.ClientSecret(), k == "FAKE_SECRET"
	}}
	iss, err := issuer.Parse("oauth2:token_url="+srv.URL+"/oauth2/token,client_id="+fake.ClientID()+",secret_env=FAKE_SECRET", opts)
	if err != nil {
		t.Fatal(err)
	}
	_, first, err := issueWithInfo(t, iss, issuer.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if h := first.HTTP; h == nil || h.Reused || h.Connect <= 0 || h.Status != 200 || h.Bytes < 100 {
		t.Fatalf("first call: HTTP = %+v, want a new connection timed, status 200, the token response's size", h)
	}
	checkTimingSane(t, "first call", first.HTTP)
	_, second, err := issueWithInfo(t, iss, issuer.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if h := second.HTTP; h == nil || !h.Reused || h.Connect != 0 || h.Status != 200 || h.Bytes != first.HTTP.Bytes {
		t.Fatalf("second call: HTTP = %+v, want the connection reused and the same response size as the first (%d)", h, first.HTTP.Bytes)
	}
	checkTimingSane(t, "second call", second.HTTP)
}

func TestOAuth2ReportsTheFailedTokenRequest(t *testing.T) {
	fake, srv, _ := fakeServer(t)
	opts := issuer.Options{LookupEnv: func(string) (string, bool) { return "wrong", true }}
	iss, err := issuer.Parse("oauth2:token_url="+srv.URL+"/oauth2/token,client_id="+fake.ClientID()+",secret_env=S,auth=params", opts)
	if err != nil {
		t.Fatal(err)
	}
	_, info, err := issueWithInfo(t, iss, issuer.Request{})
	if err == nil || info.HTTP == nil || info.HTTP.Status != 401 || info.HTTP.Bytes == 0 {
		t.Fatalf("err = %v, HTTP = %+v; want an error and the 401 timed", err, info.HTTP)
	}
	if info.Signature.State != "" {
		t.Errorf("Signature = %+v for a call that returned no token, want none", info.Signature)
	}
}

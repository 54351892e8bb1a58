package issuer_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/issuer"
)

// tokenEndpoint is a minimal OAuth2 token endpoint accepting client
// credentials in the Authorization header.
func tokenEndpoint(t *testing.T, reply func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if r.Method != http.MethodPost || r.FormValue("grant_type") != "client_credentials" || !ok || id != "app" || secret != "s3cret" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"bad client credentials"}`)
			return
		}
		reply(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func oauth2Opts() issuer.Options {
	return issuer.Options{Now: nowFunc, LookupEnv: func(k string) (string, bool) {
		if k == "APP_SECRET" {
			return "s3cret", true
		}
		return "", false
	}}
}

func TestOAuth2ClientCredentialsReadsExpiresInAndRefreshIn(t *testing.T) {
	jwt := testJWT(fixedNow.Add(24 * time.Hour))
	var form atomic.Value
	srv := tokenEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		form.Store(r.PostForm.Encode())
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600,"refresh_in":1800}`, jwt)
	})
	spec := "oauth2:token_url=" + srv.URL + "/oauth2/token,client_id=app,secret_env=APP_SECRET,scope=api://x/.default,audience=aud1,auth=header"
	iss, err := issuer.Parse(spec, oauth2Opts())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice", Scopes: []string{"ignored"}})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Token != jwt {
		t.Errorf("token = %q, want the endpoint's", tok.Token)
	}
	if !tok.ExpiresOn.Equal(fixedNow.Add(time.Hour)) || !tok.RefreshOn.Equal(fixedNow.Add(30*time.Minute)) {
		t.Errorf("ExpiresOn %v RefreshOn %v, want now+1h and now+30m from expires_in and refresh_in", tok.ExpiresOn, tok.RefreshOn)
	}
	if want := "audience=aud1&grant_type=client_credentials&scope=api%3A%2F%2Fx%2F.default"; form.Load() != want {
		t.Errorf("form = %v, want %s", form.Load(), want)
	}
	if iss.Name() != "oauth2 "+srv.URL+"/oauth2/token" {
		t.Errorf("Name() = %q", iss.Name())
	}
}

func TestOAuth2SendsRequestScopesWhenSpecHasNone(t *testing.T) {
	var scope atomic.Value
	srv := tokenEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		scope.Store(r.PostForm.Get("scope"))
		// No Content-Type: net/http sniffs text/plain, which x/oauth2 alone
		// would parse as a query string.
		fmt.Fprint(w, `{"access_token":"opaque","expires_in":60}`)
	})
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	iss, err := issuer.Parse("oauth2:token_url="+srv.URL+",client_id=app,secret_file="+secretFile, issuer.Options{Now: nowFunc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Issue(context.Background(), issuer.Request{Scopes: []string{"chat", "voip"}}); err != nil {
		t.Fatal(err)
	}
	if scope.Load() != "chat voip" {
		t.Errorf("scope = %v, want the request's scopes", scope.Load())
	}
}

func TestOAuth2MisbehavingEndpointsYieldErrorsNamingEndpointAndProblem(t *testing.T) {
	cases := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
		secret  string
		want    []string
		status  int
	}{
		{"wrong secret", nil, "wrong", []string{"401 Unauthorized", "invalid_client: bad client credentials"}, 401},
		{"500 HTML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, "<html><body>Bad gateway</body></html>")
		}, "", []string{"500 Internal Server Error", "Bad gateway"}, 500},
		{"429", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
		}, "", []string{"429 Too Many Requests", "retry after 30s"}, 429},
		{"200 HTML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!DOCTYPE html><title>Login</title>")
		}, "", []string{"response is HTML"}, 0},
		{"missing access_token", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"token_type":"Bearer","expires_in":3600}`)
		}, "", []string{`no token field "access_token"`, "fields seen: expires_in, token_type"}, 0},
		{"10 MiB body", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, strings.Repeat(" ", 10<<20))
		}, "", []string{"response larger than 1 MiB"}, 0},
		{"expired token", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"access_token":%q}`, testJWT(fixedNow.Add(-time.Hour)))
		}, "", []string{"token expired at 2026-11-22T11:00:00Z, 1h0m0s ago"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := tokenEndpoint(t, tc.handler)
			opts := oauth2Opts()
			if tc.secret != "" {
				opts.LookupEnv = func(string) (string, bool) { return tc.secret, true }
			}
			iss, err := issuer.Parse("oauth2:token_url="+srv.URL+"/token?tenant=t1,client_id=app,secret_env=APP_SECRET,auth=header", opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = iss.Issue(context.Background(), issuer.Request{})
			if err == nil {
				t.Fatal("Issue succeeded, want an error")
			}
			for _, want := range append([]string{"oauth2 " + srv.URL + "/token"}, tc.want...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "tenant=t1") {
				t.Errorf("error %q leaks the secret or the query", err)
			}
			var se *issuer.StatusError
			if got := errors.As(err, &se); got != (tc.status != 0) || (got && se.StatusCode != tc.status) {
				t.Errorf("StatusError = %v, want status %d", se, tc.status)
			}
		})
	}
}

func TestOAuth2HangingEndpointHonoursTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := tokenEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	opts := oauth2Opts()
	opts.Timeout = 50 * time.Millisecond
	iss, err := issuer.Parse("oauth2:token_url="+srv.URL+",client_id=app,secret_env=APP_SECRET,auth=header", opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = iss.Issue(context.Background(), issuer.Request{})
	if !errors.Is(err, issuer.ErrTimeout) || !strings.Contains(err.Error(), "oauth2 "+srv.URL) {
		t.Errorf("err = %v, want a timeout naming the endpoint", err)
	}
}

func TestOAuth2SecretSourceErrorsAreClear(t *testing.T) {
	cases := map[string]string{
		"oauth2:token_url=https://login.example/token,client_id=app,secret_env=UNSET_VAR":                     "environment variable UNSET_VAR (secret_env) is not set",
		"oauth2:token_url=https://login.example/token,client_id=app,secret_file=/nonexistent/tokentop-secret": "cannot read the client secret (secret_file)",
	}
	for spec, want := range cases {
		_, err := issuer.Parse(spec, issuer.Options{LookupEnv: func(string) (string, bool) { return "", false }})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "https://login.example/token") {
			t.Errorf("Parse(%q) = %v, want an error containing %q and the endpoint", spec, err, want)
		}
	}
}

// TestOAuth2DetectsAuthStyleOnceAcrossScopeSets counts POSTs to an endpoint
// that accepts the client secret only in the form: the first call probes
// (header, then params), and later calls, whatever their scopes, send params
// straight away.
func TestOAuth2DetectsAuthStyleOnceAcrossScopeSets(t *testing.T) {
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if _, _, basic := r.BasicAuth(); basic || r.FormValue("client_id") != "app" || r.FormValue("client_secret") != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"opaque","expires_in":3600}`)
	}))
	defer srv.Close()

	iss, err := issuer.Parse("oauth2:token_url="+srv.URL+"/token,client_id=app,secret_env=APP_SECRET", oauth2Opts())
	if err != nil {
		t.Fatal(err)
	}
	for i, scopes := range [][]string{{"chat"}, {"voip"}, {"chat", "voip"}, {"chat"}} {
		if _, err := iss.Issue(context.Background(), issuer.Request{Scopes: scopes}); err != nil {
			t.Fatalf("issue %d: %v", i, err)
		}
	}
	if n := posts.Load(); n != 5 {
		t.Errorf("4 issues made %d POSTs, want 5 (one probe, then params every time)", n)
	}
}

// TestOAuth2ErrorsRedactTheClientSecretTheServerEchoes pins that the client
// secret is redacted from errors in every form it was sent: as is,
// form-encoded in the body, and inside the Basic credential.
func TestOAuth2ErrorsRedactTheClientSecretTheServerEchoes(t *testing.T) {
	for _, secret := range []string{"correct-horse-battery-staple", "p@ss w/rd+1"} {
		for _, auth := range []string{"params", "header"} {
			t.Run(auth+" "+secret, func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(echoRequest))
				defer srv.Close()
				opts := issuer.Options{Now: nowFunc, LookupEnv: func(string) (string, bool) { return secret, true }}
				iss, err := issuer.Parse("oauth2:token_url="+srv.URL+"/token,client_id=app,secret_env=S,auth="+auth, opts)
				if err != nil {
					t.Fatal(err)
				}
				_, err = iss.Issue(context.Background(), issuer.Request{})
				var se *issuer.StatusError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want the 400", err)
				}
				for _, text := range []string{err.Error(), se.Excerpt} {
					for _, form := range []string{secret, url.QueryEscape(secret), "w/rd", "horse", "YXBwOm"} { // YXBwOm: base64 of "app:"
						if strings.Contains(text, form) {
							t.Errorf("%q shows the client secret as %q", text, form)
						}
					}
					if !strings.Contains(text, "[redacted]") {
						t.Errorf("%q does not show where the secret was redacted", text)
					}
				}
			})
		}
	}
}

// TestOAuth2SecretFileIsReadWithABound pins that a secret_file whose size
// the system does not report (a device, a pipe) is read only up to the
// limit: /dev/zero used to be read until memory ran out.
func TestOAuth2SecretFileIsReadWithABound(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skipf("no /dev/zero here: %v", err)
	}
	_, err := issuer.Parse("oauth2:token_url=https://login.example/token,client_id=app,secret_file=/dev/zero", issuer.Options{})
	if err == nil || !strings.Contains(err.Error(), "secret_file /dev/zero holds more than 64 KiB") {
		t.Errorf("err = %v, want the file refused as too large", err)
	}
}

package issuer_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/credential"
	"tokentop/fakeissuer"
	"tokentop/issuer"
)

// fakeServer serves a fresh fake issuer's HTTP handler on loopback and
// counts the TCP connections it accepts.
func fakeServer(t *testing.T) (*fakeissuer.Issuer, *httptest.Server, *atomic.Int64) {
	t.Helper()
	fake, err := fakeissuer.New(fakeissuer.Options{ClientSecret: "fake-secret"})
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int64
	srv := httptest.NewUnstartedServer(fake.Handler())
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			accepted.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return fake, srv, &accepted
}

func TestHTTPAgainstFakeIssuerGetToken(t *testing.T) {
	_, srv, _ := fakeServer(t)
	iss, err := issuer.Parse(srv.URL+fakeissuer.PathGetToken, issuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	tok, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := credential.ParseJWT(tok.Token)
	if err != nil {
		t.Fatalf("the fake's token does not parse: %v", err)
	}
	if d := tok.ExpiresOn.Sub(parsed.ExpiresOn); d < -time.Second || d > time.Second {
		t.Errorf("expiresOn %v disagrees with the exp claim %v", tok.ExpiresOn, parsed.ExpiresOn)
	}
	if got := tok.ExpiresOn.Sub(before); got < fakeissuer.DefaultLifetime-time.Minute || got > fakeissuer.DefaultLifetime+time.Minute {
		t.Errorf("token lives %v, want about the fake's default %v", got, fakeissuer.DefaultLifetime)
	}
}

func TestHTTPAgainstFakeIssuerFaults(t *testing.T) {
	cases := []struct {
		fault issuer.Fault
		want  string
		check func(error) bool
	}{
		{issuer.Fault{Kind: issuer.FaultFail, Count: 1}, "500 Internal Server Error", func(err error) bool {
			var se *issuer.StatusError
			return errors.As(err, &se) && se.StatusCode == 500
		}},
		{issuer.Fault{Kind: issuer.FaultFail, Count: 1, Status: 429, RetryAfter: 3 * time.Second}, "retry after 3s", func(err error) bool {
			var se *issuer.StatusError
			return errors.As(err, &se) && se.StatusCode == 429 && se.RetryAfter == 3*time.Second
		}},
		{issuer.Fault{Kind: issuer.FaultExpiredToken, Count: 1}, "token expired at", func(err error) bool {
			return errors.Is(err, credential.ErrExpiredToken)
		}},
		{issuer.Fault{Kind: issuer.FaultMalformedToken, Count: 1}, "not usable", func(err error) bool {
			var pe *credential.ParseError
			return errors.As(err, &pe)
		}},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault.Kind), func(t *testing.T) {
			fake, srv, _ := fakeServer(t)
			if err := fake.InjectFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			endpoint := srv.URL + fakeissuer.PathGetToken
			iss, err := issuer.Parse(endpoint, issuer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
			if err == nil || !strings.Contains(err.Error(), "POST "+endpoint) || !strings.Contains(err.Error(), tc.want) || !tc.check(err) {
				t.Fatalf("err = %v, want one naming %s and containing %q", err, endpoint, tc.want)
			}
			// The fault was for one call: the next one succeeds.
			if _, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"}); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
}

func TestHTTPAgainstFakeIssuerHangReturnsOnCancel(t *testing.T) {
	fake, srv, _ := fakeServer(t)
	if err := fake.InjectFault(issuer.Fault{Kind: issuer.FaultHang}); err != nil {
		t.Fatal(err)
	}
	iss, err := issuer.Parse(srv.URL+fakeissuer.PathGetToken, issuer.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if !errors.Is(err, issuer.ErrTimeout) {
		t.Errorf("err = %v, want a timeout", err)
	}
}

func TestOAuth2AgainstFakeIssuer(t *testing.T) {
	fake, srv, _ := fakeServer(t)
	opts := issuer.Options{LookupEnv: func(k string) (string, bool) {
		return fake.ClientSecret(), k == "FAKE_SECRET"
	}}
	spec := "oauth2:token_url=" + srv.URL + fakeissuer.PathOAuth2Token + ",client_id=" + fake.ClientID() + ",secret_env=FAKE_SECRET"
	iss, err := issuer.Parse(spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	tok, err := iss.Issue(context.Background(), issuer.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.ExpiresOn.Sub(before); got < fakeissuer.DefaultUpstreamLifetime-time.Minute || got > fakeissuer.DefaultUpstreamLifetime+time.Minute {
		t.Errorf("token lives %v, want about %v from expires_in", got, fakeissuer.DefaultUpstreamLifetime)
	}

	opts.LookupEnv = func(string) (string, bool) { return "wrong", true }
	bad, err := issuer.Parse(spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Issue(context.Background(), issuer.Request{})
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("wrong secret: err = %v, want 401 invalid_client", err)
	}
}

func TestHTTPAgainstFakeIssuerReusesConnections(t *testing.T) {
	_, srv, accepted := fakeServer(t)
	iss, err := issuer.Parse(srv.URL+fakeissuer.PathGetToken, issuer.Options{HTTPClient: issuer.NewHTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if _, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"}); err != nil {
			t.Fatalf("issue %d: %v", i, err)
		}
	}
	if n := accepted.Load(); n > 2 {
		t.Errorf("200 sequential issues opened %d TCP connections, want at most 2", n)
	}
	t.Logf("200 sequential issues against the fake opened %d TCP connection(s)", accepted.Load())
}

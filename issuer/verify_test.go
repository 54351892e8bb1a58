package issuer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"tokentop/fakeissuer"
	"tokentop/issuer"
)

// parseClosing builds an issuer from spec and closes it when the test ends.
func parseClosing(t *testing.T, spec string, opts issuer.Options) issuer.Issuer {
	t.Helper()
	iss, err := issuer.Parse(spec, opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	t.Cleanup(func() { iss.(io.Closer).Close() })
	return iss
}

// newFake returns a fake issuer signing with alg.
func newFake(t *testing.T, alg string) *fakeissuer.Issuer {
	t.Helper()
	fake, err := fakeissuer.New(fakeissuer.Options{Algorithm: alg, ClientSecret: "fake-secret"})
	if err != nil {
		t.Fatal(err)
	}
	return fake
}

// switchable serves the handler of whichever fake issuer it points to, and
// counts the requests for the JWK Set.
type switchable struct {
	jwks    atomic.Pointer[fakeissuer.Issuer] // serves /jwks and discovery
	tokens  atomic.Pointer[fakeissuer.Issuer] // serves everything else
	fetches atomic.Int64                      // GET /jwks
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == fakeissuer.PathJWKS || r.URL.Path == fakeissuer.PathOpenIDConfig {
		if r.URL.Path == fakeissuer.PathJWKS {
			s.fetches.Add(1)
		}
		s.jwks.Load().Handler().ServeHTTP(w, r)
		return
	}
	s.tokens.Load().Handler().ServeHTTP(w, r)
}

func newSwitchable(t *testing.T, keys, tokens *fakeissuer.Issuer) (*switchable, *httptest.Server) {
	t.Helper()
	s := &switchable{}
	s.jwks.Store(keys)
	s.tokens.Store(tokens)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func TestOAuth2WithIssuerURLVerifiesTheFakesTokens(t *testing.T) {
	for _, alg := range []string{fakeissuer.AlgES256, fakeissuer.AlgRS256} {
		t.Run(alg, func(t *testing.T) {
			fake := newFake(t, alg)
			srv := httptest.NewServer(fake.Handler())
			defer srv.Close()
			opts := issuer.Options{LookupEnv: func(k string) (string, bool) { return fake.ClientSecret(), k == "S" }}
			iss := parseClosing(t, "oauth2:token_url="+srv.URL+fakeissuer.PathOAuth2Token+",client_id="+fake.ClientID()+",secret_env=S,issuer_url="+srv.URL, opts)
			_, info, err := issueWithInfo(t, iss, issuer.Request{})
			if err != nil {
				t.Fatal(err)
			}
			want := issuer.SignatureCheck{State: issuer.SignatureVerified, Alg: alg, KeyID: fake.KeyID()}
			if info.Signature != want {
				t.Errorf("Signature = %+v, want %+v", info.Signature, want)
			}
		})
	}
}

func TestHTTPWithJWKSVerifiesTheFakesTokens(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgES256)
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	iss := parseClosing(t, srv.URL+fakeissuer.PathGetToken+"#jwks="+srv.URL+fakeissuer.PathJWKS, issuer.Options{})
	// Concurrent calls share the key set (go test -race).
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, info, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
			if err != nil {
				t.Error(err)
				return
			}
			if info.Signature.State != issuer.SignatureVerified || info.Signature.KeyID != fake.KeyID() {
				t.Errorf("Signature = %+v, want verified with kid %s", info.Signature, fake.KeyID())
			}
		})
	}
	wg.Wait()
}

func TestExecWithJWKSVerifiesTheTokenItPrints(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgES256)
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	tok, err := fake.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	iss := parseClosing(t, "exec[jwks="+srv.URL+fakeissuer.PathJWKS+"]:echo "+tok.Token, issuer.Options{})
	got, info, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Token != tok.Token || info.Signature.State != issuer.SignatureVerified {
		t.Errorf("Signature = %+v, want the printed token verified", info.Signature)
	}
}

func TestWithoutKeysTokensAreNotChecked(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgES256)
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	want := issuer.SignatureCheck{State: issuer.SignatureNotChecked, Why: issuer.WhyNoKeys}
	for _, spec := range []string{srv.URL + fakeissuer.PathGetToken, "exec:echo opaque-token"} {
		iss := parseClosing(t, spec, issuer.Options{})
		_, info, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if info.Signature != want {
			t.Errorf("%s: Signature = %+v, want %+v", spec, info.Signature, want)
		}
	}
}

func TestTokenOfAnotherIssuerHasAnUnknownKeyAndIsStillReturned(t *testing.T) {
	keys, other := newFake(t, fakeissuer.AlgES256), newFake(t, fakeissuer.AlgES256)
	_, srv := newSwitchable(t, keys, other)
	iss := parseClosing(t, srv.URL+fakeissuer.PathGetToken+"#jwks="+srv.URL+fakeissuer.PathJWKS, issuer.Options{})
	tok, info, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
	if err != nil || tok.Token == "" {
		t.Fatalf("a token whose key is unknown must still be returned: %v", err)
	}
	s := info.Signature
	if s.State != issuer.SignatureUnknownKey || s.KeyID != other.KeyID() || !strings.Contains(s.Why, other.KeyID()) {
		t.Errorf("Signature = %+v, want unknown key %s", s, other.KeyID())
	}
}

// signedWithKidButAnotherKey is a JWT whose header names kid but whose
// signature is made with a fresh key.
func signedWithKidButAnotherKey(t *testing.T, kid string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenWithTheIssuersKidButAnotherKeyIsInvalidAndStillReturned(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgES256)
	forged := signedWithKidButAnotherKey(t, fake.KeyID())
	mux := http.NewServeMux()
	mux.Handle(fakeissuer.PathJWKS, fake.Handler())
	mux.HandleFunc("/forged", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, `{"token":%q}`, forged) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	iss := parseClosing(t, srv.URL+"/forged#jwks="+srv.URL+fakeissuer.PathJWKS, issuer.Options{})
	tok, info, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
	if err != nil || tok.Token != forged {
		t.Fatalf("a token with a bad signature must still be returned: %v", err)
	}
	s := info.Signature
	if s.State != issuer.SignatureInvalid || s.KeyID != fake.KeyID() || s.Alg != "ES256" || !strings.Contains(s.Why, "does not verify") {
		t.Errorf("Signature = %+v, want invalid: does not verify with kid %s", s, fake.KeyID())
	}
}

func TestUnknownKidRefreshesTheKeySetAtMostOnceInFiveMinutes(t *testing.T) {
	old, rotated, third := newFake(t, fakeissuer.AlgES256), newFake(t, fakeissuer.AlgES256), newFake(t, fakeissuer.AlgES256)
	sw, srv := newSwitchable(t, old, rotated)
	iss := parseClosing(t, srv.URL+fakeissuer.PathGetToken+"#jwks="+srv.URL+fakeissuer.PathJWKS, issuer.Options{})
	if n := sw.fetches.Load(); n != 1 {
		t.Fatalf("the key set was fetched %d times when the adapter was built, want 1", n)
	}

	// The issuer rotates its key: the first token with the new kid fetches
	// the set again and verifies.
	sw.jwks.Store(rotated)
	_, info, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Signature.State != issuer.SignatureVerified || sw.fetches.Load() != 2 {
		t.Fatalf("after a rotation: Signature = %+v after %d fetches, want verified after a second fetch", info.Signature, sw.fetches.Load())
	}

	// Another unknown kid right after: no fetch, the rate limit holds.
	sw.tokens.Store(third)
	sw.jwks.Store(third)
	start := time.Now()
	_, info, err = issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if s := info.Signature; s.State != issuer.SignatureUnknownKey || !strings.Contains(s.Why, "less than 5m") {
		t.Errorf("Signature = %+v, want unknown key, refresh rate-limited", s)
	}
	if n := sw.fetches.Load(); n != 2 {
		t.Errorf("the key set was fetched %d times, want still 2: one refresh per 5 minutes", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a rate-limited refresh held the call %v; it must not wait", d)
	}
}

// stepNow is a clock for Options.Now that a test moves by hand.
type stepNow struct{ t atomic.Int64 }

func (c *stepNow) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *stepNow) advance(d time.Duration) { c.t.Add(int64(d)) }

func TestFailedDiscoveryLeavesTokensNotCheckedAndIsRetriedAMinuteLater(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgES256)
	var discoveries atomic.Int64
	var down atomic.Bool
	down.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == fakeissuer.PathOpenIDConfig {
			discoveries.Add(1)
			if down.Load() {
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return
			}
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	clk := &stepNow{}
	clk.t.Store(time.Now().UnixNano())
	opts := issuer.Options{Now: clk.now, LookupEnv: func(string) (string, bool) { return fake.ClientSecret(), true }}
	iss := parseClosing(t, "oauth2:token_url="+srv.URL+fakeissuer.PathOAuth2Token+",client_id="+fake.ClientID()+",secret_env=S,issuer_url="+srv.URL+"/", opts)

	_, info, err := issueWithInfo(t, iss, issuer.Request{})
	if err != nil {
		t.Fatalf("a failed discovery must not fail the token: %v", err)
	}
	if s := info.Signature; s.State != issuer.SignatureNotChecked || !strings.Contains(s.Why, "OIDC discovery") || !strings.Contains(s.Why, "503") {
		t.Errorf("Signature = %+v, want not checked, saying discovery failed with 503", s)
	}
	if n := discoveries.Load(); n != 1 {
		t.Errorf("%d discoveries within the minute, want 1", n)
	}

	down.Store(false)
	clk.advance(time.Minute)
	_, info, err = issueWithInfo(t, iss, issuer.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Signature.State != issuer.SignatureVerified || discoveries.Load() != 2 {
		t.Errorf("a minute later: Signature = %+v after %d discoveries, want verified after a second", info.Signature, discoveries.Load())
	}
}

func TestUnreachableKeySetLeavesTokensNotChecked(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgES256)
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	iss := parseClosing(t, srv.URL+fakeissuer.PathGetToken+"#jwks="+srv.URL+"/no-such-jwks", issuer.Options{})
	_, info, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if s := info.Signature; s.State != issuer.SignatureNotChecked || !strings.Contains(s.Why, "key set unavailable") || !strings.Contains(s.Why, "404") {
		t.Errorf("Signature = %+v, want not checked: key set unavailable (404)", s)
	}
}

func TestSharedSecretAndOpaqueTokensAreNotChecked(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgHS256)
	mux := http.NewServeMux()
	mux.Handle("/", fake.Handler())
	mux.HandleFunc("/opaque", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "opaque-token-123") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for path, want := range map[string]string{fakeissuer.PathGetToken: "shared secret", "/opaque": "opaque"} {
		iss := parseClosing(t, srv.URL+path+"#jwks="+srv.URL+fakeissuer.PathJWKS, issuer.Options{})
		_, info, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if s := info.Signature; s.State != issuer.SignatureNotChecked || !strings.Contains(s.Why, want) {
			t.Errorf("%s: Signature = %+v, want not checked: %s", path, s, want)
		}
	}
}

func TestCloseStopsTheKeySetRefresh(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fake := newFake(t, fakeissuer.AlgES256)
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close() // runs before VerifyNone: closes the kept-alive connections
	for _, spec := range []string{
		srv.URL + fakeissuer.PathGetToken + "#issuer_url=" + srv.URL,
		"exec[jwks=" + srv.URL + fakeissuer.PathJWKS + "]:echo opaque-token",
	} {
		iss, err := issuer.Parse(spec, issuer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"}); err != nil {
			t.Fatal(err)
		}
		if err := iss.(io.Closer).Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestKeySetIsFetchedAgainByTheFirstCheckAfterAnHour(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgES256)
	sw, srv := newSwitchable(t, fake, fake)
	clk := &stepNow{}
	clk.t.Store(time.Now().UnixNano())
	iss := parseClosing(t, srv.URL+fakeissuer.PathGetToken+"#jwks="+srv.URL+fakeissuer.PathJWKS, issuer.Options{Now: clk.now})
	for _, step := range []struct {
		advance time.Duration
		fetches int64
	}{{0, 1}, {59 * time.Minute, 1}, {time.Minute, 2}, {time.Minute, 2}} {
		clk.advance(step.advance)
		_, info, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if info.Signature.State != issuer.SignatureVerified || sw.fetches.Load() != step.fetches {
			t.Errorf("after %v more: Signature = %+v after %d fetches, want verified after %d", step.advance, info.Signature, sw.fetches.Load(), step.fetches)
		}
	}
}

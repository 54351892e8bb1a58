package issuer_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tokentop/fakeissuer"
	"tokentop/issuer"
)

// jwksWith serves the fake's JWK Set with extra keys before its own, and
// the fake's other endpoints.
func jwksWith(t *testing.T, fake *fakeissuer.Issuer, extra ...map[string]string) *httptest.Server {
	t.Helper()
	rec := httptest.NewRecorder()
	fake.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, fakeissuer.PathJWKS, nil))
	var set struct {
		Keys []any `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("the fake's JWK Set: %v: %s", err, rec.Body)
	}
	var keys []any
	for _, k := range extra {
		keys = append(keys, k)
	}
	body, err := json.Marshal(map[string]any{"keys": append(keys, set.Keys...)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == fakeissuer.PathJWKS {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
			return
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// rsaModulus is a base64url number of bits bits: an RSA "n" as a key set
// could hold it (it need not be a product of two primes to cost a check).
func rsaModulus(t *testing.T, bits int) string {
	t.Helper()
	n := make([]byte, bits/8)
	if _, err := rand.Read(n); err != nil {
		t.Fatal(err)
	}
	n[0] |= 0x80
	n[len(n)-1] |= 1
	return base64.RawURLEncoding.EncodeToString(n)
}

// bothChecks gives the verdict on tok of an HTTP adapter whose token
// endpoint returns it and whose key set is at jwksURL, and of CheckSignature
// on the same set, failing unless they agree word for word.
func bothChecks(t *testing.T, tok, jwksURL string) issuer.SignatureCheck {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"token": tok})
	}))
	t.Cleanup(srv.Close)
	iss := parseClosing(t, srv.URL+"/token#jwks="+jwksURL, issuer.Options{})
	_, info, err := issueWithInfo(t, iss, issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	once := issuer.CheckSignature(context.Background(), tok, issuer.KeySource{JWKS: jwksURL}, issuer.Options{})
	if once != info.Signature {
		t.Errorf("CheckSignature = %+v, the adapter's %+v: one check must give one verdict", once, info.Signature)
	}
	return info.Signature
}

// Issue 20, defect 13: an unknown or bad key of a JWK Set is skipped, said,
// and the other keys still verify.
func TestKeySetSkipsKeysItCannotReadAndTheOthersStillVerify(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgES256)
	offCurve := base64.RawURLEncoding.EncodeToString(make([]byte, 32)) // (0, 0) is not on P-256
	srv := jwksWith(t, fake,
		map[string]string{"kty": "XYZ", "kid": "future"},
		map[string]string{"kty": "EC", "kid": "off-curve", "crv": "P-256", "x": offCurve, "y": offCurve},
		map[string]string{"kty": "RSA", "kid": "bad-e", "n": rsaModulus(t, 2048), "e": "AA"},
	)
	tok, err := fake.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	s := bothChecks(t, tok.Token, srv.URL+fakeissuer.PathJWKS)
	if s.State != issuer.SignatureVerified {
		t.Fatalf("Signature = %+v, want verified by the good key", s)
	}
	for _, want := range []string{
		"skipped 3 keys of the set",
		`key "future": kty "XYZ" is not a key type tokentop reads`,
		`key "off-curve": its point is not on curve P-256`,
		`key "bad-e": "e" is not an RSA public exponent`,
	} {
		if !strings.Contains(s.Why, want) {
			t.Errorf("Why = %q, want it to say %q", s.Why, want)
		}
	}
}

// Issue 20, defect 8: an RSA modulus over 8192 bits is refused when the set
// is read, naming the key and its size; it never reaches a check.
func TestKeySetRefusesRSAModuliOver8192Bits(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgES256)
	srv := jwksWith(t, fake,
		map[string]string{"kty": "RSA", "kid": "huge", "n": rsaModulus(t, 16384), "e": "AQAB"},
		map[string]string{"kty": "RSA", "kid": "largest", "n": rsaModulus(t, 8192), "e": "AQAB"},
	)
	jwksURL := srv.URL + fakeissuer.PathJWKS
	tok, err := fake.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	s := bothChecks(t, tok.Token, jwksURL)
	want := `skipped 1 key of the set: key "huge": its RSA modulus has 16384 bits, more than the 8192 tokentop reads`
	if s.State != issuer.SignatureVerified || s.Why != want {
		t.Errorf("Signature = %+v, want verified, %q", s, want)
	}

	// A token under the refused key's kid: the key is not there.
	forged := signedWithKidButAnotherKey(t, "huge")
	s = issuer.CheckSignature(context.Background(), forged, issuer.KeySource{JWKS: jwksURL}, issuer.Options{})
	if s.State != issuer.SignatureUnknownKey || !strings.HasPrefix(s.Why, `kid "huge" is not in the key set; skipped 1 key`) {
		t.Errorf("Signature = %+v, want unknown key, the huge one skipped", s)
	}
}

// A check runs within its call: a key set that never answers costs the
// call's context, not more.
func TestCheckSignatureEndsWithItsContext(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgES256)
	tok, err := fake.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan issuer.SignatureCheck, 1)
	go func() {
		done <- issuer.CheckSignature(ctx, tok.Token, issuer.KeySource{JWKS: srv.URL}, issuer.Options{Timeout: time.Hour})
	}()
	deadline := time.After(10 * time.Second)
	select {
	case <-arrived:
	case <-deadline:
		t.Fatal("the key set was not fetched within 10 s")
	}
	cancel()
	select {
	case s := <-done:
		if s.State != issuer.SignatureNotChecked || !strings.Contains(s.Why, "key set unavailable: the JWK Set: call abandoned") {
			t.Errorf("Signature = %+v, want not checked: the call was abandoned", s)
		}
	case <-deadline:
		t.Fatal("CheckSignature outlived its context by 10 s")
	}
}

// The one check gives the adapters' verdicts, word for word, whatever the
// token.
func TestCheckSignatureGivesTheAdaptersVerdicts(t *testing.T) {
	fake := newFake(t, fakeissuer.AlgES256)
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	good, err := fake.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := newFake(t, fakeissuer.AlgES256).Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := newFake(t, fakeissuer.AlgHS256).Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	_, payload, _ := strings.Cut(good.Token, ".")
	payload, _, _ = strings.Cut(payload, ".")
	headed := func(header string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + payload + ".AAAA"
	}
	for _, tc := range []struct {
		name, token string
		state       issuer.SignatureState
	}{
		{"its own", good.Token, issuer.SignatureVerified},
		{"another issuer's", other.Token, issuer.SignatureUnknownKey},
		{"its kid, another key", signedWithKidButAnotherKey(t, fake.KeyID()), issuer.SignatureInvalid},
		{"alg none", headed(`{"alg":"none"}`), issuer.SignatureInvalid},
		{"an alg tokentop does not check", headed(`{"alg":"XS256"}`), issuer.SignatureInvalid},
		{"its kid, a key for another alg", headed(`{"alg":"RS256","kid":"` + fake.KeyID() + `"}`), issuer.SignatureInvalid},
		{"shared secret", hs.Token, issuer.SignatureNotChecked},
		{"opaque", "opaque-token", issuer.SignatureNotChecked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s := bothChecks(t, tc.token, srv.URL+fakeissuer.PathJWKS); s.State != tc.state {
				t.Errorf("Signature = %+v, want %s", s, tc.state)
			}
		})
	}
}

package fakeissuer

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestACSConnectionStringCarriesTheEndpointAndTheConfiguredKey(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	for _, endpoint := range []string{"http://127.0.0.1:8080", "http://127.0.0.1:8080/"} {
		if got, want := iss.ACSConnectionString(endpoint), "endpoint=http://127.0.0.1:8080/;accesskey="+testACSKey; got != want {
			t.Errorf("ACSConnectionString(%q) = %q, want %q", endpoint, got, want)
		}
	}
	if iss.ACSAccessKey() != testACSKey || iss.ACSAccessKeyGenerated() {
		t.Errorf("access key %q generated %v; want the configured one", iss.ACSAccessKey(), iss.ACSAccessKeyGenerated())
	}
}

func TestACSGeneratedAccessKeyIs64BytesAndSignsRequests(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	key, err := base64.StdEncoding.DecodeString(iss.ACSAccessKey())
	if err != nil || len(key) != 64 || !iss.ACSAccessKeyGenerated() {
		t.Fatalf("generated key: %d bytes, err %v, generated %v; want 64 random bytes", len(key), err, iss.ACSAccessKeyGenerated())
	}
	other, _ := newTestIssuer(t, Options{})
	if other.ACSAccessKey() == iss.ACSAccessKey() {
		t.Error("two issuers generated the same access key")
	}
	sig := acsSignature{key: iss.ACSAccessKey(), date: time.Now()}
	wantStatus(t, acsCallSigned(t, iss.Handler(), sig, "POST", "/identities?api-version="+ACSAPIVersion, ""), http.StatusCreated)
	w := acsCallSigned(t, other.Handler(), sig, "POST", "/identities?api-version="+ACSAPIVersion, "")
	wantACSError(t, w, http.StatusUnauthorized, "Denied", "signature does not match")
	if strings.Contains(w.Body.String(), iss.ACSAccessKey()) || strings.Contains(w.Body.String(), other.ACSAccessKey()) {
		t.Error("a 401 body reveals an access key")
	}
}

// BenchmarkACSIssueAccessTokenSigned measures one signed issueAccessToken
// through the handler: HMAC check, validation, minting (ES256).
func BenchmarkACSIssueAccessTokenSigned(b *testing.B) {
	iss := newACSIssuer(b, Options{})
	h := iss.Handler()
	id := createACSIdentity(b, h)
	target := acsPath(id, ":issueAccessToken", ACSAPIVersion)
	for b.Loop() {
		if w := acsCall(b, h, "POST", target, `{"scopes":["chat","voip"]}`); w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkACSSignatureCheck measures the HMAC-SHA256 verification alone.
func BenchmarkACSSignatureCheck(b *testing.B) {
	iss := newACSIssuer(b, Options{})
	body := []byte(`{"scopes":["chat","voip"]}`)
	r, _ := http.NewRequest("POST", "http://127.0.0.1:8080/identities/x/:issueAccessToken?api-version="+ACSAPIVersion, nil)
	r.RequestURI = r.URL.RequestURI()
	acsSignature{key: testACSKey, date: time.Now()}.sign(b, r, string(body))
	for b.Loop() {
		if msg := iss.acs.checkSignature(r, body); msg != "" {
			b.Fatal(msg)
		}
	}
}

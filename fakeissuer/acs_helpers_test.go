package fakeissuer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testACSKey is a fixed access key, so tests sign with a key they know
// rather than one read back from the issuer.
var testACSKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"))

// acsSignature is the ACS HMAC-SHA256 scheme written from its description,
// independent of the server's verifier:
//
//	stringToSign = VERB + "\n" + PATH_AND_QUERY + "\n" + DATE + ";" + HOST + ";" + CONTENT_HASH
//	signature    = base64(HMAC-SHA256(base64decode(accessKey), stringToSign))
type acsSignature struct {
	key          string // base64, as in the connection string
	date         time.Time
	dateHeader   string // "x-ms-date" (default) or "Date", as older clients sign
	method       string // overrides the request's verb in the string to sign
	pathAndQuery string // overrides the request target in the string to sign
	host         string // overrides the request's host in the string to sign
	bodyHash     string // overrides the base64 SHA-256 of the body
}

// sign sets the date, content hash and Authorization headers of r for body.
func (s acsSignature) sign(t testing.TB, r *http.Request, body string) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(s.key)
	if err != nil {
		t.Fatalf("test access key: %v", err)
	}
	sum := sha256.Sum256([]byte(body))
	hash := base64.StdEncoding.EncodeToString(sum[:])
	if s.bodyHash != "" {
		hash = s.bodyHash
	}
	date := s.date.UTC().Format(http.TimeFormat)
	dateHeader := s.dateHeader
	if dateHeader == "" {
		dateHeader = "x-ms-date"
	}
	pathAndQuery := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		pathAndQuery += "?" + r.URL.RawQuery
	}
	method, host := r.Method, r.Host
	if s.method != "" {
		method = s.method
	}
	if s.pathAndQuery != "" {
		pathAndQuery = s.pathAndQuery
	}
	if s.host != "" {
		host = s.host
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(method + "\n" + pathAndQuery + "\n" + date + ";" + host + ";" + hash))
	r.Header.Set(dateHeader, date)
	r.Header.Set("x-ms-content-sha256", hash)
	r.Header.Set("Authorization", "HMAC-SHA256 SignedHeaders="+strings.ToLower(dateHeader)+";host;x-ms-content-sha256&Signature="+
		base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

// acsCall sends a request signed now with the test key through h.
func acsCall(t testing.TB, h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	return acsCallSigned(t, h, acsSignature{key: testACSKey, date: time.Now()}, method, target, body)
}

// acsCallSigned sends a request signed with sig through h.
func acsCallSigned(t testing.TB, h http.Handler, sig acsSignature, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = "127.0.0.1:8080"
	r.Header.Set("Content-Type", "application/json")
	sig.sign(t, r, body)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// newACSIssuer is newTestIssuer with the test access key.
func newACSIssuer(t testing.TB, opts Options) *Issuer {
	t.Helper()
	opts.ACS.AccessKey = testACSKey
	iss, _ := newTestIssuer(t, opts)
	return iss
}

// acsPath builds an identity route for id, escaping it as the JavaScript
// client does (encodeURIComponent turns ':' into %3A).
func acsPath(id, action, apiVersion string) string {
	p := "/identities/" + strings.ReplaceAll(url.PathEscape(id), ":", "%3A")
	if action != "" {
		p += "/" + action
	}
	return p + "?api-version=" + apiVersion
}

// wantStatus fails the test unless w has status want.
func wantStatus(t testing.TB, w *httptest.ResponseRecorder, want int) {
	t.Helper()
	if w.Code != want {
		t.Fatalf("status %d, want %d; body %s", w.Code, want, w.Body.Bytes())
	}
}

// wantACSError fails the test unless w is an ACS error with status and code,
// whose message contains every fragment.
func wantACSError(t testing.TB, w *httptest.ResponseRecorder, status int, code string, fragments ...string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body.Bytes())
	}
	var e errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("body is not an ACS error {\"error\":{\"code\",\"message\"}}: %s (%v)", w.Body.Bytes(), err)
	}
	if e.Error.Code != code {
		t.Errorf("error code %q, want %q (message %q)", e.Error.Code, code, e.Error.Message)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Error.Message, f) {
			t.Errorf("error message %q does not mention %q", e.Error.Message, f)
		}
	}
}

// createACSIdentity creates an identity over the REST API.
func createACSIdentity(t testing.TB, h http.Handler) string {
	t.Helper()
	w := acsCall(t, h, "POST", "/identities?api-version="+ACSAPIVersion, "{}")
	wantStatus(t, w, http.StatusCreated)
	return decodeBody[acsCreateIdentityResponse](t, w.Body).Identity.ID
}

package fakeissuer

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzACSSignatureCheck feeds arbitrary Authorization, date, content hash
// and body values to the verifier: it must never panic, and must never
// accept a request that was not signed with the key.
func FuzzACSSignatureCheck(f *testing.F) {
	now := time.Now().UTC().Format(http.TimeFormat)
	f.Add("HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=abc", now, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "")
	f.Add("HMAC-SHA256 SignedHeaders=date;host;x-ms-content-sha256&Signature=", now, "", `{"scopes":["chat"]}`)
	f.Add("HMAC-SHA256 SignedHeaders=;;;&&Signature=%%", "Mon, 02 Jan 2006 15:04:05 GMT", "x", "{")
	f.Add("hmac-sha256", "", "", "")
	f.Add("HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256;authorization&Signature=a=b", now, "=", "\x00")
	iss := newACSIssuer(f, Options{})
	f.Fuzz(func(t *testing.T, auth, date, hash, body string) {
		r := httptest.NewRequest("POST", "/identities?api-version="+ACSAPIVersion, strings.NewReader(body))
		r.Host = "127.0.0.1:8080"
		r.Header.Set("Authorization", auth)
		r.Header.Set("x-ms-date", date)
		r.Header.Set("Date", date)
		r.Header.Set("x-ms-content-sha256", hash)
		if msg := iss.acs.checkSignature(r, []byte(body)); msg == "" {
			t.Fatalf("accepted an unsigned request: Authorization %q date %q hash %q body %q", auth, date, hash, body)
		}
	})
}

// FuzzACSRequestBodies sends arbitrary bodies, correctly signed, to every
// ACS route that reads one: the answer is a documented status with an ACS
// error body, never a panic or a 500.
func FuzzACSRequestBodies(f *testing.F) {
	for _, s := range []string{``, `{}`, `null`, `[]`, `{"scopes":["chat"],"expiresInMinutes":60}`,
		`{"createTokenWithScopes":["voip"],"expiresInMinutes":1e400}`, `{"token":"a.b.c","appId":"x","userId":"y"}`,
		`{"scopes":"chat"}`, `{"expiresInMinutes":-9223372036854775809}`, `{"scopes":[null]}`} {
		for route := range 3 {
			f.Add(uint8(route), s)
		}
	}
	iss := newACSIssuer(f, Options{})
	h := iss.Handler()
	id := createACSIdentity(f, h)
	targets := []string{"/identities?api-version=" + ACSAPIVersion, acsPath(id, ":issueAccessToken", ACSAPIVersion),
		PathACSTeamsUserExchange + "?api-version=" + ACSAPIVersion}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		w := acsCall(t, h, "POST", targets[int(route)%len(targets)], body)
		switch w.Code {
		case http.StatusOK, http.StatusCreated:
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
			wantACSErrorBody(t, w.Body.Bytes())
		default:
			t.Fatalf("body %q: status %d, want 200, 201, 400, 401 or 413; %s", body, w.Code, w.Body.Bytes())
		}
	})
}

// wantACSErrorBody fails unless b is {"error":{"code","message"}}.
func wantACSErrorBody(t *testing.T, b []byte) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not an ACS error body: %s (%v)", b, err)
	}
}

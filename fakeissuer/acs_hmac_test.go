package fakeissuer

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestACSHMACSignedRequestOverLoopbackIsAccepted(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	srv := serve(t, iss)
	body := `{"createTokenWithScopes":["chat"]}`
	r, err := http.NewRequest("POST", srv.URL+"/identities?api-version="+ACSAPIVersion, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	// The signed host is host:port, as the client libraries take it from the URL.
	acsSignature{key: testACSKey, date: time.Now()}.sign(t, r, body)
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201", resp.StatusCode)
	}
	got := decodeBody[acsCreateIdentityResponse](t, resp.Body)
	if !iss.HasIdentity(got.Identity.ID) || got.AccessToken == nil {
		t.Errorf("response %+v: want a created identity with a token", got)
	}
}

func TestACSHMACRefusesBadAuthenticationWith401Denied(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	h := iss.Handler()
	target := "/identities?api-version=" + ACSAPIVersion
	otherKey := base64.StdEncoding.EncodeToString([]byte("another key of at least sixteen bytes"))
	now := time.Now()
	good := acsSignature{key: testACSKey, date: now}
	for _, tc := range []struct {
		name   string
		sig    acsSignature
		tweak  func(r *http.Request)
		reason string
	}{
		{"no authorization", good, func(r *http.Request) { r.Header.Del("Authorization") }, "no Authorization header"},
		{"bearer scheme", good, func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }, `"Bearer" is not HMAC-SHA256`},
		{"no signature", good, func(r *http.Request) {
			r.Header.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256")
		}, "lacks SignedHeaders or Signature"},
		{"no signed headers", good, func(r *http.Request) {
			r.Header.Set("Authorization", "HMAC-SHA256 Signature=abc")
		}, "lacks SignedHeaders or Signature"},
		{"unknown parameter", good, func(r *http.Request) {
			r.Header.Set("Authorization", r.Header.Get("Authorization")+"&Nonce=1")
		}, `"Nonce" is unknown`},
		{"host not signed", good, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";host;", ";", 1))
		}, "must include x-ms-date (or date), host and x-ms-content-sha256"},
		{"content hash not signed", good, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-ms-content-sha256", "", 1))
		}, "must include"},
		{"date not signed", good, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "x-ms-date;", "", 1))
		}, "must include"},
		{"wrong key", acsSignature{key: otherKey, date: now}, nil, "signature does not match"},
		{"other verb signed", acsSignature{key: testACSKey, date: now, method: "PUT"}, nil, "signature does not match"},
		{"other path signed", acsSignature{key: testACSKey, date: now, pathAndQuery: "/identities?api-version=2022-10-01"}, nil, "signature does not match"},
		{"query not signed", acsSignature{key: testACSKey, date: now, pathAndQuery: "/identities"}, nil, "signature does not match"},
		{"host without port signed", acsSignature{key: testACSKey, date: now, host: "127.0.0.1"}, nil, "signature does not match"},
		{"date changed after signing", good, func(r *http.Request) {
			r.Header.Set("x-ms-date", now.Add(time.Second).UTC().Format(http.TimeFormat))
		}, "signature does not match"},
		{"body changed after signing", good, func(r *http.Request) {
			r.Body = http.NoBody
		}, "differs from generated content hash"},
		{"body hash of another body", acsSignature{key: testACSKey, date: now, bodyHash: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}, nil, "differs from generated content hash"},
		{"no content hash header", good, func(r *http.Request) { r.Header.Del("x-ms-content-sha256") }, "x-ms-content-sha256 is missing"},
		{"no date header", good, func(r *http.Request) { r.Header.Del("x-ms-date") }, "x-ms-date is missing"},
		{"date not RFC 1123", good, func(r *http.Request) { r.Header.Set("x-ms-date", now.UTC().Format(time.RFC3339)) }, "is not an RFC 1123 date"},
		{"date 16 minutes old", acsSignature{key: testACSKey, date: now.Add(-16 * time.Minute)}, nil, "within 15m0s"},
		{"date 16 minutes ahead", acsSignature{key: testACSKey, date: now.Add(16 * time.Minute)}, nil, "within 15m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"createTokenWithScopes":["voip"]}`
			r := httptest.NewRequest("POST", target, strings.NewReader(body))
			r.Host = "127.0.0.1:8080"
			tc.sig.sign(t, r, body)
			if tc.tweak != nil {
				tc.tweak(r)
			}
			before := len(iss.Stats().Identities)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			wantACSError(t, w, http.StatusUnauthorized, "Denied", tc.reason)
			if after := len(iss.Stats().Identities); after != before {
				t.Errorf("a refused request created an identity (%d -> %d)", before, after)
			}
		})
	}
}

func TestACSHMACAcceptsDatesWithinFifteenMinutesAndRefusesOneSecondMore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		iss := newACSIssuer(t, Options{})
		h := iss.Handler()
		now := time.Now()
		for _, tc := range []struct {
			offset time.Duration
			want   int
		}{
			{-15 * time.Minute, http.StatusCreated},
			{15 * time.Minute, http.StatusCreated},
			{-15*time.Minute - time.Second, http.StatusUnauthorized},
			{15*time.Minute + time.Second, http.StatusUnauthorized},
		} {
			w := acsCallSigned(t, h, acsSignature{key: testACSKey, date: now.Add(tc.offset)}, "POST", "/identities?api-version="+ACSAPIVersion, "")
			if w.Code != tc.want {
				t.Errorf("date now%+v: status %d, want %d; body %s", tc.offset, w.Code, tc.want, w.Body.Bytes())
			}
		}
	})
}

func TestACSHMACAcceptsTheDateHeaderWhenItIsTheSignedOne(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	w := acsCallSigned(t, iss.Handler(), acsSignature{key: testACSKey, date: time.Now(), dateHeader: "Date"}, "POST", "/identities?api-version="+ACSAPIVersion, "{}")
	wantStatus(t, w, http.StatusCreated)
}

func TestACSHMACSignsTheEscapedPathAsSent(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	h := iss.Handler()
	id := createACSIdentity(t, h)
	// %3A as the JavaScript client sends it, and a raw ':' as others may.
	for _, target := range []string{acsPath(id, ":revokeAccessTokens", ACSAPIVersion),
		"/identities/" + id + "/:revokeAccessTokens?api-version=" + ACSAPIVersion} {
		wantStatus(t, acsCall(t, h, "POST", target, ""), http.StatusNoContent)
	}
}

func TestACSHMACIsRequiredOnEveryIdentityAndTeamsRoute(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	h := iss.Handler()
	id := createACSIdentity(t, h)
	for _, rt := range []struct{ method, target string }{
		{"POST", "/identities?api-version=" + ACSAPIVersion},
		{"DELETE", acsPath(id, "", ACSAPIVersion)},
		{"POST", acsPath(id, ":issueAccessToken", ACSAPIVersion)},
		{"POST", acsPath(id, ":revokeAccessTokens", ACSAPIVersion)},
		{"POST", PathACSTeamsUserExchange + "?api-version=" + ACSAPIVersion},
	} {
		w := call(h, rt.method, rt.target, "application/json", `{"scopes":["chat"]}`)
		wantACSError(t, w, http.StatusUnauthorized, "Denied", "no Authorization header")
	}
	if !iss.HasIdentity(id) {
		t.Error("an unsigned DELETE removed the identity")
	}
}

func TestACSHMACRefusesOversizeBodiesWith413(t *testing.T) {
	iss := newACSIssuer(t, Options{})
	body := `{"createTokenWithScopes":["chat"],"pad":"` + strings.Repeat("x", MaxRequestBody) + `"}`
	w := acsCall(t, iss.Handler(), "POST", "/identities?api-version="+ACSAPIVersion, body)
	wantACSError(t, w, http.StatusRequestEntityTooLarge, "RequestTooLarge")
}

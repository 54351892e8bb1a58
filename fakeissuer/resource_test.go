package fakeissuer

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tokentop/internal/clock"
	"tokentop/issuer"
)

func getMe(t *testing.T, url, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+PathMe, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestApiMeReturnsTheClaimsOfAGoodToken(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	srv := serve(t, iss)
	tok, _ := iss.Issue(context.Background(), issuer.Request{Identity: "alice", Scopes: []string{"chat"}})
	resp := getMe(t, srv.URL, tok.Token)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp))
	}
	c := decodeBody[Claims](t, resp.Body)
	if c.Subject != "alice" || c.Scopes[0] != "chat" {
		t.Errorf("claims = %+v", c)
	}
}

func TestApiMeRefusesARevokedTokenThatWasGood(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	srv := serve(t, iss)
	tok, _ := iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if resp := getMe(t, srv.URL, tok.Token); resp.StatusCode != 200 {
		t.Fatalf("before revocation: %d", resp.StatusCode)
	}
	// Revoke over HTTP, as a sign-out from another process would.
	if resp := postJSON(t, srv.URL+PathAdminRevoke, `{"identity":"alice"}`); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, readAll(t, resp))
	}
	resp := getMe(t, srv.URL, tok.Token)
	challenge := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != 401 || !strings.Contains(challenge, `error="invalid_token"`) || !strings.Contains(challenge, `error_description="revoked`) {
		t.Errorf("after revocation: %d %q, want 401 naming revoked", resp.StatusCode, challenge)
	}
	if oauthCode(t, readAll(t, resp)) != "invalid_token" {
		t.Error("body is not an invalid_token error")
	}
}

func TestApiMeNamesWhyATokenIsRefused(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{})
	other, _ := newTestIssuer(t, Options{Clock: clk})
	expired, _ := iss.Issue(context.Background(), issuer.Request{Identity: "a", Lifetime: time.Minute})
	foreign, _ := other.Issue(context.Background(), issuer.Request{Identity: "a"})
	clk.Advance(2 * time.Minute)
	for _, tc := range []struct{ name, token, reason string }{
		{"expired", expired.Token, "expired"},
		{"foreign signature", foreign.Token, "bad signature"},
		{"malformed", "not-a-jwt", "malformed"},
		{"alg none", forge(t, iss, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType), "bad signature"},
	} {
		w := call(iss.Handler(), http.MethodGet, PathMe, "", "", "Authorization", "Bearer "+tc.token)
		challenge := w.Header().Get("WWW-Authenticate")
		if w.Code != 401 || !strings.Contains(challenge, `error_description="`+tc.reason) || oauthCode(t, w.Body.Bytes()) != "invalid_token" {
			t.Errorf("%s: = %d %q, want 401 whose description starts %q", tc.name, w.Code, challenge, tc.reason)
		}
	}
}

func TestApiMeWithoutBearerTokenAsksForOne(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for _, auth := range []string{"", "Basic dXNlcjpwdw==", "Bearer ", "Bearer"} {
		w := call(iss.Handler(), http.MethodGet, PathMe, "", "", "Authorization", auth)
		if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Bearer realm="tokentop-fakeissuer"` || oauthCode(t, w.Body.Bytes()) != "invalid_request" {
			t.Errorf("Authorization %q: = %d %q %s", auth, w.Code, w.Header().Get("WWW-Authenticate"), w.Body)
		}
	}
	if w := call(iss.Handler(), http.MethodPost, PathMe, "", ""); w.Code != 405 {
		t.Errorf("POST = %d, want 405", w.Code)
	}
}

func TestQuoteSafeKeepsChallengeParsable(t *testing.T) {
	if got := quoteSafe("a \"b\" \\c\nd é"); got != "a 'b' 'c?d ?" {
		t.Errorf("quoteSafe = %q", got)
	}
}

func TestApiMeAcceptsAndRefusesOnTheRealClockToo(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{Clock: clock.Real{}})
	tok, _ := iss.Issue(context.Background(), issuer.Request{Identity: "a"})
	if w := call(iss.Handler(), http.MethodGet, PathMe, "", "", "Authorization", "bearer "+tok.Token); w.Code != 200 {
		t.Errorf("lower-case scheme: %d %s", w.Code, w.Body)
	}
}

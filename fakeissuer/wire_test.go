package fakeissuer

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
)

// getTokenOverWire posts /getToken through a real loopback connection.
func getTokenOverWire(ctx context.Context, url string) (*http.Response, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+PathGetToken, strings.NewReader(`{"username":"alice","expiresInMinutes":60}`))
	req.Header.Set("Content-Type", "application/json")
	return http.DefaultClient.Do(req)
}

func TestFaultsReachARealHTTPClient(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{Clock: clock.Real{}})
	srv := serve(t, iss)
	ctx := context.Background()
	expectStatus := func(what string, status int, retryAfter string) *http.Response {
		t.Helper()
		resp, err := getTokenOverWire(ctx, srv.URL)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode != status || resp.Header.Get("Retry-After") != retryAfter {
			t.Errorf("%s: %d Retry-After %q, want %d %q", what, resp.StatusCode, resp.Header.Get("Retry-After"), status, retryAfter)
		}
		return resp
	}
	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Status: 429, RetryAfter: 2 * time.Second, Count: 1})
	if code := errorCode(t, readAll(t, expectStatus("429", 429, "2"))); code != "TooManyRequests" {
		t.Errorf("429 code %s", code)
	}
	expectStatus("after 429", 200, "")

	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultDown, Duration: time.Hour})
	expectStatus("down", 503, "3600")
	iss.ClearFaults()

	for _, kind := range []issuer.FaultKind{issuer.FaultExpiredToken, issuer.FaultMalformedToken} {
		_ = iss.InjectFault(issuer.Fault{Kind: kind, Count: 1})
		tok := decodeBody[appTokenResponse](t, expectStatus(string(kind), 200, "").Body).Token
		if _, err := iss.Verify(tok); err == nil {
			t.Errorf("%s: the token verifies", kind)
		}
	}
	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultShortLifetime, Lifetime: time.Minute, Count: 1})
	tok := decodeBody[appTokenResponse](t, expectStatus("short", 200, "").Body).Token
	if got := lifetimeOf(unverifiedClaims(t, tok)); got != time.Minute {
		t.Errorf("short-lifetime over the wire: %v, want 1m", got)
	}

	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultLatency, Latency: 50 * time.Millisecond, Count: 1})
	start := time.Now()
	expectStatus("latency", 200, "")
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("latency fault: answered in %v, want at least 50ms", d)
	}

	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultHang, Count: 1})
	hangCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if resp, err := getTokenOverWire(hangCtx, srv.URL); !errors.Is(err, context.DeadlineExceeded) {
		if resp != nil {
			resp.Body.Close()
		}
		t.Errorf("hang: err = %v, want the client's deadline", err)
	}
	expectStatus("after hang", 200, "")
}

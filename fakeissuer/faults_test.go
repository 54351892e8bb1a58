package fakeissuer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/credential"
	"tokentop/internal/clock"
	"tokentop/issuer"
)

// faultHarness makes token calls in-process and through the HTTP handler, in
// a synctest bubble where the issuer runs on a loop paced at 60x. stop
// stops the loop; the test defers it.
type faultHarness struct {
	t    *testing.T
	iss  *Issuer
	clk  *clock.Loop
	stop func()
}

func newFaultHarness(t *testing.T) *faultHarness {
	clk := clock.NewPaced(time.Now(), 60)
	iss, err := New(Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return &faultHarness{t: t, iss: iss, clk: clk, stop: clk.Go()}
}

func (h *faultHarness) inProcess(ctx context.Context) (credential.AccessToken, error) {
	return h.iss.Issue(ctx, issuer.Request{Identity: "alice", Lifetime: time.Hour})
}

// overHTTP posts /getToken and returns the recorder and, on 200, the token.
func (h *faultHarness) overHTTP(ctx context.Context) (*httptest.ResponseRecorder, string) {
	w := callCtx(ctx, h.iss.Handler(), http.MethodPost, PathGetToken, "application/json", `{"username":"alice","expiresInMinutes":60}`)
	if w.Code != http.StatusOK {
		return w, ""
	}
	var resp appTokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		h.t.Fatalf("decode /getToken: %v", err)
	}
	return w, resp.Token
}

func (h *faultHarness) inject(f issuer.Fault) {
	h.t.Helper()
	if err := h.iss.InjectFault(f); err != nil {
		h.t.Fatalf("InjectFault(%+v): %v", f, err)
	}
}

// expectHealthy checks the fault is used up: both kinds of call succeed.
func (h *faultHarness) expectHealthy() {
	h.t.Helper()
	if _, err := h.inProcess(context.Background()); err != nil {
		h.t.Errorf("in-process call after the fault: %v", err)
	}
	if w, _ := h.overHTTP(context.Background()); w.Code != http.StatusOK {
		h.t.Errorf("HTTP call after the fault: %d %s", w.Code, w.Body)
	}
}

func TestFailFaultFailsNextCallsWithItsStatusInProcessAndOverHTTP(t *testing.T) {
	for _, tc := range []struct {
		status     int
		retryAfter time.Duration
		code       string
		header     string
	}{
		{500, 0, "InternalServerError", ""},
		{503, 3 * time.Second, "ServiceUnavailable", "3"},
		{429, 7 * time.Second, "TooManyRequests", "7"},
		{401, 0, "Unauthorized", ""},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newFaultHarness(t)
				defer h.stop()
				h.inject(issuer.Fault{Kind: issuer.FaultFail, Status: tc.status, RetryAfter: tc.retryAfter, Count: 2})
				_, err := h.inProcess(context.Background())
				var se *StatusError
				if !errors.As(err, &se) || se.Status != tc.status || se.RetryAfter != tc.retryAfter || !errors.Is(err, ErrFaultInjected) {
					t.Errorf("in-process err = %v, want a %d *StatusError wrapping ErrFaultInjected", err, tc.status)
				}
				w, _ := h.overHTTP(context.Background())
				if w.Code != tc.status || errorCode(t, w.Body.Bytes()) != tc.code || w.Header().Get("Retry-After") != tc.header {
					t.Errorf("HTTP = %d %q Retry-After %q, want %d %s %q", w.Code, w.Body, w.Header().Get("Retry-After"), tc.status, tc.code, tc.header)
				}
				h.expectHealthy()
				if s := h.iss.Stats(); s.Failed != 2 || s.Issued != 2 {
					t.Errorf("stats = %+v, want 2 failed, 2 issued", s.Counters)
				}
			})
		})
	}
}

func TestFail429DefaultsToOneSecondRetryAfter(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Status: 429}); err != nil {
		t.Fatal(err)
	}
	if f := iss.Faults(); len(f) != 1 || f[0].RetryAfter != time.Second {
		t.Errorf("faults = %+v, want RetryAfter 1s", f)
	}
}

func TestLatencyFaultDelaysCallsOnTheIssuerClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newFaultHarness(t)
		defer h.stop()
		h.inject(issuer.Fault{Kind: issuer.FaultLatency, Latency: 30 * time.Second, Count: 2})
		// 30 virtual seconds at 60x are half a real second.
		start := time.Now()
		if _, err := h.inProcess(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 500*time.Millisecond || d > 501*time.Millisecond {
			t.Errorf("in-process call took %v real, want 500ms", d)
		}
		start = time.Now()
		if w, tok := h.overHTTP(context.Background()); w.Code != 200 || tok == "" {
			t.Fatalf("HTTP = %d %s", w.Code, w.Body)
		}
		if d := time.Since(start); d < 500*time.Millisecond || d > 501*time.Millisecond {
			t.Errorf("HTTP call took %v real, want 500ms", d)
		}
		start = time.Now()
		h.expectHealthy()
		if d := time.Since(start); d != 0 {
			t.Errorf("calls after the fault took %v, want none", d)
		}
	})
}

func TestLatencyFaultGivesUpWithTheCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newFaultHarness(t)
		defer h.stop()
		h.inject(issuer.Fault{Kind: issuer.FaultLatency, Latency: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := h.inProcess(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "latency") {
			t.Errorf("err = %v, want a latency error wrapping DeadlineExceeded", err)
		}
	})
}

func TestHangFaultHangsUntilTheCallerGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newFaultHarness(t)
		defer h.stop()
		h.inject(issuer.Fault{Kind: issuer.FaultHang, Count: 2})

		ctx, cancel := context.WithCancel(context.Background())
		inproc := make(chan error, 1)
		go func() { _, err := h.inProcess(ctx); inproc <- err }()
		httpDone := make(chan *httptest.ResponseRecorder, 1)
		go func() { w, _ := h.overHTTP(ctx); httpDone <- w }()

		time.Sleep(24 * time.Hour) // a day of (bubble) time passes: still hanging
		synctest.Wait()
		select {
		case err := <-inproc:
			t.Fatalf("in-process call returned while hanging: %v", err)
		case w := <-httpDone:
			t.Fatalf("HTTP call returned while hanging: %d", w.Code)
		default:
		}
		cancel()
		if err := <-inproc; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "hung") {
			t.Errorf("in-process err = %v, want a hang error wrapping Canceled", err)
		}
		if w := <-httpDone; w.Code != http.StatusServiceUnavailable || errorCode(t, w.Body.Bytes()) != "RequestAbandoned" {
			t.Errorf("HTTP = %d %s, want 503 RequestAbandoned", w.Code, w.Body)
		}
		h.expectHealthy()
	})
}

func TestExpiredTokenFaultReturnsAnAlreadyExpiredToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newFaultHarness(t)
		defer h.stop()
		h.inject(issuer.Fault{Kind: issuer.FaultExpiredToken, Count: 2})
		tok, err := h.inProcess(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !tok.ExpiresOn.Before(h.clk.Now()) {
			t.Errorf("ExpiresOn %v is not before now %v", tok.ExpiresOn, h.clk.Now())
		}
		if _, err := h.iss.Verify(tok.Token); !errors.Is(err, ErrTokenExpired) {
			t.Errorf("in-process token: Verify = %v, want ErrTokenExpired", err)
		}
		_, raw := h.overHTTP(context.Background())
		if _, err := h.iss.Verify(raw); !errors.Is(err, ErrTokenExpired) {
			t.Errorf("HTTP token: Verify = %v, want ErrTokenExpired", err)
		}
		h.expectHealthy()
	})
}

func TestMalformedTokenFaultReturnsATokenThatDoesNotParse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newFaultHarness(t)
		defer h.stop()
		h.inject(issuer.Fault{Kind: issuer.FaultMalformedToken, Count: 2})
		tok, err := h.inProcess(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.iss.Verify(tok.Token); !errors.Is(err, ErrMalformedToken) {
			t.Errorf("in-process token: Verify = %v, want ErrMalformedToken", err)
		}
		// Not vouched for, so a credential reads it back and refuses it.
		if tok.Minted {
			t.Errorf("in-process malformed token is marked Minted; a credential would take it unread")
		}
		_, raw := h.overHTTP(context.Background())
		if _, err := h.iss.Verify(raw); !errors.Is(err, ErrMalformedToken) || strings.Count(raw, ".") != 2 {
			t.Errorf("HTTP token %q: Verify = %v, want a three-segment token refused as malformed", raw, err)
		}
		h.expectHealthy()
		if tok, err := h.inProcess(context.Background()); err != nil || !tok.Minted || tok.ExpiresOn.IsZero() {
			t.Errorf("healthy in-process token = %+v, %v; want it Minted with its expiry", tok, err)
		}
	})
}

func TestShortLifetimeFaultCapsTheLifetimeAskedFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newFaultHarness(t)
		defer h.stop()
		h.inject(issuer.Fault{Kind: issuer.FaultShortLifetime, Lifetime: 5 * time.Minute, Count: 2})
		tok, err := h.inProcess(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := lifetimeOf(unverifiedClaims(t, tok.Token)); got != 5*time.Minute {
			t.Errorf("in-process lifetime = %v, want 5m (asked 1h)", got)
		}
		_, raw := h.overHTTP(context.Background())
		if got := lifetimeOf(unverifiedClaims(t, raw)); got != 5*time.Minute {
			t.Errorf("HTTP lifetime = %v, want 5m (asked 1h)", got)
		}
		tok, _ = h.inProcess(context.Background())
		if got := lifetimeOf(unverifiedClaims(t, tok.Token)); got != time.Hour {
			t.Errorf("after the fault: lifetime = %v, want 1h", got)
		}
	})
}

func TestDownFaultFailsEveryCallForItsDurationOnTheIssuerClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newFaultHarness(t)
		defer h.stop()
		h.inject(issuer.Fault{Kind: issuer.FaultDown, Duration: 2 * time.Minute})
		for n := range 3 {
			_, err := h.inProcess(context.Background())
			var se *StatusError
			if !errors.As(err, &se) || se.Status != 503 || se.RetryAfter != 2*time.Minute {
				t.Errorf("in-process call %d: err = %v, want 503 retry after 2m", n, err)
			}
			w, _ := h.overHTTP(context.Background())
			if w.Code != 503 || w.Header().Get("Retry-After") != "120" {
				t.Errorf("HTTP call %d = %d Retry-After %q, want 503 and 120", n, w.Code, w.Header().Get("Retry-After"))
			}
		}
		// Two virtual minutes at 60x are two real seconds.
		time.Sleep(2 * time.Second)
		h.expectHealthy()
		if f := h.iss.Faults(); len(f) != 0 {
			t.Errorf("faults after the outage = %+v, want none", f)
		}
	})
}

func TestFaultForOneIdentityLeavesOthersAlone(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Identity: "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"}); err != nil {
		t.Errorf("alice: %v", err)
	}
	if _, err := iss.Issue(context.Background(), issuer.Request{Identity: "bob"}); !errors.Is(err, ErrFaultInjected) {
		t.Errorf("bob: err = %v, want ErrFaultInjected", err)
	}
}

func TestFaultsListsCallsLeftAndClearAndRemoveEndThem(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	ctx := context.Background()
	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Count: 3})
	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultMalformedToken})
	_, _ = iss.Issue(ctx, issuer.Request{Identity: "a"})
	f := iss.Faults()
	if len(f) != 2 || f[0].Count != 2 || f[0].ID == f[1].ID {
		t.Fatalf("faults = %+v, want the fail fault with 2 calls left", f)
	}
	if !iss.RemoveFault(f[0].ID) || iss.RemoveFault(f[0].ID) {
		t.Error("RemoveFault should succeed once")
	}
	if f := iss.Faults(); len(f) != 1 || f[0].Kind != issuer.FaultMalformedToken {
		t.Errorf("after remove: %+v", f)
	}
	iss.ClearFaults()
	if f := iss.Faults(); len(f) != 0 {
		t.Errorf("after clear: %+v", f)
	}
	if _, err := iss.Issue(ctx, issuer.Request{Identity: "a"}); err != nil {
		t.Errorf("after clear: %v", err)
	}
}

func TestInjectFaultRefusesFaultsItCannotApply(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for _, f := range []issuer.Fault{
		{Kind: "explode"},
		{Kind: issuer.FaultFail, Status: 200},
		{Kind: issuer.FaultFail, Count: -1},
		{Kind: issuer.FaultLatency},
		{Kind: issuer.FaultDown},
		{Kind: issuer.FaultShortLifetime, Lifetime: -time.Second},
	} {
		if err := iss.InjectFault(f); err == nil {
			t.Errorf("InjectFault(%+v) accepted", f)
		} else if !strings.Contains(err.Error(), string(f.Kind)) {
			t.Errorf("InjectFault(%+v) error %q does not name the kind", f, err)
		}
	}
	if len(iss.Faults()) != 0 {
		t.Error("a refused fault was kept")
	}
}

func TestFaultErrorsAndDescriptionsReadAsSentences(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	_ = iss.InjectFault(issuer.Fault{Kind: issuer.FaultDown, Duration: 2 * time.Minute})
	_, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if got := err.Error(); !strings.HasPrefix(got, "fake issuer: 503 Service Unavailable: injected fault: the issuer is down until ") ||
		!strings.HasSuffix(got, "(retry after 2m0s)") {
		t.Errorf("error = %q", got)
	}
	for f, want := range map[*issuer.Fault]string{
		{Kind: issuer.FaultFail, Status: 429, Count: 3}:                                   "fail with 429 for the next 3 calls",
		{Kind: issuer.FaultLatency, Latency: time.Second, Count: 1}:                       "add 1s latency for the next call",
		{Kind: issuer.FaultHang, Identity: "bob"}:                                         "hang until the caller gives up (bob only)",
		{Kind: issuer.FaultExpiredToken}:                                                  "return expired tokens",
		{Kind: issuer.FaultMalformedToken}:                                                "return malformed tokens",
		{Kind: issuer.FaultShortLifetime, Lifetime: 5 * time.Minute, Duration: time.Hour}: "cap token lifetime at 5m0s for 1h0m0s",
		{Kind: issuer.FaultDown, Duration: time.Minute}:                                   "be down for 1m0s",
	} {
		if got := f.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

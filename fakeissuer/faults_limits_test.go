package fakeissuer

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"tokentop/issuer"
)

func TestInjectFaultStopsAtMaxFaults(t *testing.T) {
	iss, clk := newTestIssuer(t, Options{})
	for n := range MaxFaults - 1 {
		if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Identity: "user-" + strconv.Itoa(n)}); err != nil {
			t.Fatalf("fault %d: %v", n, err)
		}
	}
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultFail, Identity: "last", Duration: time.Minute}); err != nil {
		t.Fatalf("fault %d: %v", MaxFaults, err)
	}
	err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultHang})
	if !errors.Is(err, ErrTooManyFaults) || !strings.Contains(err.Error(), strconv.Itoa(MaxFaults)) {
		t.Fatalf("fault %d: err = %v, want ErrTooManyFaults naming %d", MaxFaults+1, err, MaxFaults)
	}
	if n := len(iss.Faults()); n != MaxFaults {
		t.Errorf("%d faults held, want %d", n, MaxFaults)
	}
	clk.Advance(time.Minute) // the timed fault ends and frees its place
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultHang, Identity: "x"}); err != nil {
		t.Errorf("after a fault expired: %v", err)
	}
	iss.RemoveFault(iss.Faults()[0].ID)
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultHang, Identity: "y"}); err != nil {
		t.Errorf("after a fault was removed: %v", err)
	}
	if _, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"}); err != nil {
		t.Errorf("a call no fault matches: %v", err)
	}
}

func TestFaultDurationsOutOfRangeAreRefused(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for _, d := range []time.Duration{MaxFaultDuration + 1, math.MaxInt64, math.MinInt64} {
		for field, f := range map[string]issuer.Fault{
			"retry-after": {Kind: issuer.FaultFail, Status: 503, RetryAfter: d},
			"latency":     {Kind: issuer.FaultLatency, Latency: d},
			"lifetime":    {Kind: issuer.FaultShortLifetime, Lifetime: d},
			"duration":    {Kind: issuer.FaultDown, Duration: d},
		} {
			err := iss.InjectFault(f)
			if err == nil || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), MaxFaultDuration.String()) {
				t.Errorf("%s %v: err = %v, want one naming the field and the range", field, d, err)
			}
		}
	}
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultDown, Duration: MaxFaultDuration, RetryAfter: MaxFaultDuration}); err != nil {
		t.Errorf("the longest durations: %v", err)
	}
}

func TestInjectFaultRefusesAnUnprintableIdentity(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for _, id := range []string{"a\x1b[2Jb", strings.Repeat("a", MaxIdentityLen+1)} {
		err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultHang, Identity: id})
		if err == nil || !strings.Contains(err.Error(), "identity") || strings.Contains(err.Error(), "\x1b") {
			t.Errorf("identity %.20q: err = %v", id, err)
		}
	}
}

// Every duration InjectFault takes gives a positive Retry-After: near the
// maximum, an outage's remaining time used to overflow to a negative header.
func TestDownFaultAtTheLongestDurationSendsAPositiveRetryAfter(t *testing.T) {
	for _, d := range []time.Duration{MaxFaultDuration, math.MaxInt64} {
		iss, _ := newTestIssuer(t, Options{})
		if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultDown, Duration: d, RetryAfter: d}); err != nil {
			continue // refused: nothing to send
		}
		w := call(iss.Handler(), http.MethodPost, PathGetToken, "application/json", `{"username":"alice"}`)
		secs, err := strconv.ParseInt(w.Header().Get("Retry-After"), 10, 64)
		if w.Code != 503 || err != nil || secs <= 0 || secs > int64(MaxFaultDuration/time.Second) {
			t.Errorf("duration %v: %d Retry-After %q, want 503 with 1..%d seconds", d, w.Code, w.Header().Get("Retry-After"), int64(MaxFaultDuration/time.Second))
		}
	}
}

func TestLatencyFaultsAddUpWithoutOverflow(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for range 2 {
		if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultLatency, Latency: MaxFaultDuration}); err != nil {
			t.Fatal(err)
		}
	}
	_, d, err := iss.IssueSimulated(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Latency != 2*MaxFaultDuration {
		t.Errorf("latency = %v, want %v", d.Latency, 2*MaxFaultDuration)
	}
	for _, tc := range [][3]time.Duration{
		{math.MaxInt64, 1, math.MaxInt64},
		{math.MaxInt64 / 2, math.MaxInt64/2 + 2, math.MaxInt64},
		{time.Second, time.Second, 2 * time.Second},
	} {
		if got := addSat(tc[0], tc[1]); got != tc[2] {
			t.Errorf("addSat(%v, %v) = %v, want %v", tc[0], tc[1], got, tc[2])
		}
	}
}

func TestScopesThatAreUnprintableTooLongOrTooManyAreRefused(t *testing.T) {
	iss, _ := newTestIssuer(t, Options{})
	for name, scopes := range map[string][]string{
		"ESC":       {"chat", "voip\x1b[2J"},
		"NUL":       {"chat\x00"},
		"not UTF-8": {"\xff"},
		"too long":  {strings.Repeat("s", MaxScopeLen+1)},
		"too many":  strings.Split(strings.Repeat("s ", MaxScopes+1)[:2*(MaxScopes+1)-1], " "),
	} {
		_, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice", Scopes: scopes})
		var se *StatusError
		if !errors.As(err, &se) || se.Status != 400 || se.Code != "InvalidScope" || strings.ContainsAny(err.Error(), "\x00\x1b") {
			t.Errorf("%s: err = %v, want a 400 InvalidScope", name, err)
		}
	}
	if s := iss.Stats(); s.IdentityCount != 0 || s.Failed != 5 {
		t.Errorf("count %d failed %d, want no identity and 5 failures", s.IdentityCount, s.Failed)
	}
}

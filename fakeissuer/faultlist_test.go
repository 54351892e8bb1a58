package fakeissuer

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/issuer"
)

// Issue 14, bug 7: an in-process call during an outage read "retry after
// 4m26.52039228s" on a scaled clock.
func TestAnOutagesRetryAfterIsInWholeSecondsAsOverHTTP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		iss, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultDown, Duration: 5 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(33*time.Second + 480392280) // 4m26.51960772s of the outage left
		_, err = iss.Issue(context.Background(), issuer.Request{Identity: "alice"})
		if err == nil || !strings.HasSuffix(err.Error(), "(retry after 4m27s)") {
			t.Errorf("error %v, want one ending (retry after 4m27s)", err)
		}
	})
}

func TestActiveFaultsShowTheCallsAndTimeEachHasLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		iss, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []issuer.Fault{
			{Kind: issuer.FaultFail, Status: 503, Count: 2},
			{Kind: issuer.FaultLatency, Latency: time.Second, Duration: time.Hour, Identity: "bob"},
		} {
			if err := iss.InjectFault(f); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"}); err == nil {
			t.Fatal("the first call did not fail")
		}
		time.Sleep(20*time.Minute + 100*time.Millisecond)
		var got []string
		for _, f := range iss.ActiveFaults() {
			got = append(got, f.String())
		}
		if want := "fail with 503 for the next call|add 1s latency for 40m0s (bob only)"; strings.Join(got, "|") != want {
			t.Errorf("active faults %q, want %q", strings.Join(got, "|"), want)
		}
	})
}

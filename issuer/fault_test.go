package issuer

import (
	"testing"
	"time"
)

func TestFaultKindsKeepTheirWireNames(t *testing.T) {
	want := []string{"fail", "latency", "hang", "expired-token", "malformed-token", "short-lifetime", "down", "throttle"}
	got := FaultKinds()
	if len(got) != len(want) {
		t.Fatalf("FaultKinds() = %v, want %v", got, want)
	}
	for n := range want {
		if string(got[n]) != want[n] {
			t.Errorf("FaultKinds()[%d] = %q, want %q", n, got[n], want[n])
		}
	}
}

func TestFaultStringLeavesDefaultsUnsaid(t *testing.T) {
	for f, want := range map[Fault]string{
		{Kind: FaultFail}:                                 "fail",
		{Kind: FaultFail, Status: 503, Count: 1}:          "fail with 503 for the next call",
		{Kind: FaultShortLifetime}:                        "cap token lifetime",
		{Kind: FaultShortLifetime, Lifetime: time.Minute}: "cap token lifetime at 1m0s",
		{Kind: FaultDown, Duration: 15 * time.Minute}:     "be down for 15m0s",
		{Kind: "meteor", Identity: "bob"}:                 "meteor (bob only)",
		{Kind: FaultThrottle, Rate: 10}:                   "throttle to 10 calls per second",
		{Kind: FaultThrottle, Rate: 10, Interval: time.Minute, Burst: 20, Bucket: ThrottleIdentity}: "throttle to 10 calls per 1m0s (burst 20) per identity",
	} {
		if got := f.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", f, got, want)
		}
	}
}

package fakeissuer

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
)

var simStart = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// simIssuer is a fake issuer on a sim clock that the test moves by hand.
func simIssuer(t *testing.T) (*Issuer, func(at time.Duration)) {
	t.Helper()
	loop := clock.NewSim(simStart)
	iss, err := New(Options{Clock: loop})
	if err != nil {
		t.Fatal(err)
	}
	return iss, func(at time.Duration) {
		t.Helper()
		if err := loop.RunUntil(context.Background(), simStart.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
}

// outcome is "ok" or "429 after Ns" for one in-process call.
func outcome(t *testing.T, iss *Issuer, identity string) string {
	t.Helper()
	_, err := iss.Issue(context.Background(), issuer.Request{Identity: identity, Lifetime: time.Hour})
	if err == nil {
		return "ok"
	}
	se, ok := errorsAs[*StatusError](err)
	if !ok {
		t.Fatalf("Issue: %v; want a *StatusError", err)
	}
	return fmt.Sprintf("%d after %v", se.Status, se.RetryAfter)
}

func TestThrottleIsATokenBucketOnTheIssuersClock(t *testing.T) {
	iss, at := simIssuer(t)
	// 2 calls a second (one per 500ms), 3 at once.
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultThrottle, Rate: 2, Burst: 3}); err != nil {
		t.Fatal(err)
	}
	var got []string
	step := func(when time.Duration, calls int) {
		at(when)
		for range calls {
			got = append(got, fmt.Sprintf("%v %s", when, outcome(t, iss, "alice")))
		}
	}
	step(0, 4)                     // the burst, then a refusal: the next token is 500ms away
	step(500*time.Millisecond, 2)  // one token came back
	step(999*time.Millisecond, 1)  // 1ns short of the next
	step(1000*time.Millisecond, 1) // exactly on time
	step(10*time.Second, 4)        // a quiet spell refills to the burst, no more
	want := []string{
		"0s ok", "0s ok", "0s ok", "0s 429 after 1s",
		"500ms ok", "500ms 429 after 1s",
		"999ms 429 after 1s",
		"1s ok",
		"10s ok", "10s ok", "10s ok", "10s 429 after 1s",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestThrottleRetryAfterIsTheWaitRoundedUp(t *testing.T) {
	iss, at := simIssuer(t)
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultThrottle, Rate: 1, Interval: time.Minute, Burst: 1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Duration
		want string
	}{
		{0, "ok"},
		{0, "429 after 1m0s"},
		{59*time.Second + 500*time.Millisecond, "429 after 1s"},
		{60 * time.Second, "ok"},
		{61 * time.Second, "429 after 59s"},
	} {
		at(c.at)
		if got := outcome(t, iss, "alice"); got != c.want {
			t.Errorf("at %v: %s; want %s", c.at, got, c.want)
		}
	}
}

func TestThrottleBucketPerClientOrIdentity(t *testing.T) {
	for bucket, bobAfterAlice := range map[issuer.ThrottleBucket]string{
		issuer.ThrottleClient:   "429 after 10s", // alice used the client's only token
		issuer.ThrottleIdentity: "ok",            // bob has a bucket of his own
	} {
		iss, _ := simIssuer(t)
		if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultThrottle, Rate: 1, Interval: 10 * time.Second, Burst: 1, Bucket: bucket}); err != nil {
			t.Fatal(err)
		}
		if got := outcome(t, iss, "alice"); got != "ok" {
			t.Fatalf("%s: alice's first call: %s", bucket, got)
		}
		if got := outcome(t, iss, "bob"); got != bobAfterAlice {
			t.Errorf("%s: bob's call after alice's: %s; want %s", bucket, got, bobAfterAlice)
		}
		if got := outcome(t, iss, "alice"); got != "429 after 10s" {
			t.Errorf("%s: alice's second call: %s; want 429 after 10s", bucket, got)
		}
	}
}

func TestThrottleLimitedToOneIdentityLeavesOthersAlone(t *testing.T) {
	iss, _ := simIssuer(t)
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultThrottle, Rate: 1, Burst: 1, Identity: "alice"}); err != nil {
		t.Fatal(err)
	}
	got := []string{outcome(t, iss, "alice"), outcome(t, iss, "alice"), outcome(t, iss, "bob"), outcome(t, iss, "bob")}
	if want := "ok 429 after 1s ok ok"; strings.Join(got, " ") != want {
		t.Errorf("calls: %v; want %s", got, want)
	}
}

func TestThrottleOverHTTPSendsRetryAfter(t *testing.T) {
	iss, _ := simIssuer(t)
	srv := serve(t, iss)
	resp := postJSON(t, srv.URL+PathAdminFaults, `{"fault":"throttle","rate":1,"interval":"30s","burst":1,"bucket":"identity"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST throttle: %d %s", resp.StatusCode, readAll(t, resp))
	}
	created := decodeBody[faultJSON](t, resp.Body)
	if created.Rate != 1 || time.Duration(created.Interval) != 30*time.Second || created.Burst != 1 || created.Bucket != issuer.ThrottleIdentity {
		t.Errorf("created = %+v; want the throttle's fields back", created)
	}
	body := `{"username":"alice","expiresInMinutes":60}`
	if w := call(iss.Handler(), http.MethodPost, PathGetToken, "application/json", body); w.Code != http.StatusOK {
		t.Fatalf("first call: %d %s", w.Code, w.Body)
	}
	w := call(iss.Handler(), http.MethodPost, PathGetToken, "application/json", body)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "30" {
		t.Errorf("second call: %d, Retry-After %q; want 429 with Retry-After 30", w.Code, w.Header().Get("Retry-After"))
	}
}

func TestThrottleFaultsAreChecked(t *testing.T) {
	iss, _ := simIssuer(t)
	for _, c := range []struct {
		f    issuer.Fault
		says string
	}{
		{issuer.Fault{Kind: issuer.FaultThrottle}, "needs a rate"},
		{issuer.Fault{Kind: issuer.FaultThrottle, Rate: issuer.MaxThrottleRate + 1}, "needs a rate"},
		{issuer.Fault{Kind: issuer.FaultThrottle, Rate: 1, Count: 3}, "drop \"count\""},
		{issuer.Fault{Kind: issuer.FaultThrottle, Rate: 1, Burst: -1}, "burst"},
		{issuer.Fault{Kind: issuer.FaultThrottle, Rate: 1, Interval: time.Microsecond}, "interval"},
		{issuer.Fault{Kind: issuer.FaultThrottle, Rate: 1, Interval: MaxFaultDuration, Burst: 1000}, "refill"},
		{issuer.Fault{Kind: issuer.FaultThrottle, Rate: 1, Bucket: "tenant"}, "bucket \"tenant\""},
	} {
		err := iss.InjectFault(c.f)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("InjectFault(%+v) = %v; want an error saying %q", c.f, err, c.says)
		}
	}
	if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultThrottle, Rate: 5}); err != nil {
		t.Fatal(err)
	}
	f := iss.Faults()[0]
	if f.Interval != time.Second || f.Burst != 5 || f.Bucket != issuer.ThrottleClient {
		t.Errorf("defaults: %+v; want 1s interval, burst = rate, client bucket", f.Fault)
	}
}

func TestThrottleBucketsAreBounded(t *testing.T) {
	f := issuer.Fault{Kind: issuer.FaultThrottle, Rate: 1, Interval: time.Hour, Burst: 1, Bucket: issuer.ThrottleIdentity}
	if err := validateThrottle(&f); err != nil {
		t.Fatal(err)
	}
	th := newThrottle(f)
	for n := range MaxThrottleBuckets {
		th.take(fmt.Sprint("id-", n), simStart)
	}
	// Every bucket is empty: a newcomer shares the overflow bucket.
	if th.take("newcomer", simStart) != 0 || th.take("another", simStart) == 0 || len(th.next) != MaxThrottleBuckets+1 {
		t.Fatalf("past the cap: %d buckets; want the newcomers in one overflow bucket", len(th.next))
	}
	// An hour on, every bucket is full again and can go.
	later := simStart.Add(time.Hour)
	if th.take("late", later) != 0 || len(th.next) != 1 {
		t.Errorf("after a refill: %d buckets; want the full ones dropped", len(th.next))
	}
}

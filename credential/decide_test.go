package credential

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"tokentop/internal/clock"
)

// The decision tests drive the credential as etcd's raft tests drive a
// node: a fixed now and an input in, the intents (timers, refreshes to
// start or cancel, waiters to complete, events) out, nothing applied. The
// credential's clock panics if read: a decision reads only the now it is given.

// t0 is the decision tests' epoch.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// noClock is a clock that must not be used.
type noClock struct{}

func (noClock) Now() time.Time                              { panic("a decision read the clock") }
func (noClock) Since(time.Time) time.Duration               { panic("a decision read the clock") }
func (noClock) AfterFunc(time.Duration, func()) clock.Timer { panic("a decision armed a timer") }

// decider returns a credential that has decided nothing yet, with the
// retry jitter pinned to 0.5.
func decider(t *testing.T, opts Options) *Credential {
	t.Helper()
	opts.Clock = noClock{}
	opts.OnEvent = func(Event) {} // events are queued, never delivered here
	if opts.Refresher == nil {
		opts.AsyncRefresher = func(context.Context, func(AccessToken, error)) {}
	}
	c, err := build(opts, func() float64 { return 0.5 })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// t0p is t0 plus d.
func t0p(d time.Duration) time.Time { return t0.Add(d) }

// since renders a time as the offset from t0.
func since(t time.Time) string { return "+" + t.Sub(t0).String() }

// intents renders and clears what the decisions so far asked for, in
// order within each kind: timers, cancels, starts, wakes, then events.
func intents(c *Credential) []string {
	var out []string
	slot := func(s *timerSlot) string {
		switch s {
		case &c.schedT:
			return "sched"
		case &c.freshT:
			return "fresh"
		}
		return "limit" // a flight's attempt limit
	}
	for _, a := range c.fx.timers {
		if a.at.IsZero() {
			out = append(out, "stop "+slot(a.slot))
		} else {
			out = append(out, "arm "+slot(a.slot)+" "+since(a.at))
		}
	}
	for _, f := range c.fx.cancels {
		out = append(out, fmt.Sprintf("cancel #%d", f.seq))
	}
	for _, f := range c.fx.starts {
		out = append(out, fmt.Sprintf("start #%d", f.seq))
	}
	if n := len(c.fx.wakes); n > 0 {
		out = append(out, fmt.Sprintf("wake %d", n))
	}
	for _, e := range c.queue {
		s := "event " + e.Kind.String()
		if e.Reason != 0 {
			s += " " + e.Reason.String()
		}
		if e.Attempt != 0 {
			s += fmt.Sprintf(" attempt %d", e.Attempt)
		}
		if !e.NextAt.IsZero() {
			s += " next " + since(e.NextAt)
		}
		if e.Waiters != 0 {
			s += fmt.Sprintf(" waiters %d", e.Waiters)
		}
		out = append(out, s)
	}
	c.fx, c.queue = effects{}, nil
	return out
}

// want compares the intents with the lines expected.
func want(t *testing.T, step string, c *Credential, lines ...string) {
	t.Helper()
	if got := intents(c); !slices.Equal(got, lines) {
		t.Fatalf("%s:\n got  %s\n want %s", step, strings.Join(got, " | "), strings.Join(lines, " | "))
	}
}

// only returns the one flight in flight.
func only(t *testing.T, c *Credential) *flight {
	t.Helper()
	fs := c.flightsInOrder()
	if len(fs) != 1 {
		t.Fatalf("%d flights in flight, want 1", len(fs))
	}
	return fs[0]
}

func token(exp time.Duration) AccessToken { return AccessToken{Token: mintJWT(t0p(exp))} }

func TestDecideProactiveRefreshIsScheduledTenMinutesBeforeExpiryAndBoundedWhenItStarts(t *testing.T) {
	c := decider(t, Options{InitialToken: mintJWT(t0p(time.Hour)), RefreshProactively: true})
	c.newLocked(t0)
	want(t, "new", c, "arm fresh +59m59.9s", "arm sched +50m0s", "event scheduled proactive next +50m0s")

	c.schedDueLocked(t0p(50*time.Minute - time.Second)) // fired early (a clamped delay): armed again
	want(t, "early fire", c, "arm sched +50m0s")

	c.schedDueLocked(t0p(50 * time.Minute))
	want(t, "due", c, "stop sched", "arm limit +50m30s", "start #1", "event started proactive attempt 1")

	c.completeLocked(only(t, c), token(time.Hour+50*time.Minute), nil, t0p(50*time.Minute+time.Second))
	want(t, "success", c, "stop limit", "arm fresh +1h49m59.9s", "arm sched +1h40m0s", "cancel #1",
		"event succeeded proactive attempt 1", "event scheduled proactive next +1h40m0s")
	if f, ok := c.Cached(); !ok || !f.ExpiresOn.Equal(t0p(time.Hour+50*time.Minute)) {
		t.Fatal("the new token is not published to the lock-free path")
	}
}

func TestDecideRetryBacksOffAfterAFailureAndSDKPoliciesStopInstead(t *testing.T) {
	c := decider(t, Options{InitialToken: mintJWT(t0p(time.Hour)), RefreshProactively: true})
	c.newLocked(t0)
	c.schedDueLocked(t0p(50 * time.Minute))
	intents(c)
	c.completeLocked(only(t, c), AccessToken{}, errTest, t0p(50*time.Minute))
	want(t, "tokentop failure", c, "stop limit", "arm sched +50m1s", "cancel #1",
		"event failed proactive attempt 1", "event retry-scheduled retry attempt 2 next +50m1s")
	c.schedDueLocked(t0p(50*time.Minute + time.Second))
	want(t, "retry due", c, "stop sched", "arm limit +50m31s", "start #2", "event started retry attempt 2")

	js := decider(t, Options{InitialToken: mintJWT(t0p(time.Hour)), RefreshProactively: true, Policy: PolicyJS})
	js.newLocked(t0)
	js.schedDueLocked(t0p(50 * time.Minute))
	intents(js)
	js.completeLocked(only(t, js), AccessToken{}, errTest, t0p(50*time.Minute))
	want(t, "js failure", js, "cancel #1", "event failed proactive attempt 1") // no retry, nothing scheduled
}

func TestDecideRetryAfterHoldsOffTheRetryAndTheCallers(t *testing.T) {
	c := decider(t, Options{RefreshProactively: true})
	c.newLocked(t0)
	want(t, "new without a token", c, "arm limit +30s", "start #1", "event started initial attempt 1")
	c.completeLocked(only(t, c), AccessToken{}, &statusErr{status: 429, after: 30 * time.Second}, t0p(time.Second))
	want(t, "429", c, "stop limit", "arm sched +31s", "cancel #1",
		"event failed initial attempt 1", "event retry-scheduled retry attempt 2 next +31s")

	j := c.joinLocked(false, true, nil, t0p(10*time.Second))
	var held *holdError
	if j.f != nil || !errors.As(j.err, &held) || !held.until.Equal(t0p(31*time.Second)) {
		t.Fatalf("a caller inside the Retry-After: %+v, want the hold error and no refresh", j)
	}
	want(t, "caller held off", c)
}

func TestDecideHoldOffAfterTwoPermanentFailuresCallsTheIssuerOnceAMinute(t *testing.T) {
	c := decider(t, Options{RefreshProactively: true})
	c.newLocked(t0)
	intents(c)
	c.completeLocked(only(t, c), AccessToken{}, &statusErr{status: 401}, t0)
	want(t, "first 401", c, "stop limit", "arm sched +1s", "cancel #1",
		"event failed initial attempt 1", "event retry-scheduled retry attempt 2 next +1s")
	c.schedDueLocked(t0p(time.Second))
	intents(c)
	c.completeLocked(only(t, c), AccessToken{}, &statusErr{status: 401}, t0p(time.Second))
	want(t, "second 401", c, "stop limit", "arm sched +1m1s", "cancel #2",
		"event failed retry attempt 2", "event retry-scheduled retry attempt 3 next +1m1s")
	if !c.attentionLocked() {
		t.Fatal("two permanent failures in a row do not need attention")
	}
	if j := c.joinLocked(true, true, nil, t0p(2*time.Second)); j.f == nil {
		t.Fatalf("Refresh during the hold-off: %+v, want it to call the issuer at once", j)
	}
}

func TestDecideOnDemandCallersShareOneRefreshUnlessThePolicyDoesNot(t *testing.T) {
	for _, tc := range []struct {
		policy Policy
		second []string
	}{
		{DefaultPolicy, nil},
		{PolicyJava, []string{"start #2", "event started on-demand attempt 1 waiters 1"}},
	} {
		c := decider(t, Options{InitialToken: mintJWT(t0p(-time.Minute)), Policy: tc.policy})
		c.newLocked(t0)
		want(t, tc.policy.Name+" new with an expired token", c)
		if j := c.joinLocked(false, true, nil, t0); j.f == nil || !j.leader {
			t.Fatalf("%s: the first caller %+v, want it to start a refresh", tc.policy.Name, j)
		}
		want(t, tc.policy.Name+" first caller", c, "start #1", "event started on-demand attempt 1 waiters 1")
		c.joinLocked(false, true, nil, t0)
		want(t, tc.policy.Name+" second caller", c, tc.second...)
	}
}

func TestDecideAbortEndsTheRefreshAndContinuesTheScheduleFromTheToken(t *testing.T) {
	c := decider(t, Options{InitialToken: mintJWT(t0p(time.Hour)), RefreshProactively: true})
	c.newLocked(t0)
	c.schedDueLocked(t0p(50 * time.Minute))
	intents(c)
	f := only(t, c)
	c.abortAllLocked(t0p(50*time.Minute + 10*time.Second))
	want(t, "abort", c, "stop limit", "arm sched +55m5s", "cancel #1",
		"event aborted proactive attempt 1", "event scheduled proactive next +55m5s")
	if !errors.Is(f.err, ErrAborted) {
		t.Fatalf("the flight ended with %v, want ErrAborted", f.err)
	}
	c.completeLocked(f, token(2*time.Hour), nil, t0p(51*time.Minute)) // the refresher's late answer
	want(t, "late result", c)
}

func TestDecideDisposeStopsEveryTimerAndReleasesEveryWaiter(t *testing.T) {
	c := decider(t, Options{InitialToken: mintJWT(t0p(time.Hour)), RefreshProactively: true})
	c.newLocked(t0)
	intents(c)
	for range 2 { // two callers of Refresh, waiting on one flight
		j := c.joinLocked(true, true, nil, t0p(time.Minute))
		j.f.wakes = append(j.f.wakes, func() {})
	}
	want(t, "refresh", c, "start #1", "event started forced attempt 1 waiters 1")
	f := only(t, c)
	c.disposeLocked(t0p(2 * time.Minute))
	want(t, "dispose", c, "stop sched", "stop fresh", "cancel #1", "wake 2",
		"event aborted forced attempt 1 waiters 2", "event disposed waiters 2")
	if _, ok := c.Cached(); ok || !errors.Is(f.err, ErrDisposed) {
		t.Fatalf("after Dispose the token is still cached or the flight ended with %v", f.err)
	}
	c.completeLocked(f, token(2*time.Hour), nil, t0p(3*time.Minute))
	c.schedDueLocked(t0p(50 * time.Minute))
	c.freshDueLocked(t0p(time.Hour))
	c.disposeLocked(t0p(time.Hour))
	want(t, "after dispose", c)
}

func TestDecideFreshnessDueWithdrawsTheTokenOrCatchesUpALateSchedule(t *testing.T) {
	c := decider(t, Options{InitialToken: mintJWT(t0p(time.Hour)), RefreshProactively: true, Policy: PolicyDotNet})
	c.newLocked(t0)
	want(t, "new", c, "arm fresh +57m59.9s", "arm sched +50m0s", "event scheduled proactive next +50m0s")
	c.freshDueLocked(t0p(time.Second)) // a re-check: not due
	want(t, "re-check", c, "arm fresh +57m59.9s")
	// The wall clock jumped past the schedule: the re-check starts the refresh.
	c.freshDueLocked(t0p(55 * time.Minute))
	want(t, "after a jump", c, "arm fresh +57m59.9s", "stop sched", "start #1", "event started proactive attempt 1")
	c.freshDueLocked(t0p(58 * time.Minute))
	want(t, "due", c)
	if _, ok := c.Cached(); ok {
		t.Fatal("a token inside the on-demand buffer is still served from the lock-free path")
	}
}

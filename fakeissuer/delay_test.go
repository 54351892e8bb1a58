package fakeissuer

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/credential"
	"tokentop/internal/clock"
	"tokentop/issuer"
)

// noSleepClock is a paused loop that counts the timers set on it: an
// issuer that reports its delay must set none.
type noSleepClock struct {
	*clock.Loop
	timers atomic.Int32
}

func (c *noSleepClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	c.timers.Add(1)
	return c.Loop.AfterFunc(d, f)
}

func TestIssuerReportsInjectedLatencyAndHangsInADelayInsteadOfWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := &noSleepClock{Loop: clock.NewPaced(time.Now(), 1)}
		clk.Pause()
		iss, err := New(Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		var _ issuer.DelayReporter = iss
		teams, err := iss.IssueUpstream(context.Background(), "teams-app", 0)
		if err != nil {
			t.Fatal(err)
		}
		for name, call := range map[string]func(context.Context) (credential.AccessToken, issuer.Delay, error){
			"IssueSimulated": func(ctx context.Context) (credential.AccessToken, issuer.Delay, error) {
				return iss.IssueSimulated(ctx, issuer.Request{Identity: "alice"})
			},
			"IssueUpstreamSimulated": func(ctx context.Context) (credential.AccessToken, issuer.Delay, error) {
				return iss.IssueUpstreamSimulated(ctx, "teams-app", 0)
			},
			"ExchangeTeamsTokenSimulated": func(ctx context.Context) (credential.AccessToken, issuer.Delay, error) {
				return iss.ExchangeTeamsTokenSimulated(ctx, teams.Token)
			},
		} {
			for _, f := range []issuer.Fault{
				{Kind: issuer.FaultLatency, Latency: 20 * time.Second, Count: 1},
				{Kind: issuer.FaultLatency, Latency: 10 * time.Second, Count: 1},
			} {
				if err := iss.InjectFault(f); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			tok, d, err := call(context.Background())
			if err != nil || d.Latency != 30*time.Second || d.Hang {
				t.Errorf("%s with latency: err %v, delay %+v, want 30s", name, err, d)
			} else if _, err := iss.Verify(tok.Token); err != nil {
				t.Errorf("%s with latency: the token: %v", name, err)
			}

			if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultHang, Count: 1}); err != nil {
				t.Fatal(err)
			}
			// context.Background never ends: waiting for it would leave the
			// bubble deadlocked and fail the test.
			_, d, err = call(context.Background())
			if !d.Hang || !errors.Is(err, ErrFaultInjected) || !strings.Contains(err.Error(), "hung") {
				t.Errorf("%s with a hang: err %v, delay %+v, want Hang and an error saying it hung", name, err, d)
			}
			if since := time.Since(start); since != 0 {
				t.Errorf("%s took %v of (bubble) time, want none", name, since)
			}
		}
		if n := clk.timers.Load(); n != 0 {
			t.Errorf("%d timers were set on the issuer's clock, want none", n)
		}
		if n := len(iss.Faults()); n != 0 {
			t.Errorf("%d faults left, want every one used up", n)
		}
	})
}

func TestIssuerWithoutADelayStillWaitsOutLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := &noSleepClock{Loop: clock.NewPaced(time.Now(), 1)}
		defer clk.Loop.Go()()
		iss, err := New(Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		if err := iss.InjectFault(issuer.Fault{Kind: issuer.FaultLatency, Latency: 3 * time.Second, Count: 1}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := iss.Issue(context.Background(), issuer.Request{Identity: "alice"}); err != nil {
			t.Fatal(err)
		}
		if since := time.Since(start); since < 3*time.Second || since > 3*time.Second+time.Millisecond || clk.timers.Load() != 1 {
			t.Errorf("took %v with %d timers, want 3s on one timer", since, clk.timers.Load())
		}
	})
}

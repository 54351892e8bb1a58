package session

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
)

// A time limit holds in the loop's virtual time at any speed: an issuer call
// slower than IssueTimeout fails and a faster one succeeds, at 1x as at
// 3600x, however little real time either takes.
func TestIssueTimeoutHoldsInVirtualTimeAtAnySpeed(t *testing.T) {
	for _, speed := range []float64{1, 3600} {
		for _, tc := range []struct {
			latency time.Duration
			wantOK  bool
		}{
			{latency: 20 * time.Second, wantOK: true},
			{latency: time.Minute, wantOK: false}, // over the 30 s limit
		} {
			synctest.Test(t, func(t *testing.T) {
				loop := clock.NewPaced(time.Now(), speed)
				opts, fake := fakeOptions(t, loop)
				opts.IssueTimeout = 30 * time.Second
				m := runManager(t, opts)
				if err := fake.InjectFault(issuer.Fault{Kind: issuer.FaultLatency, Latency: tc.latency - DefaultIssuerLatency}); err != nil {
					t.Fatal(err)
				}
				s, err := m.Add(scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Policy: "js"})
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(float64(time.Hour) / speed)) // an hour of virtual time
				synctest.Wait()
				st := s.Stats()
				if ok := st.Successes == 1 && st.Failures == 0; ok != tc.wantOK {
					t.Errorf("speed %v, latency %v: %d successes, %d failures; want success %v", speed, tc.latency, st.Successes, st.Failures, tc.wantOK)
				}
				if !tc.wantOK {
					var failed bool
					events, _ := s.Events()
					for _, e := range events {
						failed = failed || (e.Kind == KindRefreshFailed && errors.Is(e.Err, context.DeadlineExceeded))
					}
					if !failed {
						t.Errorf("speed %v: no refresh failed with the issue timeout", speed)
					}
				}
			})
		}
	}
}

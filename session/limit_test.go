package session

import (
	"testing"
	"testing/synctest"
	"time"

	"tokentop/internal/clock"
	"tokentop/issuer"
	"tokentop/scenario"
)

// A slow issuer call at 3600x takes a few real milliseconds; a 30 s virtual
// limit would fail it, so the manager raises limits to 100 ms of real time.
func TestFastTimeWarpRaisesTimeLimitsToAFloorOfRealTime(t *testing.T) {
	for _, tc := range []struct {
		speed  float64
		wantOK bool
	}{
		{speed: 1, wantOK: false},   // 60 s latency, 30 s limit: fails
		{speed: 3600, wantOK: true}, // limit raised to 6 virtual minutes
	} {
		synctest.Test(t, func(t *testing.T) {
			c := clock.NewScaledOn(clock.Real{}, tc.speed)
			opts, fake := fakeOptions(t, c)
			opts.IssueTimeout = 30 * time.Second
			m, err := NewManager(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if err := fake.InjectFault(issuer.Fault{Kind: issuer.FaultLatency, Latency: time.Minute}); err != nil {
				t.Fatal(err)
			}
			if got, want := m.limit(30*time.Second), max(30*time.Second, time.Duration(tc.speed*float64(minRealLimit))); got != want {
				t.Errorf("speed %v: limit(30s) = %v, want %v", tc.speed, got, want)
			}
			s, err := m.Add(scenario.Spec{Name: "a", Identity: "alice", Proactive: true, Policy: "js"})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Hour / time.Duration(tc.speed)) // an hour of virtual time
			synctest.Wait()
			st := s.Stats()
			if ok := st.Successes == 1 && st.Failures == 0; ok != tc.wantOK {
				t.Errorf("speed %v: %d successes, %d failures; want success %v", tc.speed, st.Successes, st.Failures, tc.wantOK)
			}
		})
	}
}

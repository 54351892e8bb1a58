package session

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"tokentop/scenario"
)

func TestManagerRefusesOversizedBurstsCallersAndScenarios(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		mustAdd(t, m, scenario.Spec{Name: "a", Identity: "alice"})
		if err := m.Burst("a", 1_000_000_000); err == nil || !strings.Contains(err.Error(), "limit of 100000 concurrent calls") {
			t.Errorf("burst of a billion: %v", err)
		}
		if _, err := m.Add(scenario.Spec{Name: "b", Identity: "bob", Callers: scenario.MaxCallers + 1}); err == nil || !strings.Contains(err.Error(), "callers: 10001 is over the limit of 10000") {
			t.Errorf("too many callers: %v", err)
		}
		big := scenario.Scenario{Name: "big", Sessions: make([]scenario.Spec, scenario.MaxScenarioSessions+1)}
		if err := m.Start(big); err == nil || !strings.Contains(err.Error(), "limit of 100000 sessions") {
			t.Errorf("too many sessions: %v", err)
		}
		crowd := scenario.Scenario{Name: "crowd", Sessions: copies(scenario.Spec{Name: "c", Identity: "c", Callers: scenario.MaxCallers}, 11)}
		if err := m.Start(crowd); err == nil || !strings.Contains(err.Error(), "100000 simulated callers") {
			t.Errorf("too many callers in total: %v", err)
		}
		if n := len(m.Sessions()); n != 1 {
			t.Errorf("%d sessions after the refusals, want 1", n)
		}
	})
}

func TestManagerAddRefusesAnIdentityWithATerminalEscape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		if _, err := m.Add(scenario.Spec{Name: "a", Identity: "alice\x1b[2J"}); err == nil || !strings.Contains(err.Error(), "identity: ") {
			t.Errorf("error %v", err)
		}
	})
}

// sc.RampUp * i overflowed: with "ramp_up": "168h" over 20,000 sessions,
// 4,754 sessions were added in the first minute instead of 2.
func TestWeekLongRampUpOfTwentyThousandSessionsAddsTwoInTheFirstMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := newTestManager(t)
		sc := scenario.Scenario{Name: "week", RampUp: 168 * time.Hour, Sessions: copies(scenario.Spec{Name: "s", Identity: "u"}, 20_000)}
		if err := m.Start(sc); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute) // session 2 starts at 60.48s
		if n := len(m.Sessions()); n != 2 {
			t.Errorf("%d sessions after the first minute, want 2", n)
		}
	})
}

// copies makes n sessions from s, named and signed in as a "count" in a
// scenario file makes them: name-1 ... name-n for identity-1 ... identity-n.
func copies(s scenario.Spec, n int) []scenario.Spec {
	out := make([]scenario.Spec, n)
	for i := range out {
		out[i] = s
		out[i].Name = fmt.Sprintf("%s-%d", s.Name, i+1)
		out[i].Identity = fmt.Sprintf("%s-%d", s.Identity, i+1)
	}
	return out
}

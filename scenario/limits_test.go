package scenario

import (
	"fmt"
	"strings"
	"testing"
)

// Each of these used to allocate until the process ran out of memory.
func TestOversizedCountsAreErrorsNamingTheFieldAndTheLimit(t *testing.T) {
	cases := []struct {
		name string
		json string
		want []string
	}{
		{"session count", `{"sessions": [{"name": "a", "identity": "x", "count": 1000000000}]}`,
			[]string{"sessions[0].count", "100000 sessions"}},
		{"sessions over the limit in total", fmt.Sprintf(`{"sessions": [{"name": "a", "identity": "x", "count": %d},
  {"name": "b", "identity": "y", "count": 2}]}`, MaxScenarioSessions-1), []string{"bad.json:2:", "sessions[1].count", "100000 sessions"}},
		{"callers", `{"sessions": [{"name": "a", "identity": "x", "callers": 1000000000}]}`,
			[]string{"sessions[0].callers", "10000 simulated callers per session"}},
		{"callers over the limit in total", `{"sessions": [{"name": "a", "identity": "x", "callers": 10000, "count": 11}]}`,
			[]string{"sessions[0].callers", "100000 simulated callers"}},
		{"burst count", `{"sessions": [{"name": "a", "identity": "x"}],
 "timeline": [{"at": "1m", "action": "burst", "session": "a", "count": 1000000000}]}`,
			[]string{"bad.json:2:", "timeline[0].count", "100000 concurrent calls per burst"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseScenario("bad.json", []byte(c.json))
			if err == nil {
				t.Fatal("parsed without error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestScenarioAtTheLimitsParses(t *testing.T) {
	sc, err := ParseScenario("ok.json", fmt.Appendf(nil, `{"sessions": [{"name": "a", "identity": "x", "callers": %d, "count": %d}],
 "timeline": [{"at": "1m", "action": "burst", "session": "a-1", "count": %d}]}`, MaxCallers, MaxScenarioCallers/MaxCallers, MaxBurst))
	if err != nil || len(sc.Sessions) != MaxScenarioCallers/MaxCallers {
		t.Fatalf("%d sessions, error %v", len(sc.Sessions), err)
	}
}

package scenario

import (
	"strings"
	"testing"
)

// Issue 26, item 2: a scenario may say how the in-process fake signs; a
// name the fake does not take is refused, naming the field and the choices.
func TestScenarioAlgorithmIsReadAndChecked(t *testing.T) {
	sc, err := ParseScenario("a.json", []byte(`{"name": "a", "algorithm": "RS256", "sessions": [{"name": "s"}]}`))
	if err != nil || sc.Algorithm != "RS256" {
		t.Fatalf("algorithm RS256: got %q, %v; want RS256", sc.Algorithm, err)
	}
	if sc, err = ParseScenario("a.json", []byte(`{"name": "a", "sessions": [{"name": "s"}]}`)); err != nil || sc.Algorithm != "" {
		t.Fatalf("no algorithm: got %q, %v; want empty (the run's default)", sc.Algorithm, err)
	}
	_, err = ParseScenario("a.json", []byte(`{"name": "a", "algorithm": "none", "sessions": [{"name": "s"}]}`))
	if err == nil || !strings.Contains(err.Error(), "algorithm") || !strings.Contains(err.Error(), "ES256, RS256, HS256") {
		t.Fatalf("algorithm none: got %v; want an error naming the field and the choices", err)
	}
}

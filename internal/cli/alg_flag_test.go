package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"tokentop/fakeissuer"
)

// Issue 26, item 2: a sim run's embedded fake signs HS256 (ES256 was most
// of a large run's CPU, and nothing but the fake's own key checks a sim
// run's signatures); the screen and scaled time keep ES256; the scenario's
// algorithm, then --alg, say otherwise.
func TestSimRunsSignHS256UnlessTheScenarioOrAlgSaysOtherwise(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rs.json")
	if err := os.WriteFile(file, []byte(`{"name": "rs", "algorithm": "RS256", "sessions": [{"name": "a"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--headless"}, fakeissuer.AlgHS256},
		{[]string{"--headless", "--clock", "sim", "--scenario", "outage"}, fakeissuer.AlgHS256},
		{[]string{"--headless", "--clock", "scaled"}, fakeissuer.AlgES256},
		{[]string{"--headless", "--speed", "60"}, fakeissuer.AlgES256},
		{[]string{}, fakeissuer.AlgES256}, // the screen
		{[]string{"--headless", "--scenario", file}, fakeissuer.AlgRS256},
		{[]string{"--headless", "--scenario", file, "--alg", "ES256"}, fakeissuer.AlgES256},
		{[]string{"--headless", "--alg", "ES256"}, fakeissuer.AlgES256},
		{[]string{"--alg", "HS256"}, fakeissuer.AlgHS256},
	} {
		cfg, _, err := parseArgs(c.args, envOf(), io.Discard)
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		a, err := newApp(context.Background(), cfg, envOf(), io.Discard)
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if got := a.manager.Issuer.(*fakeissuer.Issuer).Algorithm(); got != c.want {
			t.Errorf("%q: the fake signs %s, want %s", c.args, got, c.want)
		}
		a.close()
	}
}

func TestAlgFlagRefusesWhatCannotWork(t *testing.T) {
	wantUsageError(t, []string{"--headless", "--alg", "none"}, `--alg "none"`, "ES256, RS256, HS256")
	wantUsageError(t, []string{"--headless", "--alg", "HS256", "--issuer", "http://127.0.0.1:1/getToken", "--speed", "1"}, "--alg HS256", "only the embedded fake issuer")
}

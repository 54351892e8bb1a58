package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"tokentop/scenario"
)

// Issue 23, bug 5: `fakeissuer --listen 18082` said "missing port ... (is
// another server using the port?)" and exited 1; a --listen that is not
// HOST:PORT is a usage error that says what to give.
func TestFakeIssuerListenNotHostPortIsAUsageError(t *testing.T) {
	for _, tc := range []struct{ listen, want string }{
		{"18082", "give --listen 127.0.0.1:18082"},
		{"localhost", "want HOST:PORT"},
		{"127.0.0.1:99999", `the port "99999" is not a number from 0 to 65535`},
	} {
		code, stdout, stderr := runBinary(t, "fakeissuer", "--listen", tc.listen)
		if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "another server") {
			t.Errorf("--listen %s: exit %d, stdout %q, stderr %q; want exit 2 and one line saying %q", tc.listen, code, stdout, stderr, tc.want)
		}
	}
}

// Issue 23, bug 6: `tokentop decode < /dev/null` asked to paste a token:
// /dev/null is a character device, but not a terminal.
func TestDecodeFromDevNullDoesNotPrompt(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"decode"}, envOf(), Stdio{In: null, Out: &stdout, Err: &stderr})
	if code != exitUsage || strings.Contains(stderr.String(), "paste") || !strings.Contains(stderr.String(), "stdin holds no token") {
		t.Errorf("decode < /dev/null: exit %d, stderr %q; want exit 2 saying stdin holds no token, without a prompt", code, stderr.String())
	}
}

// Issue 23, bug 11: --help left restart out of the --scenario list and
// issuer_url= out of acs:; fakeissuer's help and banner left out /metrics.
func TestHelpsListEveryScenarioACSKeyAndMetrics(t *testing.T) {
	_, stdout, _ := runBinary(t, "--help")
	scenarioLine, _, _ := strings.Cut(stdout[strings.Index(stdout, "--scenario string"):], "\n")
	for _, name := range scenario.BuiltinNames() {
		if !strings.Contains(scenarioLine, name) {
			t.Errorf("--scenario's help %q leaves out %s", scenarioLine, name)
		}
	}
	_, acs, _ := strings.Cut(stdout, "  acs:")
	acs, _, _ = strings.Cut(acs, "\n\n")
	if !strings.Contains(acs, "issuer_url=URL") {
		t.Errorf("acs: help %q leaves out issuer_url=", acs)
	}
	if _, help, _ := runBinary(t, "fakeissuer", "--help"); !strings.Contains(help, "GET  /metrics") {
		t.Errorf("fakeissuer --help leaves out /metrics:\n%s", help)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := startFakeIssuerCommand(t, func(stdout io.Writer) int {
		return runFakeIssuerContext(ctx, []string{"--listen", "127.0.0.1:0"}, envOf(), stdout, io.Discard)
	})
	banner := strings.Join(r.banner, "\n")
	cancel()
	r.wait(t)
	if !strings.Contains(banner, r.base+"/metrics") {
		t.Errorf("fakeissuer's banner leaves out %s/metrics:\n%s", r.base, banner)
	}
}

// Issue 23, confusion: pointed at a real issuer with no --scenario, the
// screen ran the demo and announced a fault step that only the fake takes.
// The default leaves fault steps out for a real issuer; a scenario asked
// for by name is played as written.
func TestRealIssuerDefaultScenarioHasNoFaultSteps(t *testing.T) {
	faults := func(args ...string) (n int, description string) {
		t.Helper()
		cfg, _, err := parseArgs(args, envOf(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		a, err := newApp(context.Background(), cfg, envOf(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		defer a.close()
		for _, st := range a.scenario.Timeline {
			if st.Action == scenario.ActionFault || st.Action == scenario.ActionClearFaults {
				n++
			}
		}
		return n, a.scenario.Description
	}
	real := []string{"--issuer", "http://127.0.0.1:1/getToken", "--speed", "1"}
	if n, desc := faults(real...); n != 0 || !strings.Contains(desc, "fault steps are left out") {
		t.Errorf("a real issuer's default scenario has %d fault steps, description %q; want none, and it said", n, desc)
	}
	if n, _ := faults(append(real, "--scenario", "demo")...); n == 0 {
		t.Errorf("--scenario demo with a real issuer lost its fault steps; want it as written")
	}
	if n, _ := faults(); n == 0 {
		t.Errorf("the fake issuer's default scenario has no fault step; want the demo's blip")
	}
}

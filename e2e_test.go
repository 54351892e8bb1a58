package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the tokentop binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tokentop-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tokentop")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building tokentop: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// summary is the headless runner's last line, as far as these tests read it.
type summary struct {
	Type           string  `json:"type"`
	Scenario       string  `json:"scenario"`
	VirtualSeconds float64 `json:"virtual_seconds"`
	EventsDropped  int     `json:"events_dropped"`
	Sessions       []struct {
		Name          string  `json:"name"`
		Policy        string  `json:"policy"`
		IssuerCalls   int     `json:"issuer_calls"`
		Successes     int     `json:"successes"`
		Failures      int     `json:"failures"`
		GetTokenCalls int     `json:"get_token_calls"`
		TokenGap      float64 `json:"token_gap_seconds"`
		EventsDropped int     `json:"events_dropped"`
	} `json:"sessions"`
	Totals struct {
		IssuerCalls int `json:"issuer_calls"`
		Successes   int `json:"successes"`
		Failures    int `json:"failures"`
	} `json:"totals"`
}

// runHeadless runs the binary, checks every line is JSON with a type, and
// returns the summary (the last line).
func runHeadless(t *testing.T, args ...string) summary {
	t.Helper()
	return runHeadlessEnv(t, nil, args...)
}

// runHeadlessEnv is runHeadless with env added to the process's
// environment, so that tests needing their own variables can run in
// parallel (t.Setenv forbids it).
func runHeadlessEnv(t *testing.T, env []string, args ...string) summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tokentop %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	for i, line := range lines[:len(lines)-1] {
		var ev struct {
			Type, Kind string
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Type != "event" || ev.Kind == "" {
			t.Fatalf("line %d is not an event line (%v): %s", i+1, err, line)
		}
	}
	var s summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil || s.Type != "summary" {
		t.Fatalf("last line is not a summary (%v): %s", err, lines[len(lines)-1])
	}
	return s
}

func TestHeadlessHerdCoalescesExceptJava(t *testing.T) {
	t.Parallel()
	s := runHeadless(t, "--headless", "--scenario", "herd", "--duration", "2h", "--json")
	if s.Scenario != "herd" || s.VirtualSeconds < 7200 || s.EventsDropped != 0 {
		t.Fatalf("summary: scenario %q, %v virtual seconds, %d events dropped; want herd, >= 7200, 0", s.Scenario, s.VirtualSeconds, s.EventsDropped)
	}
	calls, successes := map[string]int{}, map[string]int{}
	for _, ss := range s.Sessions {
		calls[ss.Policy], successes[ss.Policy] = ss.IssuerCalls, ss.Successes
		if ss.GetTokenCalls < 500*60 {
			t.Errorf("%s: %d GetToken calls; want at least 500 callers x 60 minutes", ss.Name, ss.GetTokenCalls)
		}
	}
	// Two virtual hours of 1-hour tokens fetched on demand: two or three
	// refreshes (start, about 60m, about 120m), each one issuer call however
	// many of the 500 callers wait. At 3600x one real millisecond is 3.6
	// virtual seconds, so on a loaded machine an issuer call can overrun its
	// 30 s timeout and be retried: the count of calls may exceed the
	// refreshes by a few, never approach the callers. The exact counts (and
	// java's one call per caller) are pinned on virtual time in package session.
	for _, p := range []string{"tokentop", "js", "dotnet", "python"} {
		if successes[p] < 2 || successes[p] > 3 || calls[p] > 10 {
			t.Errorf("policy %s: %d issuer calls, %d successful; want 2 or 3 refreshes of one call each (a few retries at most)", p, calls[p], successes[p])
		}
	}
	// How many of java's callers overlap one 200 ms issuer call headless
	// depends on how the machine schedules 500 goroutines (59 to 588 calls
	// seen); it never makes fewer calls than a coalescing policy.
	if calls["java"] < calls["tokentop"] {
		t.Errorf("policy java made %d issuer calls, fewer than tokentop's %d; java never coalesces", calls["java"], calls["tokentop"])
	}
}

func TestHeadlessAgainstFakeIssuerOverHTTP(t *testing.T) {
	t.Parallel()
	base := startFakeIssuer(t)
	s := runHeadless(t, "--headless", "--json", "--issuer", base+"/getToken", "--duration", "2s",
		"--session", "name=alice,proactive=true", "--session", "name=bob,callers=3,interval=500ms,resource=false")
	if len(s.Sessions) != 2 {
		t.Fatalf("got %d sessions; want the 2 given", len(s.Sessions))
	}
	for _, ss := range s.Sessions {
		if ss.Successes < 1 || ss.Failures != 0 {
			t.Errorf("session %s against %s: %d successes, %d failures; want a token and no failure", ss.Name, base, ss.Successes, ss.Failures)
		}
	}
	if bob := s.Sessions[1]; bob.GetTokenCalls < 3 || bob.IssuerCalls != 1 {
		t.Errorf("bob: %d GetToken calls and %d issuer calls; want its 3 callers served from one 24h token", bob.GetTokenCalls, bob.IssuerCalls)
	}
}

// startFakeIssuer runs `tokentop fakeissuer [args]` on a free loopback port
// and returns its base URL; it is stopped with SIGINT when the test ends,
// and must then exit 0.
func startFakeIssuer(t *testing.T, args ...string) string {
	t.Helper()
	return startFakeIssuerWithEnv(t, nil, args...)
}

// startFakeIssuerWithEnv is startFakeIssuer with env added to the
// process's environment.
func startFakeIssuerWithEnv(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"fakeissuer", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("fakeissuer printed nothing; stderr: %s", stderr.String())
	}
	first := lines.Text()
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(first)
	if base == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("fakeissuer's first line names no loopback URL: %q", first)
	}
	drained := make(chan struct{})
	go func() { // keep reading so the server never blocks on a full pipe
		for lines.Scan() {
		}
		close(drained)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-drained:
		case <-time.After(30 * time.Second): // a deadline for a hung server, not a synchronisation
			cmd.Process.Kill()
			<-drained
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("fakeissuer did not stop cleanly on SIGINT: %v; stderr: %s", err, stderr.String())
		}
	})
	return base
}

func TestBadCommandLinesExitTwoWithOneClearLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"--speed", "fast"}, "--speed"},
		{[]string{"--speed", "-3"}, "want a number from 0.01"},
		{[]string{"--speed", "NaN"}, "want a number from 0.01"},
		{[]string{"--speed", "1e-300"}, "want a number from 0.01"},
		{[]string{"--session", "name=a", "--session", "name=a"}, "names must be unique"},
		{[]string{"--scenario", "demo", "--session", "name=alice-chat"}, "names must be unique"},
		{[]string{"fakeissuer", "--lifetime", "-1h"}, "--lifetime"},
		{[]string{"fakeissuer", "--speed", "Inf"}, "--speed"},
		{[]string{"--issuer", "ftp://example.com"}, "unknown kind"},
		{[]string{"--issuer", "oauth2:client_id=app"}, "token_url"},
		{[]string{"--issuer", "http://127.0.0.1:1/getToken", "--speed", "60"}, "only --speed 1"},
		{[]string{"--scenario", "no-such-scenario"}, "neither a built-in"},
		{[]string{"--session", "name=a,policy=cobol"}, "policy"},
		{[]string{"--session", "name=a,colour=blue"}, "unknown key"},
		{[]string{"--json"}, "--json goes with --headless"},
		{[]string{"stray"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(binary, tt.args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			exitErr, ok := err.(*exec.ExitError)
			if !ok || exitErr.ExitCode() != 2 {
				t.Fatalf("exit: %v; want status 2 (stderr %q)", err, stderr.String())
			}
			msg := stderr.String()
			if !strings.Contains(msg, tt.want) || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "tokentop") {
				t.Errorf("stderr %q: want one line starting \"tokentop\" that mentions %q", msg, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q: want nothing", stdout.String())
			}
		})
	}
}

func TestNonTerminalStdoutSuggestsHeadless(t *testing.T) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binary)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exitErr, ok := err.(*exec.ExitError); !ok || exitErr.ExitCode() != 1 {
		t.Fatalf("exit: %v; want status 1", err)
	}
	if !strings.Contains(stderr.String(), "--headless") || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("stderr %q: want one line suggesting --headless", stderr.String())
	}
}

func TestFakeIssuerHelpGoesToStdout(t *testing.T) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binary, "fakeissuer", "--help")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tokentop fakeissuer --help: %v", err)
	}
	if !strings.Contains(stdout.String(), "--listen") || stderr.Len() != 0 {
		t.Errorf("stdout %q, stderr %q: want the usage on stdout only", stdout.String(), stderr.String())
	}
}

// A headless run in sim time (the default with the fake issuer) is a fact of
// the scenario and the seed: two runs print the same bytes, with
// GOMAXPROCS 1 or 2, and the summary says so.
func TestHeadlessRunsInSimTimeAreByteIdentical(t *testing.T) {
	t.Parallel()
	play := func(env ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(binary, "--headless", "--scenario", "outage", "--json", "--seed", "3")
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %s", err, stderr.String())
		}
		return stdout.String()
	}
	a, b, c := play("GOMAXPROCS=2"), play("GOMAXPROCS=2"), play("GOMAXPROCS=1")
	if a != b || a != c {
		t.Fatalf("three runs of the same scenario and seed differ (%d, %d, %d bytes)", len(a), len(b), len(c))
	}
	if !strings.Contains(a, `"clock":"sim","seed":3`) {
		t.Errorf("the summary does not say the clock and seed:\n%s", a[strings.LastIndex(strings.TrimSpace(a), "\n")+1:])
	}
}

// SIGINT ends a headless run promptly, in scaled and in sim time, and the
// run still ends with its summary, marked interrupted.
func TestHeadlessRunEndsWithItsSummaryOnSIGINT(t *testing.T) {
	file := filepath.Join(t.TempDir(), "big.json")
	big := `{"name": "big", "duration": "24h", "sessions": [
  {"name": "s", "identity": "user", "proactive": true, "lifetime": "1h", "callers": 1, "call_interval": "1m", "count": 20000}]}`
	if err := os.WriteFile(file, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--headless", "--json", "--scenario", "demo", "--duration", "24h", "--clock", "scaled", "--speed", "1"},
		{"--headless", "--json", "--scenario", file},
	} {
		// A run that ignores SIGINT is killed after a minute: the reads
		// below then end and the test fails instead of hanging.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, args...)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReaderSize(stdout, 1<<20)
		if _, err := r.ReadString('\n'); err != nil { // the run is under way
			t.Fatal(err)
		}
		signalled := time.Now()
		cmd.Process.Signal(syscall.SIGINT)
		var last string
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				last = line
			}
			if err != nil {
				break
			}
		}
		err = cmd.Wait()
		took := time.Since(signalled)
		var s struct {
			Type        string `json:"type"`
			Interrupted bool   `json:"interrupted"`
		}
		if json.Unmarshal([]byte(last), &s); s.Type != "summary" || !s.Interrupted || err != nil {
			t.Errorf("%q: exit %v, last line %.200q; want exit 0 and an interrupted summary", args, err, last)
		}
		// The run stops within a second; the bound leaves room for a loaded
		// machine writing the events already made.
		t.Logf("%q: ended %v after SIGINT", args[len(args)-1], took.Round(time.Millisecond))
		if took > 10*time.Second {
			t.Errorf("%q: took %v to end after SIGINT", args, took)
		}
	}
}

// The demo against an issuer that refuses every connection keeps running and
// ends with its summary; --fail-on-gap turns the sessions left without a
// token into exit status 1, for CI.
func TestDemoAgainstARefusedPortEndsWithASummaryAndFailOnGapFails(t *testing.T) {
	t.Parallel()
	args := []string{"--headless", "--json", "--issuer", "http://127.0.0.1:1/getToken", "--duration", "2s"}
	// Both runs play two real seconds: the --fail-on-gap one runs alongside.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, append(args, "--fail-on-gap")...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	s := runHeadless(t, args...)
	if len(s.Sessions) != 3 || s.Totals.Successes != 0 || s.Totals.Failures == 0 {
		t.Fatalf("summary: %d sessions, %d successes, %d failures; want the demo's 3 sessions, all failing", len(s.Sessions), s.Totals.Successes, s.Totals.Failures)
	}
	err := cmd.Wait()
	out := stdout.Bytes()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), "--fail-on-gap") {
		t.Fatalf("--fail-on-gap: %v, stderr %q; want exit 1 naming --fail-on-gap", err, stderr.String())
	}
	if !strings.Contains(string(out), `"type":"summary"`) {
		t.Error("--fail-on-gap: the summary was not written before failing")
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cacheScenario writes a scenario of two persisted sessions, one whose token
// lives a day and one whose token lives an hour, starting at start.
func cacheScenario(t *testing.T, name string, start time.Time) string {
	t.Helper()
	body := fmt.Sprintf(`{"name": %q, "start": %q, "duration": "10m", "sessions": [
  {"name": "day",  "identity": "user-day",  "persist": true, "issue_initial": true, "proactive": true, "lifetime": "24h"},
  {"name": "hour", "identity": "user-hour", "persist": true, "issue_initial": true, "proactive": true, "lifetime": "1h"}
]}`, name, start.Format(time.RFC3339))
	path := filepath.Join(t.TempDir(), name+".json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Issue 16: two processes in sequence on one cache file. The second resumes
// the session whose cached token is still valid without calling the issuer,
// and asks the issuer once for the one whose token expired meanwhile (the
// second run's sim time starts two hours after the first's).
func TestCacheFileSecondRunResumesValidTokens(t *testing.T) {
	t.Setenv(cacheKeyEnv, strings.Repeat("k", 40))
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	now := time.Now().UTC().Truncate(time.Second)
	calls := func(args ...string) map[string]int {
		s := runHeadless(t, append([]string{"--headless", "--json", "--cache-file", cache}, args...)...)
		got := map[string]int{}
		for _, ss := range s.Sessions {
			got[ss.Name] = ss.IssuerCalls
		}
		return got
	}
	first := calls("--scenario", cacheScenario(t, "first", now))
	if first["day"] != 1 || first["hour"] != 1 {
		t.Fatalf("first run: issuer calls %v, want 1 each (the initial tokens)", first)
	}
	second := calls("--scenario", cacheScenario(t, "second", now.Add(2*time.Hour)))
	if second["day"] != 0 {
		t.Errorf("second run: session day made %d issuer calls, want 0 (its cached token is valid)", second["day"])
	}
	if second["hour"] != 1 {
		t.Errorf("second run: session hour made %d issuer calls, want 1 (its cached token expired)", second["hour"])
	}
}

// Issue 16: without an OS secret store and without --cache-file, a
// persisted session is refused, and the message says what to do.
func TestPersistWithoutSecretStoreIsRefused(t *testing.T) {
	cmd := exec.Command(binary, "--headless", "--session", "name=a,persist=true")
	cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent", cacheKeyEnv+"=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != exitUsage {
		t.Fatalf("exit %v, want %d; stderr: %s", err, exitUsage, stderr.String())
	}
	for _, want := range []string{"--cache-file", cacheKeyEnv} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("message does not name %s: %s", want, stderr.String())
		}
	}
}

// Issue 16: `tokentop cache clear --cache-file` empties the file, so a run
// after it asks the issuer again.
func TestCacheClearEmptiesTheFile(t *testing.T) {
	t.Setenv(cacheKeyEnv, strings.Repeat("k", 40))
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	sc := cacheScenario(t, "c", time.Now().UTC().Truncate(time.Second))
	runHeadless(t, "--headless", "--json", "--cache-file", cache, "--scenario", sc)
	out, err := exec.Command(binary, "cache", "clear", "--cache-file", cache).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "cleared the token cache") {
		t.Fatalf("cache clear: %v: %s", err, out)
	}
	s := runHeadless(t, "--headless", "--json", "--cache-file", cache, "--scenario", sc)
	for _, ss := range s.Sessions {
		if ss.IssuerCalls != 1 {
			t.Errorf("after clear: session %s made %d issuer calls, want 1", ss.Name, ss.IssuerCalls)
		}
	}
}

// The restart scenario with a cache file: the file judges expiry on the
// run's sim clock (2026-01-01, not the wall clock), so the persisted
// sessions come back from it with no gap, as with the in-memory cache.
func TestRestartScenarioWithACacheFileKeepsThePersistedSessionsGapless(t *testing.T) {
	t.Setenv(cacheKeyEnv, strings.Repeat("k", 40))
	s := runHeadless(t, "--headless", "--json", "--scenario", "restart", "--cache-file", filepath.Join(t.TempDir(), "tokens.cache"))
	for _, ss := range s.Sessions {
		persisted := strings.HasPrefix(ss.Name, "kept")
		if persisted && ss.TokenGap != 0 || !persisted && ss.TokenGap == 0 {
			t.Errorf("session %s: token gap %gs; want none for a persisted session and some for the others", ss.Name, ss.TokenGap)
		}
	}
}

// Issue 16: a flipped byte in the cache file makes the next start warn,
// naming the file, and fall back to the issuer; the run goes on.
func TestAFlippedByteInTheCacheFileWarnsAndFallsBackToTheIssuer(t *testing.T) {
	t.Setenv(cacheKeyEnv, strings.Repeat("k", 40))
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	scenario := cacheScenario(t, "flip", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	args := []string{"--headless", "--json", "--cache-file", cache, "--scenario", scenario}
	runHeadless(t, args...)
	data, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(cache, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("second run: %v; stderr %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "warning") || !strings.Contains(stderr.String(), cache) {
		t.Errorf("stderr %q: want a warning naming %s", stderr.String(), cache)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var sum summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	for _, ss := range sum.Sessions {
		if ss.Name == "day" && ss.IssuerCalls != 1 {
			t.Errorf("after the damaged cache, session day made %d issuer calls, want 1 (the cache is ignored)", ss.IssuerCalls)
		}
	}
}

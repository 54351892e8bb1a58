package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/fakeissuer"
)

// testCacheKey is a TOKENTOP_CACHE_KEY that passes the entropy check.
const testCacheKey = "tokentop-e2e-Vq7Rm2Kx9Lp4Wz8Hd3Nc6Tb1"

// keyEnv is the environment that gives a run testCacheKey, plus more. Tests
// pass it to each process rather than t.Setenv, so that they run in
// parallel: each derives its file key with Argon2id, which is slow by design.
func keyEnv(more ...string) []string {
	return append([]string{cacheKeyEnv + "=" + testCacheKey}, more...)
}

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

// Issue 16, and issue 20 defect 2: two processes in sequence on one cache
// file, each with its in-process fake. Each process's fake signs with a key
// of its own and would refuse the other's tokens, so the second run asks
// the issuer again for both sessions rather than resuming a token its fake
// refuses. (Resuming across processes is TestCacheResumesOnlyTheSameConfiguration's,
// against a fake both runs share; expiry is the tokencache tests'.)
func TestCacheFileSecondRunDoesNotResumeAnotherProcesssFake(t *testing.T) {
	t.Parallel()
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	now := time.Now().UTC().Truncate(time.Second)
	calls := func(args ...string) map[string]int {
		s := runHeadlessEnv(t, keyEnv(), append([]string{"--headless", "--json", "--cache-file", cache}, args...)...)
		got := map[string]int{}
		for _, ss := range s.Sessions {
			got[ss.Name] = ss.IssuerCalls
			if ss.Successes == 0 || ss.TokenGap != 0 {
				t.Errorf("session %s: %d successes, token gap %gs; want a working token throughout", ss.Name, ss.Successes, ss.TokenGap)
			}
		}
		return got
	}
	first := calls("--scenario", cacheScenario(t, "first", now))
	if first["day"] != 1 || first["hour"] != 1 {
		t.Fatalf("first run: issuer calls %v, want 1 each (the initial tokens)", first)
	}
	second := calls("--scenario", cacheScenario(t, "second", now.Add(2*time.Hour)))
	if second["day"] != 1 || second["hour"] != 1 {
		t.Errorf("second run: issuer calls %v, want 1 each: the first run's fake signed the cached tokens", second)
	}
}

// persistedRun runs tokentop for a second against issuerSpec with the
// persisted sessions given (--session values), on cache, and returns the
// issuer calls and successes of each session.
func persistedRun(t *testing.T, env []string, cache, issuerSpec string, sessions ...string) (calls, successes map[string]int) {
	t.Helper()
	args := []string{"--headless", "--json", "--duration", "1s", "--cache-file", cache, "--issuer", issuerSpec}
	for _, s := range sessions {
		args = append(args, "--session", s)
	}
	s := runHeadlessEnv(t, env, args...)
	calls, successes = map[string]int{}, map[string]int{}
	for _, ss := range s.Sessions {
		calls[ss.Name], successes[ss.Name] = ss.IssuerCalls, ss.Successes
	}
	return calls, successes
}

// Issue 20, defect 1 (repro 1): one cache file, the fake's OAuth2 and app
// server endpoints. The same configuration resumes its token in another
// process without an issuer call; another client id and secret, another
// scope, or an HTTP body template asking for another user makes its own
// issuer call and gets its own answer (another client's 401, its own
// token), never the first configuration's token.
func TestCacheResumesOnlyTheSameConfiguration(t *testing.T) {
	t.Parallel()
	env := keyEnv("CS=the-fakes-client-secret-0123456789", "BADCS=a-wrong-client-secret")
	base := startFakeIssuerWithEnv(t, []string{envFakeClientSecret + "=the-fakes-client-secret-0123456789"})
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	oauth2 := func(clientID, secretEnv, scope string) string {
		return "oauth2:token_url=" + base + "/oauth2/token,client_id=" + clientID + ",secret_env=" + secretEnv + ",scope=" + scope
	}
	const a = "name=a,identity=alice,persist=true"

	if calls, ok := persistedRun(t, env, cache, oauth2("tokentop", "CS", "api-A"), a); calls["a"] != 1 || ok["a"] != 1 {
		t.Fatalf("first run: %d issuer calls, %d successes; want 1 and 1", calls["a"], ok["a"])
	}
	if calls, ok := persistedRun(t, env, cache, oauth2("tokentop", "CS", "api-A"), a); calls["a"] != 0 || ok["a"] != 0 {
		t.Errorf("same configuration, next process: %d issuer calls, %d successes; want 0 and 0 (resumed)", calls["a"], ok["a"])
	}
	if calls, ok := persistedRun(t, env, cache, oauth2("someone-else", "BADCS", "api-B"), a); calls["a"] == 0 || ok["a"] != 0 {
		t.Errorf("another client: %d issuer calls, %d successes; want its own calls, refused (401 invalid_client)", calls["a"], ok["a"])
	}
	if calls, ok := persistedRun(t, env, cache, oauth2("tokentop", "CS", "api-B"), a); calls["a"] != 1 || ok["a"] != 1 {
		t.Errorf("another scope: %d issuer calls, %d successes; want its own token", calls["a"], ok["a"])
	}

	if calls, ok := persistedRun(t, env, cache, base+"/getToken", a); calls["a"] != 1 || ok["a"] != 1 {
		t.Fatalf("app server, alice: %d issuer calls, %d successes; want 1 and 1", calls["a"], ok["a"])
	}
	mallory := base + `/getToken#body={"username":"mallory"}`
	if calls, ok := persistedRun(t, env, cache, mallory, a); calls["a"] != 1 || ok["a"] != 1 {
		t.Errorf("a body template asking for mallory: %d issuer calls, %d successes; want its own token, not alice's", calls["a"], ok["a"])
	}
}

// Issue 20, defect 2: acs: deletes the users it made at exit, so their
// tokens are dead; the next run on the same cache asks the issuer again
// and gets tokens that work, rather than resuming the deleted users'.
func TestCacheForgetsTheTokensOfDeletedACSUsers(t *testing.T) {
	t.Parallel()
	key := base64.StdEncoding.EncodeToString([]byte("tokentop e2e acs access key: 48 bytes long......"))
	base := startFakeIssuerWithEnv(t, []string{"TOKENTOP_ACS_ACCESS_KEY=" + key})
	env := keyEnv("TOKENTOP_TEST_ACS=" + fakeissuer.ACSConnectionString(base, key))
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	for run := range 2 {
		calls, ok := persistedRun(t, env, cache, "acs:connection_string_env=TOKENTOP_TEST_ACS", "name=a,identity=alice,persist=true")
		if calls["a"] != 1 || ok["a"] != 1 {
			t.Errorf("run %d: %d issuer calls, %d successes; want a fresh token each run (the user of the last run's was deleted)", run+1, calls["a"], ok["a"])
		}
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
// after it asks the issuer again. The runs share a served fake, so without
// the clear the second run would resume (an in-process fake's tokens never
// outlive their process, which would make this test pass without a clear).
func TestCacheClearEmptiesTheFile(t *testing.T) {
	t.Parallel()
	env := keyEnv()
	spec := startFakeIssuer(t) + "/getToken"
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	const a = "name=a,identity=alice,persist=true"
	if calls, _ := persistedRun(t, env, cache, spec, a); calls["a"] != 1 {
		t.Fatalf("first run: %d issuer calls, want 1", calls["a"])
	}
	if calls, _ := persistedRun(t, env, cache, spec, a); calls["a"] != 0 {
		t.Fatalf("second run before the clear: %d issuer calls, want 0 (resumed)", calls["a"])
	}
	out, err := exec.Command(binary, "cache", "clear", "--cache-file", cache).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "cleared the token cache") {
		t.Fatalf("cache clear: %v: %s", err, out)
	}
	if calls, _ := persistedRun(t, env, cache, spec, a); calls["a"] != 1 {
		t.Errorf("after clear: %d issuer calls, want 1", calls["a"])
	}
}

// The restart scenario with a cache file: the file judges expiry on the
// run's sim clock (2026-01-01, not the wall clock), so the persisted
// sessions come back from it with no gap, as with the in-memory cache.
func TestRestartScenarioWithACacheFileKeepsThePersistedSessionsGapless(t *testing.T) {
	t.Parallel()
	s := runHeadlessEnv(t, keyEnv(), "--headless", "--json", "--scenario", "restart", "--cache-file", filepath.Join(t.TempDir(), "tokens.cache"))
	for _, ss := range s.Sessions {
		persisted := strings.HasPrefix(ss.Name, "kept")
		if persisted && ss.TokenGap != 0 || !persisted && ss.TokenGap == 0 {
			t.Errorf("session %s: token gap %gs; want none for a persisted session and some for the others", ss.Name, ss.TokenGap)
		}
	}
}

// Issue 20, defect 6 (was issue 16's warn-and-rewrite): a cache file that
// fails authentication (a flipped byte, or another key) ends a run given it
// with --cache-file: exit 2, one line naming the file and the key's variable,
// and the file left as it was, so the right key still finds its tokens.
func TestACacheFileFailingAuthenticationIsRefusedAndKept(t *testing.T) {
	t.Parallel()
	scenario := cacheScenario(t, "auth", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name   string
		damage func(cache string, data []byte) ([]byte, string)
	}{
		{"a flipped byte", func(_ string, data []byte) ([]byte, string) {
			data[len(data)/2] ^= 0x01
			return data, testCacheKey
		}},
		{"another key", func(_ string, data []byte) ([]byte, string) {
			return data, "Zq8v3Lw1Nx5Rb7Tc9Hd2Kf4Mg6Pj0QsAeYu" // a typo of the key, in effect
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cache := filepath.Join(t.TempDir(), "tokens.cache")
			args := []string{"--headless", "--json", "--cache-file", cache, "--scenario", scenario}
			runHeadlessEnv(t, keyEnv(), args...)
			data, err := os.ReadFile(cache)
			if err != nil {
				t.Fatal(err)
			}
			data, key := tc.damage(cache, data)
			if err := os.WriteFile(cache, data, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(binary, args...)
			cmd.Env = append(os.Environ(), cacheKeyEnv+"="+key)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != exitUsage || strings.Count(stderr.String(), "\n") != 1 ||
				!strings.Contains(stderr.String(), cache) || !strings.Contains(stderr.String(), cacheKeyEnv) {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line naming %s and %s", code, stderr.String(), cache, cacheKeyEnv)
			}
			if after, _ := os.ReadFile(cache); !bytes.Equal(after, data) {
				t.Error("the run rewrote the cache file it could not read")
			}
		})
	}
}

// Issue 20, defect 6: after a run with a wrong key, the right key still finds
// every saved token: the session resumes without an issuer call. The runs
// share a served fake, whose tokens every process may resume (an in-process
// fake's never outlive its process: defect 2).
func TestAWrongCacheKeyLosesNoToken(t *testing.T) {
	t.Parallel()
	env := keyEnv()
	spec := startFakeIssuer(t) + "/getToken"
	cache := filepath.Join(t.TempDir(), "tokens.cache")
	const a = "name=a,identity=alice,persist=true"
	if calls, ok := persistedRun(t, env, cache, spec, a); calls["a"] != 1 || ok["a"] != 1 {
		t.Fatalf("first run: %d issuer calls, %d successes; want 1 and 1", calls["a"], ok["a"])
	}
	cmd := exec.Command(binary, "--headless", "--json", "--duration", "1s", "--cache-file", cache, "--issuer", spec, "--session", a)
	cmd.Env = append(os.Environ(), cacheKeyEnv+"=Zq8v3Lw1Nx5Rb7Tc9Hd2Kf4Mg6Pj0QsAeYu")
	if out, err := cmd.CombinedOutput(); cmd.ProcessState.ExitCode() != exitUsage {
		t.Fatalf("run with the wrong key: %v, %s; want exit 2", err, out)
	}
	if calls, _ := persistedRun(t, env, cache, spec, a); calls["a"] != 0 {
		t.Errorf("after a wrong key, session a made %d issuer calls, want 0 (its token was kept)", calls["a"])
	}
}

// Issue 20, defect 6: `tokentop cache clear --cache-file` removes a cache file
// without its key, and refuses a file that is not a cache file, keeping it.
func TestCacheClearNeedsNoKeyAndRemovesOnlyACacheFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cache := filepath.Join(dir, "tokens.cache")
	runHeadlessEnv(t, keyEnv(), "--headless", "--json", "--cache-file", cache, "--scenario", cacheScenario(t, "clr", time.Now().UTC()))
	clear := func(path string) (int, string) {
		cmd := exec.Command(binary, "cache", "clear", "--cache-file", path)
		cmd.Env = append(os.Environ(), cacheKeyEnv+"=") // no key
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := clear(cache); code != exitOK || !strings.Contains(out, "cleared the token cache") {
		t.Errorf("cache clear without the key: exit %d, %s", code, out)
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("the cache file is still there: %v", err)
	}
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := clear(other); code == exitOK || !strings.Contains(out, other) || !strings.Contains(out, "not a tokentop token cache") {
		t.Errorf("cache clear of another file: exit %d, %s; want a refusal naming it", code, out)
	}
	if b, err := os.ReadFile(other); err != nil || string(b) != "mine" {
		t.Errorf("the other file: %q, %v; want it kept", b, err)
	}
}

// Issue 20, defect 11: a key easy to guess is refused before anything runs,
// saying what makes a good one and never echoing it.
func TestAWeakCacheKeyIsRefused(t *testing.T) {
	weak := strings.Repeat("k", 40)
	cmd := exec.Command(binary, "--headless", "--cache-file", filepath.Join(t.TempDir(), "c"), "--session", "name=a,persist=true")
	cmd.Env = append(os.Environ(), cacheKeyEnv+"="+weak)
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != exitUsage || !strings.Contains(string(out), "openssl rand -base64 32") || strings.Contains(string(out), weak) {
		t.Errorf("exit %d, %s; want exit 2 saying how to make a key, without the key", cmd.ProcessState.ExitCode(), out)
	}
}

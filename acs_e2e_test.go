package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/fakeissuer"
)

// acsEvent is a headless event line, as far as the acs: test reads it.
type acsEvent struct {
	Type      string    `json:"type"`
	Session   string    `json:"session"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	ExpiresOn time.Time `json:"expires_on"`
	Error     string    `json:"error"`
}

// TestHeadlessACSIssuerCreatesUsersRevokesOnSignOutAndDeletesThemAtExit runs
// tokentop with --issuer acs: against `tokentop fakeissuer` over HTTP: alice
// (two sessions) and bob each get one Communication user, their tokens
// live the lifetime asked (90m, and the service's 24h for none), carol's
// 30m is refused without a call, signing alice out revokes her user's
// tokens, and at exit tokentop deletes the users it created.
func TestHeadlessACSIssuerCreatesUsersRevokesOnSignOutAndDeletesThemAtExit(t *testing.T) {
	t.Parallel()
	key := base64.StdEncoding.EncodeToString([]byte("tokentop e2e acs access key: 48 bytes long......"))
	// The fake's key, so that the test knows it; each process gets its
	// variables of its own, so that other tests run alongside.
	base := startFakeIssuerWithEnv(t, []string{"TOKENTOP_ACS_ACCESS_KEY=" + key})

	scenario := filepath.Join(t.TempDir(), "acs.json")
	if err := os.WriteFile(scenario, []byte(`{"name": "acs", "duration": "3s", "sessions": [
  {"name": "alice-chat", "identity": "alice", "scopes": ["chat"], "proactive": true, "lifetime": "90m", "callers": 2, "call_interval": "500ms"},
  {"name": "alice-voip", "identity": "alice", "scopes": ["voip"], "proactive": true, "lifetime": "90m"},
  {"name": "bob",        "identity": "bob",   "scopes": ["chat"], "proactive": true, "lifetime": "0s"},
  {"name": "carol",      "identity": "carol", "proactive": true, "lifetime": "30m"}],
 "timeline": [{"at": "1500ms", "action": "sign-out", "identity": "alice"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, "--headless", "--json", "--scenario", scenario,
		"--issuer", "acs:connection_string_env=TOKENTOP_TEST_ACS")
	cmd.Env = append(os.Environ(), "TOKENTOP_TEST_ACS="+fakeissuer.ACSConnectionString(base, key))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tokentop: %v\nstderr: %s\nstdout: %s", err, stderr.String(), stdout.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), key) {
		t.Errorf("tokentop printed the access key")
	}

	issued := map[string][]time.Duration{} // lifetimes of the tokens each session got
	revoked, refusedCarol := map[string]bool{}, ""
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var ev acsEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		switch {
		case ev.Kind == "refresh-succeeded":
			issued[ev.Session] = append(issued[ev.Session], ev.ExpiresOn.Sub(ev.At))
		case ev.Kind == "revoked":
			revoked[ev.Session] = true
		case ev.Kind == "revoke-failed":
			t.Errorf("revoke failed: %s", line)
		case ev.Session == "carol" && ev.Error != "" && refusedCarol == "":
			refusedCarol = ev.Error
		}
	}
	for session, want := range map[string]time.Duration{"alice-chat": 90 * time.Minute, "alice-voip": 90 * time.Minute, "bob": 24 * time.Hour} {
		if len(issued[session]) == 0 {
			t.Errorf("session %s got no token; stdout:\n%s\nstderr: %s", session, stdout.String(), stderr.String())
		}
		for _, life := range issued[session] {
			// exp is whole seconds, and the event follows the call.
			if life < want-10*time.Second || life > want+time.Second {
				t.Errorf("session %s got a token living %v from its event; want %v", session, life, want)
			}
		}
	}
	if !revoked["alice-chat"] || !revoked["alice-voip"] || revoked["bob"] {
		t.Errorf("revoked events for %v; want alice's two sessions only", revoked)
	}
	if len(issued["carol"]) != 0 || !strings.Contains(refusedCarol, "from 60 to 1440") {
		t.Errorf("carol (30m): %d tokens, error %q; want none and the error naming ACS's range", len(issued["carol"]), refusedCarol)
	}

	t.Logf("carol: %s; issued %v", refusedCarol, issued)
	stats := fakeStats(t, base)
	var users []string
	for _, id := range stats.Identities {
		if !strings.HasPrefix(id.ID, "8:acs:") {
			continue
		}
		users = append(users, id.ID)
		if !id.Deleted {
			t.Errorf("user %s was not deleted at exit", id.ID)
		}
	}
	// alice's user was revoked once (at sign-out), bob's never.
	var revocations []int64
	for _, id := range stats.Identities {
		if strings.HasPrefix(id.ID, "8:acs:") {
			revocations = append(revocations, id.Revoked)
		}
	}
	if len(users) != 2 || revocations[0]+revocations[1] != 1 {
		t.Errorf("the fake holds users %v with %v revocations; want 2 (alice, bob; none for carol) and one revocation", users, revocations)
	}
}

// fakeStats reads the fake issuer's admin stats.
func fakeStats(t *testing.T, base string) fakeissuer.Stats {
	t.Helper()
	resp, err := http.Get(base + fakeissuer.PathAdminStats)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s fakeissuer.Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v", fakeissuer.PathAdminStats, resp.StatusCode, err)
	}
	return s
}

// A wrong acs: spec or a missing connection string is a usage error (exit
// 2), one line, that never shows the key.
func TestACSBadIssuerSpecExitsTwoWithoutShowingTheKey(t *testing.T) {
	for args, want := range map[string]string{
		"acs:endpoint=https://acs.example.com/;accesskey=c2VjcmV0LWtleS0xMjM0NTY3OA==": "a connection string never goes in the spec",
		"acs:connection_string_env=TOKENTOP_TEST_UNSET":                                "TOKENTOP_TEST_UNSET (connection_string_env) is not set",
		"acs:connection_string_env=TOKENTOP_TEST_ACS_BAD":                              "http sends the tokens in clear",
	} {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(binary, "--headless", "--issuer", args)
		cmd.Env = append(os.Environ(), "TOKENTOP_TEST_ACS_BAD=endpoint=http://acs.example.com/;accesskey=c2VjcmV0LWtleS0xMjM0NTY3OA==")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if exitErr, ok := err.(*exec.ExitError); !ok || exitErr.ExitCode() != 2 {
			t.Errorf("--issuer %s: exit %v; want status 2 (stderr %q)", args, err, stderr.String())
		}
		msg := stderr.String()
		if !strings.Contains(msg, want) || strings.Count(msg, "\n") != 1 || strings.Contains(msg, "c2VjcmV0") {
			t.Errorf("--issuer %s: stderr %q; want one line saying %q, without the key", args, msg, want)
		}
	}
}

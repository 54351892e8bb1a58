package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tokentop/fakeissuer"
	"tokentop/issuer"
)

// readmeCommand is one tokentop command line of the README: a line of a
// ```sh block, or of a block indented four spaces, that calls tokentop.
type readmeCommand struct {
	line int
	text string // without a trailing "  # comment"
}

// readmeCommands extracts the README's tokentop command lines, joining
// lines continued with a backslash.
func readmeCommands(t *testing.T) []readmeCommand {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	calls := regexp.MustCompile(`(^|[\s|;&]|\./)tokentop\s`)
	comment := regexp.MustCompile(`\s{2,}#.*$`)
	var out []readmeCommand
	fence, shell := false, false
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "```") {
			fence, shell = !fence, strings.TrimPrefix(l, "```") == "sh"
			continue
		}
		if !(fence && shell) && !(!fence && strings.HasPrefix(l, "    ")) {
			continue
		}
		text, start := strings.TrimSpace(l), i+1
		for strings.HasSuffix(text, `\`) && i+1 < len(lines) {
			i++
			text = strings.TrimSuffix(text, `\`) + " " + strings.TrimSpace(lines[i])
		}
		if calls.MatchString(text) && !strings.HasPrefix(text, "go ") {
			out = append(out, readmeCommand{start, comment.ReplaceAllString(text, "")})
		}
	}
	return out
}

// readmeSkips are the README's examples this test does not run, each with
// why: a pattern a command line matches, and the reason.
var readmeSkips = []struct{ pattern, why string }{
	{`--issuer '?(http|https|oauth2|exec|acs)`, "calls a real or served issuer (a network service); issuers are tested against served fakes in e2e_test.go and acs_e2e_test.go"},
	{`tokentop fakeissuer`, "serves until stopped; tested by startFakeIssuer's callers in e2e_test.go"},
	{`pbpaste`, "reads the macOS clipboard"},
	{`--jwks https://`, "fetches a key set over the network"},
	{`--issuer-url http`, "needs a served issuer for OIDC discovery"},
	{`^tokentop --scenario [^ ]+ --report`, "the live screen needs a terminal; tmux_test.go drives it"},
}

// Issue 23: every README example that can run offline runs, as written,
// against the built binary (in a fresh directory where ./tokentop and
// tokentop on PATH are that binary, with no keyring reachable); the others
// are listed in readmeSkips with why. An example neither run nor skipped
// fails the test, so a new one is classified when it is written.
func TestREADMEExamplesRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(binary, filepath.Join(dir, "tokentop")); err != nil {
		t.Fatal(err)
	}
	writeREADMEToken(t, filepath.Join(dir, "token.txt"))
	env := []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"TOKENTOP_CACHE_KEY=" + goldenCacheKey, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(dir, "no-such-bus")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TOKENTOP_") && !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	ran := 0
	for _, c := range readmeCommands(t) {
		skip := ""
		for _, s := range readmeSkips {
			if regexp.MustCompile(s.pattern).MatchString(c.text) {
				skip = s.why
				break
			}
		}
		if skip != "" {
			t.Logf("README.md:%d skipped (%s): %s", c.line, skip, c.text)
			continue
		}
		if !strings.Contains(c.text, "--headless") && !strings.Contains(c.text, "tokentop decode") {
			t.Errorf("README.md:%d: %s: neither headless nor decode, so it would need a terminal; run it here or list why in readmeSkips", c.line, c.text)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, "sh", "-c", c.text)
		cmd.Dir, cmd.Env = dir, env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		if err != nil || stdout.Len() == 0 {
			t.Errorf("README.md:%d: %s: %v, %d bytes out\nstderr: %s", c.line, c.text, err, stdout.Len(), stderr.String())
			continue
		}
		t.Logf("README.md:%d ran: %s", c.line, c.text)
		ran++
	}
	if ran < 4 {
		t.Errorf("ran %d README examples; want the headless, report and decode ones (at least 4)", ran)
	}
}

// writeREADMEToken writes a token of the fake issuer, for the README's
// decode examples to read.
func writeREADMEToken(t *testing.T, path string) {
	t.Helper()
	fake, err := fakeissuer.New(fakeissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := fake.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(tok.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Issue 23, bug 3: the README's example scenario, played as written, makes
// issuer calls for each of its sessions: its "load" sessions name no
// callers or lifetime, and under a file's old defaults (no callers, 24h
// tokens) each made its first issuer call and nothing more in a 2h run.
func TestREADMEExampleScenarioMakesIssuerCalls(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(data), "\n## Scenarios\n")
	_, block, ok := strings.Cut(rest, "```json\n")
	block, _, _ = strings.Cut(block, "```")
	if !ok || !strings.Contains(block, `{"name": "load", "identity": "user", "proactive": true, "count": 100}`) {
		t.Fatalf("the README's example scenario (the first json block under Scenarios) is not the one this test knows:\n%s", block)
	}
	file := filepath.Join(t.TempDir(), "example.json")
	if err := os.WriteFile(file, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := runHeadless(t, "--headless", "--json", "--scenario", file)
	load, calls := 0, 0
	for _, s := range sum.Sessions {
		if strings.HasPrefix(s.Name, "load-") {
			load++
			if s.IssuerCalls < 2 || s.GetTokenCalls == 0 {
				t.Errorf("session %s: %d issuer calls, %d GetToken calls; want a refresh after the first token, and callers", s.Name, s.IssuerCalls, s.GetTokenCalls)
			}
			calls += s.IssuerCalls
		}
	}
	if load != 100 {
		t.Errorf("%d load sessions; want 100", load)
	}
	out, _ := json.Marshal(sum.Totals)
	t.Logf("the example's 100 load sessions made %d issuer calls; totals %s", calls, out)
}

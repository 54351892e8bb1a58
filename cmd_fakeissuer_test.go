package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/oauth2/clientcredentials"
)

// fakeIssuerRun is a `tokentop fakeissuer` running in-process.
type fakeIssuerRun struct {
	banner []string    // the lines up to "press Ctrl-C to stop"
	base   string      // http://127.0.0.1:PORT
	exit   chan int    // the exit code, once it returns
	rest   chan string // everything printed after the banner, once it returns
}

// startFakeIssuerCommand runs the subcommand with args until run returns;
// it waits for the startup banner.
func startFakeIssuerCommand(t *testing.T, run func(stdout io.Writer) int) *fakeIssuerRun {
	t.Helper()
	pr, pw := io.Pipe()
	r := &fakeIssuerRun{exit: make(chan int, 1), rest: make(chan string, 1)}
	go func() {
		code := run(pw)
		pw.Close()
		r.exit <- code
	}()
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		r.banner = append(r.banner, lines.Text())
		if strings.Contains(lines.Text(), "press Ctrl-C") {
			break
		}
	}
	if len(r.banner) == 0 {
		t.Fatal("fakeissuer printed nothing")
	}
	r.base = regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(r.banner[0])
	go func() {
		var rest strings.Builder
		for lines.Scan() {
			rest.WriteString(lines.Text() + "\n")
		}
		r.rest <- rest.String()
	}()
	return r
}

func envOf(kv ...string) func(string) string {
	return func(name string) string {
		for n := 0; n+1 < len(kv); n += 2 {
			if kv[n] == name {
				return kv[n+1]
			}
		}
		return ""
	}
}

func TestFakeIssuerCommandPrintsURLsAndSecretSourceButNotTheSecret(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := envOf(envFakeClientID, "my-app", envFakeClientSecret, "env-secret-123")
	var stderr bytes.Buffer
	r := startFakeIssuerCommand(t, func(stdout io.Writer) int {
		return runFakeIssuerContext(ctx, []string{"--listen", "127.0.0.1:0"}, env, stdout, &stderr)
	})
	banner := strings.Join(r.banner, "\n")
	if r.base == "" {
		t.Fatalf("first line names no loopback URL: %q", r.banner[0])
	}
	for _, want := range []string{r.base + "/getToken", r.base + "/jwks", r.base + "/oauth2/token", r.base + "/api/me",
		r.base + "/admin/faults", r.base + "/.well-known/openid-configuration", "$" + envFakeClientSecret, `"my-app"`} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if strings.Contains(banner, "env-secret-123") {
		t.Errorf("banner prints the secret without --show-secrets:\n%s", banner)
	}
	cfg := clientcredentials.Config{ClientID: "my-app", ClientSecret: "env-secret-123", TokenURL: r.base + "/oauth2/token"}
	if _, err := cfg.Token(ctx); err != nil {
		t.Errorf("client credentials with the env secret: %v", err)
	}
	cancel()
	if code := <-r.exit; code != 0 {
		t.Errorf("exit %d after the context ended, want 0; stderr %s", code, stderr.String())
	}
	if rest := <-r.rest; !strings.Contains(rest, "stopped") {
		t.Errorf("no stop line: %q", rest)
	}
}

func TestFakeIssuerCommandShowsAGeneratedSecretOnlyWhenAsked(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := startFakeIssuerCommand(t, func(stdout io.Writer) int {
		return runFakeIssuerContext(ctx, []string{"--listen", "127.0.0.1:0", "--show-secrets"}, envOf(), stdout, io.Discard)
	})
	line := ""
	for _, l := range r.banner {
		if strings.Contains(l, "client secret") {
			line = l
		}
	}
	secret := regexp.MustCompile(`\(generated at start\): ([0-9a-f]{48})$`).FindStringSubmatch(line)
	if secret == nil {
		t.Fatalf("secret line %q does not show a generated secret", line)
	}
	cfg := clientcredentials.Config{ClientID: "tokentop", ClientSecret: secret[1], TokenURL: r.base + "/oauth2/token"}
	if _, err := cfg.Token(ctx); err != nil {
		t.Errorf("client credentials with the shown secret: %v", err)
	}
	cancel()
	<-r.exit
}

func TestFakeIssuerCommandReadsTheSecretFromAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := startFakeIssuerCommand(t, func(stdout io.Writer) int {
		return runFakeIssuerContext(ctx, []string{"--listen", "127.0.0.1:0", "--client-secret-file", file}, envOf(envFakeClientSecret, "ignored"), stdout, io.Discard)
	})
	if banner := strings.Join(r.banner, "\n"); !strings.Contains(banner, "(file "+file+")") || strings.Contains(banner, "file-secret") {
		t.Errorf("banner:\n%s", banner)
	}
	cfg := clientcredentials.Config{ClientID: "tokentop", ClientSecret: "file-secret", TokenURL: r.base + "/oauth2/token"}
	if _, err := cfg.Token(ctx); err != nil {
		t.Errorf("client credentials with the file secret: %v", err)
	}
	cancel()
	<-r.exit
}

func TestFakeIssuerCommandStopsGracefullyOnSIGINT(t *testing.T) {
	r := startFakeIssuerCommand(t, func(stdout io.Writer) int {
		return runFakeIssuer([]string{"--listen", "127.0.0.1:0"}, stdout, io.Discard)
	})
	// The banner is printed after signal.NotifyContext is in place, so the
	// signal reaches the command, not the test process.
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := <-r.exit; code != 0 {
		t.Errorf("exit %d after SIGINT, want 0", code)
	}
	if rest := <-r.rest; !strings.Contains(rest, "stopped") {
		t.Errorf("no stop line after SIGINT: %q", rest)
	}
}

func TestFakeIssuerCommandRefusesBadCommandLines(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--speed", "0"}, 2, "--speed"},
		{[]string{"--nope"}, 2, "nope"},
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--alg", "XS999", "--listen", "127.0.0.1:0"}, 1, "XS999"},
		{[]string{"--listen", "256.0.0.1:99999"}, 1, "listen on 256.0.0.1:99999"},
		{[]string{"--client-secret-file", "/nonexistent/secret"}, 1, "client secret"},
	} {
		var stderr bytes.Buffer
		code := runFakeIssuerContext(context.Background(), tc.args, envOf(), io.Discard, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d stderr %q, want %d mentioning %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

func TestFakeIssuerCommandHelpShowsLoopbackDefault(t *testing.T) {
	var stdout bytes.Buffer
	if code := runFakeIssuerContext(context.Background(), []string{"--help"}, envOf(), &stdout, io.Discard); code != 0 {
		t.Errorf("--help exit %d", code)
	}
	if !strings.Contains(stdout.String(), `"127.0.0.1:8080"`) || !strings.Contains(stdout.String(), envFakeClientID) {
		t.Errorf("help:\n%s", stdout.String())
	}
}

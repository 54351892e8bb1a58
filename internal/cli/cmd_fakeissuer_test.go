package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"tokentop/fakeissuer"
	"tokentop/internal/npmtest"
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
	// A run that hangs before its banner ends the reads after 30 s.
	hung := time.AfterFunc(runDeadline, func() { pr.CloseWithError(errors.New("no banner within 30 s")) })
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		r.banner = append(r.banner, lines.Text())
		if strings.Contains(lines.Text(), "press Ctrl-C") {
			break
		}
	}
	if !hung.Stop() {
		t.Fatalf("fakeissuer printed no banner within %v: %q", runDeadline, r.banner)
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

// runDeadline bounds every wait on an in-process fakeissuer run: a hung
// run fails its test instead of the whole test binary's timeout.
const runDeadline = 30 * time.Second

// wait returns the run's exit code, failing the test if it has not
// returned within runDeadline.
func (r *fakeIssuerRun) wait(t *testing.T) int {
	t.Helper()
	return within(t, r.exit, "fakeissuer to return")
}

// output returns what the run printed after its banner, failing the test
// if its output has not ended within runDeadline.
func (r *fakeIssuerRun) output(t *testing.T) string {
	t.Helper()
	return within(t, r.rest, "fakeissuer's output to end")
}

// within receives from ch, or fails the test naming what it waited for
// after runDeadline.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(runDeadline):
		t.Fatalf("waited %v for %s", runDeadline, what)
		var zero T
		return zero
	}
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
	if code := r.wait(t); code != 0 {
		t.Errorf("exit %d after the context ended, want 0; stderr %s", code, stderr.String())
	}
	if rest := r.output(t); !strings.Contains(rest, "stopped") {
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
	r.wait(t)
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
	r.wait(t)
}

func TestFakeIssuerCommandStopsGracefullyOnSIGINT(t *testing.T) {
	r := startFakeIssuerCommand(t, func(stdout io.Writer) int {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runFakeIssuerContext(ctx, []string{"--listen", "127.0.0.1:0"}, os.Getenv, stdout, io.Discard)
	})
	// The banner is printed after signal.NotifyContext is in place, so the
	// signal reaches the command, not the test process.
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t); code != 0 {
		t.Errorf("exit %d after SIGINT, want 0", code)
	}
	if rest := r.output(t); !strings.Contains(rest, "stopped") {
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
		{[]string{"--listen", "256.0.0.1:99999"}, 2, "--listen 256.0.0.1:99999"}, // issue 23, bug 5: a usage error
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

// adminGet sends GET /admin/stats to base with a bearer token (none if
// empty) and returns the status.
func adminGet(t *testing.T, base, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+fakeissuer.PathAdminStats, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestFakeIssuerCommandStopsAtOnceWithASlowClient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bytes.Buffer
	r := startFakeIssuerCommand(t, func(stdout io.Writer) int {
		return runFakeIssuerContext(ctx, []string{"--listen", "127.0.0.1:0"}, envOf(), stdout, &stderr)
	})
	// A client that starts an upload and never finishes it. With
	// Expect: 100-continue the server answers only once the handler reads
	// the body, so the request is in flight when the command is stopped.
	conn, err := net.Dial("tcp", strings.TrimPrefix(r.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n", fakeissuer.PathGetToken)
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("slow upload: read %q, %v; want 100 Continue", line, err)
	}
	start := time.Now()
	cancel()
	code := r.wait(t)
	took := time.Since(start)
	// Before the fix: 5 s, then exit 1 with "serve: context deadline exceeded".
	if code != 0 || took > time.Second+fakeissuer.ShutdownGrace {
		t.Errorf("exit %d after %v with a slow client, want 0 within about %v; stderr %s", code, took, fakeissuer.ShutdownGrace, stderr.String())
	}
	t.Logf("stopped with a slow client in %v", took)
}

func TestFakeIssuerCommandRefusesEndlessSecretAndKeyFiles(t *testing.T) {
	for _, flag := range []string{"--client-secret-file", "--key-file", "--admin-token-file"} {
		var stderr bytes.Buffer
		code := runFakeIssuerContext(context.Background(), []string{"--listen", "127.0.0.1:0", flag, "/dev/zero"}, envOf(), io.Discard, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "/dev/zero is larger than") {
			t.Errorf("%s /dev/zero: exit %d stderr %q, want 1 naming the size limit", flag, code, stderr.String())
		}
	}
}

func TestFakeIssuerCommandNeedsAnAdminTokenBeyondLoopback(t *testing.T) {
	var stderr bytes.Buffer
	code := runFakeIssuerContext(context.Background(), []string{"--listen", "0.0.0.0:0"}, envOf(), io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "beyond loopback") || !strings.Contains(stderr.String(), "$"+envAdminToken) {
		t.Errorf("--listen 0.0.0.0:0 without a token: exit %d stderr %q, want 1 saying how to set one", code, stderr.String())
	}
	stderr.Reset()
	code = runFakeIssuerContext(context.Background(), []string{"--listen", "127.0.0.1:0"}, envOf(envAdminToken, "short"), io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "admin token") {
		t.Errorf("a short admin token: exit %d stderr %q, want 1", code, stderr.String())
	}
}

func TestFakeIssuerCommandPrintsTheAddressBoundAndWarnsBeyondLoopback(t *testing.T) {
	const token = "a-long-enough-admin-token"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bytes.Buffer
	r := startFakeIssuerCommand(t, func(stdout io.Writer) int {
		return runFakeIssuerContext(ctx, []string{"--listen", "0.0.0.0:0"}, envOf(envAdminToken, token), stdout, &stderr)
	})
	port := regexp.MustCompile(`listening on http://0\.0\.0\.0:(\d+) `).FindStringSubmatch(r.banner[0])
	if port == nil {
		t.Fatalf("first line %q does not name the address bound, http://0.0.0.0:PORT", r.banner[0])
	}
	if banner := strings.Join(r.banner, "\n"); strings.Contains(banner, token) || !strings.Contains(banner, "$"+envAdminToken) {
		t.Errorf("banner shows the token or not where it comes from:\n%s", banner)
	}
	local := "http://127.0.0.1:" + port[1]
	if got := adminGet(t, local, ""); got != http.StatusUnauthorized {
		t.Errorf("admin without the token = %d, want 401", got)
	}
	if got := adminGet(t, local, token); got != http.StatusOK {
		t.Errorf("admin with the token = %d, want 200", got)
	}
	cancel()
	if code := r.wait(t); code != 0 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(stderr.String(), "warning: listening on 0.0.0.0:"+port[1]+", which is reachable beyond loopback") {
		t.Errorf("no warning on stderr: %q", stderr.String())
	}
}

func TestFakeIssuerCommandTakesAPublicURLAndAnAdminTokenFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "admin-token")
	if err := os.WriteFile(file, []byte("file-admin-token-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := startFakeIssuerCommand(t, func(stdout io.Writer) int {
		return runFakeIssuerContext(ctx, []string{"--listen", "127.0.0.1:0", "--public-url", "http://issuer.test:1234", "--admin-token-file", file},
			envOf(envAdminToken, "ignored-env-admin-token"), stdout, io.Discard)
	})
	banner := strings.Join(r.banner, "\n")
	if !strings.Contains(banner, "http://issuer.test:1234/oauth2/token") || !strings.Contains(banner, "file "+file) || strings.Contains(banner, "file-admin-token-123") {
		t.Errorf("banner:\n%s", banner)
	}
	resp, err := http.Get(r.base + fakeissuer.PathOpenIDConfig)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if !strings.Contains(string(body), `"token_endpoint":"http://issuer.test:1234/oauth2/token"`) || !strings.Contains(string(body), `"issuer":"http://issuer.test:1234"`) {
		t.Errorf("discovery = %s, want it at the public URL", body)
	}
	if got := adminGet(t, r.base, "ignored-env-admin-token"); got != http.StatusUnauthorized {
		t.Errorf("admin with the env token = %d, want 401: the file wins", got)
	}
	if got := adminGet(t, r.base, "file-admin-token-123"); got != http.StatusOK {
		t.Errorf("admin with the file token = %d, want 200", got)
	}
	cancel()
	r.wait(t)
	var stderr bytes.Buffer
	if code := runFakeIssuerContext(context.Background(), []string{"--public-url", "issuer.test/path"}, envOf(), io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "--public-url") {
		t.Errorf("a bad --public-url: exit %d stderr %q, want 2", code, stderr.String())
	}
}

// appToken asks the fake at base for a token of minutes through the app
// server route, and returns it with the expiry the route reported.
func appToken(t *testing.T, base string, minutes int) (string, time.Time) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post(base+fakeissuer.PathGetToken, "application/json",
		strings.NewReader(fmt.Sprintf(`{"username":"alice","expiresInMinutes":%d}`, minutes)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Token     string    `json:"communicationIdentityToken"`
		ExpiresOn time.Time `json:"expiresOn"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d, %v", fakeissuer.PathGetToken, resp.StatusCode, err)
	}
	return got.Token, got.ExpiresOn
}

// warpClaims are the time claims of a token, read without verifying it.
type warpClaims struct {
	IssuedAt   int64 `json:"iat"`
	NotBefore  int64 `json:"nbf"`
	ExpiresAt  int64 `json:"exp"`
	TTLNominal int64 `json:"ttl_nominal"`
}

func readWarpClaims(t *testing.T, raw string) warpClaims {
	t.Helper()
	_, payload, _ := strings.Cut(raw, ".")
	payload, _, _ = strings.Cut(payload, ".")
	b, err := base64.RawURLEncoding.DecodeString(payload)
	var c warpClaims
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	return c
}

// --speed divides lifetimes and leaves times real. Before, it put the server
// on a time-warped clock: iat and nbf ran ahead of real time, and every verifier
// but the fake's own refused the tokens as not yet valid.
func TestFakeIssuerSpeedDividesLifetimesAndKeepsTimesReal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := startFakeIssuerCommand(t, func(stdout io.Writer) int {
		return runFakeIssuerContext(ctx, []string{"--listen", "127.0.0.1:0", "--speed", "3600"}, envOf(), stdout, io.Discard)
	})
	before := time.Now().Truncate(time.Second)
	tok, expiresOn := appToken(t, r.base, 60)
	after := time.Now()
	c := readWarpClaims(t, tok)
	if iat := time.Unix(c.IssuedAt, 0); iat.Before(before) || iat.After(after) || c.NotBefore != c.IssuedAt {
		t.Errorf("iat %v, nbf %v; want both the real time of the request, %v to %v", iat, time.Unix(c.NotBefore, 0), before, after)
	}
	if c.ExpiresAt-c.IssuedAt != 1 || c.TTLNominal != 3600 || expiresOn.Unix() != c.ExpiresAt {
		t.Errorf("exp - iat = %d s, ttl_nominal %d, expiresOn %v (exp %d); want 1 s (60 min / 3600), 3600, expiresOn = exp",
			c.ExpiresAt-c.IssuedAt, c.TTLNominal, expiresOn, c.ExpiresAt)
	}
	if banner := strings.Join(r.banner, "\n"); !strings.Contains(banner, "time warp     token lifetimes / 3600") {
		t.Errorf("the banner does not explain the warp:\n%s", banner)
	}
	cancel()
	r.wait(t)
}

// joseResult is what testdata/josejs/verify.mjs prints.
type joseResult struct {
	Accepted bool       `json:"accepted"`
	Code     string     `json:"code"`
	Message  string     `json:"message"`
	Payload  warpClaims `json:"payload"`
}

// joseVerify has the jose library verify raw against base's /jwks without
// tolerance: on the real clock when at is zero, else at that time (node's
// start-up then cannot age a short-lived token).
func joseVerify(t *testing.T, dir, base, raw string, at time.Time) joseResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "verify.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "JWKS_URL="+base+fakeissuer.PathJWKS, "ISSUER="+base, "TOKEN="+raw)
	if !at.IsZero() {
		cmd.Env = append(cmd.Env, "AT="+strconv.FormatInt(at.Unix(), 10))
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node verify.mjs: %v\nstderr:\n%s", err, stderr.Bytes())
	}
	var res joseResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("verify.mjs printed %q: %v", stdout.Bytes(), err)
	}
	return res
}

// The acceptance of a warped fake: a real JOSE verifier (jose's jwtVerify
// with createRemoteJWKSet) accepts its tokens, and they expire in real time
// for /api/me and jose alike.
func TestFakeIssuerWarpedTokensPassJoseAndExpireInRealTime(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipped in -short mode: installs an npm package")
	}
	x60 := startFakeIssuer(t, "--speed", "60")
	started := time.Now()
	x1200 := startFakeIssuer(t, "--speed", "1200")
	dir := npmtest.Install(t, filepath.Join("testdata", "josejs"), "verify the fake's tokens with the jose library",
		"package.json", "package-lock.json", "verify.mjs")

	t.Run("x60 five real seconds after start", func(t *testing.T) {
		t.Parallel()
		// Not a synchronisation: the acceptance's moment. The scaled clock
		// of before ran five virtual minutes ahead by then.
		time.Sleep(time.Until(started.Add(5 * time.Second)))
		tok, _ := appToken(t, x60, 60)
		res := joseVerify(t, dir, x60, tok, time.Time{})
		if !res.Accepted {
			t.Fatalf("jose refused the token: %s %s", res.Code, res.Message)
		}
		if p := res.Payload; p.ExpiresAt-p.IssuedAt != 60 || p.TTLNominal != 3600 {
			t.Errorf("exp - iat = %d s, ttl_nominal %d; want 60 s and 3600", p.ExpiresAt-p.IssuedAt, p.TTLNominal)
		}
	})

	t.Run("x1200 a 60-minute token lives three real seconds", func(t *testing.T) {
		t.Parallel()
		tok, expiresOn := appToken(t, x1200, 60)
		issued := time.Unix(readWarpClaims(t, tok).IssuedAt, 0)
		if res := joseVerify(t, dir, x1200, tok, issued); !res.Accepted || res.Payload.ExpiresAt-res.Payload.IssuedAt != 3 {
			t.Fatalf("jose at the token's iat: accepted %v (%s %s), exp - iat %d s; want accepted, 3 s",
				res.Accepted, res.Code, res.Message, res.Payload.ExpiresAt-res.Payload.IssuedAt)
		}
		if res := joseVerify(t, dir, x1200, tok, expiresOn); res.Accepted || res.Code != "ERR_JWT_EXPIRED" {
			t.Errorf("jose at the token's exp: accepted %v, code %q; want ERR_JWT_EXPIRED", res.Accepted, res.Code)
		}
		// Poll /api/me (an external process on the real clock: a deadline,
		// not a sleep, bounds the wait) until it refuses the token.
		client := &http.Client{Timeout: 5 * time.Second}
		deadline := expiresOn.Add(5 * time.Second)
		for {
			sent := time.Now()
			req, _ := http.NewRequest(http.MethodGet, x1200+fakeissuer.PathMe, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			answered := time.Now()
			if resp.StatusCode == http.StatusOK {
				if !sent.Before(expiresOn) {
					t.Fatalf("/api/me accepted the token at %v, after its expiry %v", sent, expiresOn)
				}
				if answered.After(deadline) {
					t.Fatalf("/api/me still accepts the token at %v, 5 s after its expiry", answered)
				}
				time.Sleep(50 * time.Millisecond) // the polling interval
				continue
			}
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "expired") || answered.Before(expiresOn) {
				t.Fatalf("/api/me at %v: %d %s; want 401 expired, not before %v", answered, resp.StatusCode, body, expiresOn)
			}
			t.Logf("/api/me refused the token %v after its expiry", answered.Sub(expiresOn).Round(time.Millisecond))
			break
		}
		if res := joseVerify(t, dir, x1200, tok, time.Time{}); res.Accepted || res.Code != "ERR_JWT_EXPIRED" {
			t.Errorf("jose after expiry: accepted %v, code %q; want ERR_JWT_EXPIRED", res.Accepted, res.Code)
		}
	})
}

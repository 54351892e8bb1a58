//go:build unix

package issuer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tokentop/issuer"
)

// writeScript writes an executable shell script to a temporary directory and
// returns its path.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "issue.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func newExec(t *testing.T, argv []string, opts issuer.Options) *issuer.Exec {
	t.Helper()
	if opts.Now == nil {
		opts.Now = nowFunc
	}
	e, err := issuer.NewExec(issuer.ExecConfig{Argv: argv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestExecReadsRawTokenAndPassesIdentityInEnv(t *testing.T) {
	exp := fixedNow.Add(time.Hour)
	jwt := testJWT(exp)
	script := writeScript(t, `
[ "$TOKENTOP_IDENTITY" = alice ] || { echo "identity is '$TOKENTOP_IDENTITY'" >&2; exit 9; }
[ "$TOKENTOP_SCOPES" = "chat voip" ] || { echo "scopes are '$TOKENTOP_SCOPES'" >&2; exit 9; }
[ "$TOKENTOP_LIFETIME_SECONDS" = 3600 ] || { echo "lifetime is '$TOKENTOP_LIFETIME_SECONDS'" >&2; exit 9; }
echo "$1"
`)
	tok, err := newExec(t, []string{script, jwt}, issuer.Options{}).Issue(context.Background(),
		issuer.Request{Identity: "alice", Scopes: []string{"chat", "voip"}, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Token != jwt || !tok.ExpiresOn.Equal(exp) {
		t.Errorf("got %q expiring %v, want the printed JWT expiring %v", tok.Token, tok.ExpiresOn, exp)
	}
}

// Issue 20, defect 12: a command inherits tokentop's environment but not
// tokentop's own secrets, the cache key and the fake issuer's admin token.
func TestExecCommandDoesNotInheritTokentopsSecrets(t *testing.T) {
	t.Setenv("TOKENTOP_CACHE_KEY", "cache-key-that-must-stay-home-0123456789")
	t.Setenv("TOKENTOP_ADMIN_TOKEN", "admin-token-that-must-stay-home")
	t.Setenv("TOKENTOP_TEST_INHERITED", "kept")
	envFile := filepath.Join(t.TempDir(), "env")
	jwt := testJWT(fixedNow.Add(time.Hour))
	script := writeScript(t, `env > "$2"; echo "$1"`)
	if _, err := newExec(t, []string{script, jwt, envFile}, issuer.Options{}).Issue(context.Background(), issuer.Request{Identity: "alice"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	env := string(b)
	for _, secret := range []string{"TOKENTOP_CACHE_KEY=", "TOKENTOP_ADMIN_TOKEN=", "must-stay-home"} {
		if strings.Contains(env, secret) {
			t.Errorf("the command's environment has %s:\n%s", secret, env)
		}
	}
	for _, kept := range []string{"\nTOKENTOP_TEST_INHERITED=kept\n", "\nTOKENTOP_IDENTITY=alice\n", "\nPATH="} {
		if !strings.Contains("\n"+env, kept) {
			t.Errorf("the command's environment lacks %q:\n%s", strings.TrimSpace(kept), env)
		}
	}
}

func TestExecReadsAzureCLIJSON(t *testing.T) {
	exp := fixedNow.Add(75 * time.Minute)
	// The shape of `az account get-access-token -o json`: expiresOn in local
	// time without a zone, expires_on in epoch seconds.
	out := fmt.Sprintf(`{
  "accessToken": "opaque-az-token",
  "expiresOn": %q,
  "expires_on": %d,
  "subscription": "00000000-0000-0000-0000-000000000000",
  "tenant": "11111111-1111-1111-1111-111111111111",
  "tokenType": "Bearer"
}`, exp.Local().Format("2006-01-02 15:04:05.000000"), exp.Unix())
	script := writeScript(t, "cat <<'EOF'\n"+out+"\nEOF\n")

	tok, err := newExec(t, []string{script}, issuer.Options{}).Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Token != "opaque-az-token" || !tok.ExpiresOn.Equal(exp) {
		t.Errorf("got %q expiring %v, want opaque-az-token expiring %v", tok.Token, tok.ExpiresOn, exp)
	}
}

func TestExecNonZeroExitReportsStatusAndStderr(t *testing.T) {
	script := writeScript(t, `echo "ERROR: Please run 'az login' to setup account." >&2; exit 3`)
	_, err := newExec(t, []string{script, "account"}, issuer.Options{}).Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err == nil {
		t.Fatal("Issue succeeded, want the exit status")
	}
	for _, want := range []string{"exec " + script + " account", "exit status 3", "stderr: ERROR: Please run 'az login' to setup account."} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestExecGarbageOutputIsAnErrorNamingTheCommand(t *testing.T) {
	script := writeScript(t, `echo "Usage: issue [options]"; echo "warning: deprecated" >&2`)
	_, err := newExec(t, []string{script}, issuer.Options{}).Issue(context.Background(), issuer.Request{Identity: "alice"})
	for _, want := range []string{"exec " + script, "neither JSON nor a single token", "stderr: warning: deprecated"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}
}

func TestExecEndlessOutputIsCutAtOneMiB(t *testing.T) {
	yes := writeScript(t, `while :; do echo yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy; done`)
	_, err := newExec(t, []string{yes}, issuer.Options{KillDelay: 50 * time.Millisecond}).
		Issue(context.Background(), issuer.Request{Identity: "alice"})
	if !errors.Is(err, issuer.ErrResponseTooLarge) || !strings.Contains(err.Error(), "stdout: response larger than 1 MiB") {
		t.Errorf("err = %v, want stdout larger than 1 MiB", err)
	}
}

// TestExecCommandIgnoringSIGTERMIsKilledWhenContextEnds runs a script that
// traps SIGTERM and waits forever; cancelling the call must still end it.
func TestExecCommandIgnoringSIGTERMIsKilledWhenContextEnds(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "ready")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// The script reports its pid once SIGTERM is ignored, then blocks in a
	// builtin (no child) reading a FIFO nobody writes.
	script := writeScript(t, `trap '' TERM
echo $$ > "$1"
read never < "$2"
`)
	never := filepath.Join(t.TempDir(), "never")
	if err := syscall.Mkfifo(never, 0o600); err != nil {
		t.Fatal(err)
	}
	const killDelay = 50 * time.Millisecond
	e := newExec(t, []string{script, fifo, never}, issuer.Options{KillDelay: killDelay, Timeout: time.Hour})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.Issue(ctx, issuer.Request{Identity: "alice"})
		done <- err
	}()
	pidText, err := os.ReadFile(fifo) // blocks until the script has trapped TERM
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(pidText)))
	if err != nil {
		t.Fatalf("script printed %q, not a pid", pidText)
	}
	t.Cleanup(func() {
		if t.Failed() { // do not leave the script behind a failed test
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	cancel()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Issue did not return within 10s of cancel: the command was not killed")
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "exec "+script) {
		t.Errorf("err = %v, want context.Canceled naming the command", err)
	}
	// Issue has waited for the process: its pid is gone, not merely signalled.
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists after Issue returned (kill 0: %v)", pid, err)
	}
}

func TestExecMissingBinaryIsAClearError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-issuer")
	_, err := issuer.Parse("exec:"+missing+" --json", issuer.Options{})
	if err == nil {
		t.Fatal("Parse succeeded for a missing binary")
	}
	for _, want := range []string{"exec " + missing + " --json", "not found or not executable", "PATH"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	_, err = issuer.Parse("exec:tokentop-no-such-command-anywhere", issuer.Options{})
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("err = %v, want a not-found error for a bare name", err)
	}
}

func TestExecBinaryRemovedAfterConstructionFailsAtIssue(t *testing.T) {
	script := writeScript(t, "echo token\n")
	e := newExec(t, []string{script}, issuer.Options{})
	if err := os.Remove(script); err != nil {
		t.Fatal(err)
	}
	_, err := e.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err == nil || !strings.Contains(err.Error(), "cannot run the command") || !strings.Contains(err.Error(), script) {
		t.Errorf("err = %v, want cannot run naming the command", err)
	}
}

// TestExecErrorsRedactSecretsOnStderr pins that a command's stderr shows
// neither the value of a credential-named key nor a secret configured with
// SecretEnv, whatever their shape.
func TestExecErrorsRedactSecretsOnStderr(t *testing.T) {
	script := writeScript(t, `echo "login with password=hunter2 failed; tried correct horse battery" >&2; exit 1`)
	e, err := issuer.NewExec(issuer.ExecConfig{Argv: []string{script}, SecretEnv: []string{"TOOL_PASSPHRASE"}}, issuer.Options{
		LookupEnv: func(k string) (string, bool) { return "correct horse battery", k == "TOOL_PASSPHRASE" }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err == nil {
		t.Fatal("Issue succeeded, want the exit status")
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "horse") {
		t.Errorf("error %q shows a secret", err)
	}
	if want := "stderr: login with password=[redacted] failed; tried [redacted]"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

// TestExecUsesTheTokenPrintedBeforeABackgroundChildHoldsStdout pins that a
// command that exits 0 after printing its token, leaving a child running
// that holds stdout open, yields that token rather than an I/O error.
func TestExecUsesTheTokenPrintedBeforeABackgroundChildHoldsStdout(t *testing.T) {
	script := writeScript(t, "echo opaque-token-1; sleep 40 & exit 0\n")
	tok, err := newExec(t, []string{script}, issuer.Options{KillDelay: 50 * time.Millisecond}).
		Issue(context.Background(), issuer.Request{Identity: "alice"})
	if err != nil || tok.Token != "opaque-token-1" {
		t.Errorf("got %q, %v; want the token printed before the command exited", tok.Token, err)
	}
}

// Command tokentop is a terminal UI for watching token credentials live:
// expiry countdowns, proactive and on-demand refreshes with their retries,
// aborts, disposal and sign-out with revocation, against a pluggable issuer.
//
// Run it with no arguments for the live screen over the embedded fake issuer,
// with --headless to play a scenario as JSON lines, as
// `tokentop fakeissuer` to serve the fake issuer over HTTP, or as
// `tokentop decode` to inspect a token.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"tokentop/issuer"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the run failed
	exitUsage   = 2 // the command line was wrong
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "fakeissuer" {
		os.Exit(runFakeIssuer(os.Args[2:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "decode" {
		os.Exit(runDecode(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is tokentop without its process: it parses args, runs the TUI or the
// headless runner until ctx ends or the run is over, and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, fs, err := parseArgs(args, getenv, stderr)
	switch {
	case errors.Is(err, pflag.ErrHelp) || (err == nil && cfg.help):
		printUsage(stdout, fs)
		return exitOK
	case err != nil:
		return fail(stderr, err)
	case cfg.version:
		fmt.Fprintf(stdout, "tokentop %s\n", version)
		return exitOK
	}
	app, err := newApp(cfg, getenv)
	if err != nil {
		return fail(stderr, err)
	}
	defer app.close()
	if cfg.headless {
		err = app.runHeadless(ctx, stdout)
	} else {
		err = app.runTUI(ctx)
	}
	if err != nil {
		return fail(stderr, err)
	}
	return exitOK
}

// fail prints err as one line on stderr and returns its exit status.
func fail(stderr io.Writer, err error) int {
	// One line: the first line of the message (longer explanations, such as
	// the list of issuer specs, are in --help).
	msg, _, _ := strings.Cut(err.Error(), "\n")
	msg = strings.TrimPrefix(msg, "tokentop: ")
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "tokentop: %s (see tokentop --help)\n", msg)
		return exitUsage
	}
	fmt.Fprintf(stderr, "tokentop: %s\n", msg)
	return exitFailure
}

func printUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, `tokentop: watch token credentials refresh, fail, abort and sign out, live.

Usage:
  tokentop [flags]                 the live screen (default: scenario demo on the fake issuer at 60x)
  tokentop --headless [flags]      play a scenario without the screen; --json for JSON lines
  tokentop fakeissuer [flags]      serve the fake issuer over HTTP (see tokentop fakeissuer --help)
  tokentop decode [flags] < FILE   decode a token offline: claims, expiry, signature (see tokentop decode --help)

Flags:
%s
Issuers (--issuer):
%s

Every flag can also be set with an environment variable: --speed is TOKENTOP_SPEED,
--show-secrets is TOKENTOP_SHOW_SECRETS; TOKENTOP_SESSION holds sessions separated by ';'.

Examples:
  tokentop
  tokentop --scenario outage --speed 120
  tokentop --headless --scenario herd --duration 2h --json
  tokentop --session name=alice,identity=alice,policy=js,proactive=true --session name=bob,identity=bob,static=true
  tokentop --issuer http://127.0.0.1:8080/getToken --speed 1
  TOKENTOP_SECRET=... tokentop --issuer oauth2:token_url=https://login.example/token,client_id=app,secret_env=TOKENTOP_SECRET
  tokentop --issuer 'exec:az account get-access-token -o json'

`, fs.FlagUsages(), strings.TrimPrefix(issuer.SpecHelp, "valid issuer specs:\n"))
}

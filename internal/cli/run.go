package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"

	"tokentop/issuer"
	"tokentop/scenario"
)

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
		info, ok := debug.ReadBuildInfo()
		fmt.Fprintln(stdout, versionLine(version, info, ok))
		return exitOK
	}
	app, err := newApp(ctx, cfg, getenv, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	defer app.close()
	if err := app.openReport(); err != nil {
		return fail(stderr, err)
	}
	if cfg.headless {
		err = app.runHeadless(ctx, stdout)
	} else {
		err = app.runTUI(ctx, stdout)
	}
	if err != nil {
		return fail(stderr, err)
	}
	return exitOK
}

// versionLine says which build this is: the module version (or "devel"
// for a build from a work tree), then the commit, its time, and "modified"
// when the work tree had changes, as the Go toolchain recorded them, e.g.
// "tokentop devel (abc1234, 2026-12-01T23:00:00Z, modified)". override,
// when not empty, replaces the module version.
func versionLine(override string, info *debug.BuildInfo, ok bool) string {
	v := override
	if v == "" && ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	if v == "" {
		v = "devel"
	}
	var details []string
	if ok {
		var rev, when string
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(len(s.Value), 7)]
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		for _, d := range []string{rev, when} {
			if d != "" {
				details = append(details, d)
			}
		}
		if modified {
			details = append(details, "modified")
		}
	}
	if len(details) == 0 {
		return "tokentop " + v
	}
	return fmt.Sprintf("tokentop %s (%s)", v, strings.Join(details, ", "))
}

// helpPointer ends a usage error; an error that already points to --help
// (an issuer spec's) is not given a second pointer.
const helpPointer = "(see tokentop --help"

// fail prints err as one line on stderr and returns its exit status.
func fail(stderr io.Writer, err error) int {
	// One line: the first line of the message (longer explanations, such as
	// the list of issuer specs, are in --help).
	msg, _, _ := strings.Cut(err.Error(), "\n")
	msg = strings.TrimPrefix(msg, "tokentop: ")
	var ue usageError
	if errors.As(err, &ue) {
		if !strings.Contains(msg, helpPointer) {
			msg += " " + helpPointer + ")"
		}
		fmt.Fprintf(stderr, "tokentop: %s\n", msg)
		return exitUsage
	}
	fmt.Fprintf(stderr, "tokentop: %s\n", msg)
	return exitFailure
}

// printUsage writes --help: the flags, the --session keys, the issuer
// specs, scenarios, the environment, the exit statuses and examples.
func printUsage(w io.Writer, fs *pflag.FlagSet) {
	var keys strings.Builder
	for _, k := range scenario.SessionKeys() {
		fmt.Fprintf(&keys, "  %-14s %s\n", k.Key, k.What)
	}
	fmt.Fprintf(w, `tokentop: watch token credentials refresh, fail, abort and sign out, live.

Usage:
%s
Flags:
%s
Sessions (--session key=value,key=value,...; a boolean key alone means true):
%s  Keys left out take the defaults every session gets (a scenario file's, the form n's).
  Without --scenario, the --session values are the whole scenario; with it, they are added to it.

Issuers (--issuer):
%s

Scenarios (--scenario): the built-ins %s, or a JSON scenario file
  (sessions and a timeline of faults and actions: see "Scenarios" in README.md;
  the built-ins in scenario/scenarios/ are examples).

Every flag can also be set with an environment variable: --speed is TOKENTOP_SPEED,
--show-secrets is TOKENTOP_SHOW_SECRETS; TOKENTOP_SESSION holds sessions separated by ';'.
A flag on the command line wins.

Exit status: 0 when all went well, 1 when the run failed (or --fail-on-gap saw a gap),
2 when the command line was wrong.

Examples:
  tokentop
  tokentop --scenario outage --speed 120
  tokentop --headless --scenario herd --duration 2h --json
  tokentop --session name=alice,policy=js --session name=bob,static
  tokentop --issuer http://127.0.0.1:8080/getToken --speed 1
  TOKENTOP_SECRET=... tokentop --issuer oauth2:token_url=https://login.example/token,client_id=app,secret_env=TOKENTOP_SECRET
  tokentop --issuer 'exec:az account get-access-token -o json' --issuer-timeout 1m

`, commandList(), fs.FlagUsages(), keys.String(), strings.TrimPrefix(issuer.SpecHelp, "valid issuer specs:\n"),
		strings.Join(scenario.BuiltinNames(), ", "))
}

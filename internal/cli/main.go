// Package cli is tokentop's command line: the default command (the live
// screen, or a headless run) and the commands beside it, one file each,
// dispatched from one table as the go tool does. main calls Main.
package cli

import (
	"context"
	"io"
	"time"
)

// version, when set at build time with
// -ldflags "-X tokentop/internal/cli.version=...", replaces the module
// version the Go toolchain records in the binary.
var version string

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the run failed
	exitUsage   = 2 // the command line was wrong
)

// Stdio is what a command reads and writes: the process's standard
// streams, or buffers in a test.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// env is what a command runs with besides its arguments.
type env struct {
	getenv func(string) string
	stdio  Stdio
}

// command is one of tokentop's commands, as the go tool's base.Command:
// its name, its usage lines for the help, and what runs it. A command
// parses its own flags, and prints its help for --help.
type command struct {
	name  string      // the first argument that selects it; "" for the default command
	usage []usageLine // its lines in `tokentop help`, the first one its summary
	run   func(ctx context.Context, args []string, e env) int
}

// usageLine is a command line and what it does, in one line.
type usageLine struct{ synopsis, summary string }

// commands is the command table, in the order the help lists them.
func commands() []command {
	return []command{
		{name: "", usage: []usageLine{
			{"tokentop [flags]", "the live screen (default: scenario demo on the fake issuer at 60x)"},
			{"tokentop --headless [flags]", "play a scenario without the screen: text, or JSON lines with --json"},
		}, run: func(ctx context.Context, args []string, e env) int {
			return run(ctx, args, e.getenv, e.stdio.Out, e.stdio.Err)
		}},
		{name: "fakeissuer", usage: []usageLine{
			{"tokentop fakeissuer [flags]", "serve the fake issuer over HTTP"},
		}, run: func(ctx context.Context, args []string, e env) int {
			return runFakeIssuerContext(ctx, args, e.getenv, e.stdio.Out, e.stdio.Err)
		}},
		{name: "decode", usage: []usageLine{
			{"tokentop decode [flags] < FILE", "decode a token offline: claims, expiry, signature"},
		}, run: func(ctx context.Context, args []string, e env) int {
			return runDecodeContext(ctx, args, e.stdio.In, time.Now, e.stdio.Out, e.stdio.Err)
		}},
		{name: "cache", usage: []usageLine{
			{"tokentop cache clear [flags]", "remove the token cache of persisted sessions"},
		}, run: func(ctx context.Context, args []string, e env) int {
			return runCache(ctx, args, e.getenv, e.stdio.Out, e.stdio.Err)
		}},
		{name: "help", usage: []usageLine{
			{"tokentop help [COMMAND]", "list the commands, or show one's help"},
		}, run: runHelp},
	}
}

// Main runs tokentop with args (without the program name) until ctx ends
// or the run is over, and returns the exit status. The first argument
// names a command; any other runs the default command.
func Main(ctx context.Context, args []string, getenv func(string) string, stdio Stdio) int {
	e := env{getenv: getenv, stdio: stdio}
	if len(args) > 0 {
		if c, ok := lookup(args[0]); ok && c.name != "" {
			return c.run(ctx, args[1:], e)
		}
	}
	def, _ := lookup("")
	return def.run(ctx, args, e)
}

// lookup finds the command called name in the table.
func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// commandNames lists the commands besides the default one, for messages.
func commandNames() []string {
	var names []string
	for _, c := range commands() {
		if c.name != "" {
			names = append(names, c.name)
		}
	}
	return names
}

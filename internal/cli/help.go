package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// runHelp is `tokentop help [COMMAND]`: the command list, or a command's
// own help (what COMMAND --help prints).
func runHelp(ctx context.Context, args []string, e env) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(e.stdio.Out, "tokentop: watch token credentials refresh, fail, abort and sign out, live.\n\nUsage:\n")
		writeCommands(e.stdio.Out)
		fmt.Fprint(e.stdio.Out, "\nRun tokentop help COMMAND (or tokentop COMMAND --help) for a command's flags; tokentop --help for the main command's.\n")
		return exitOK
	case len(args) > 1:
		return fail(e.stdio.Err, usagef("help: want at most one command, got %q", strings.Join(args, " ")))
	}
	c, ok := lookup(args[0])
	if !ok || c.name == "help" {
		if ok {
			return runHelp(ctx, nil, e)
		}
		return fail(e.stdio.Err, usagef("help: unknown command %q; the commands are %s", args[0], strings.Join(commandNames(), ", ")))
	}
	return c.run(ctx, []string{"--help"}, e)
}

// writeCommands writes every command's usage lines, aligned, as the help
// and --help list them.
func writeCommands(w io.Writer) {
	var lines []usageLine
	width := 0
	for _, c := range commands() {
		for _, l := range c.usage {
			lines = append(lines, l)
			width = max(width, len(l.synopsis))
		}
	}
	for _, l := range lines {
		fmt.Fprintf(w, "  %-*s  %s\n", width, l.synopsis, l.summary)
	}
}

// commandList is writeCommands as a string.
func commandList() string {
	var b strings.Builder
	writeCommands(&b)
	return b.String()
}

package cli

import (
	"strings"
	"testing"
)

// Issue 21, item 7: `tokentop help` lists every command of the table, and
// `tokentop help CMD` prints what `tokentop CMD --help` prints.
func TestHelpListsTheCommandsAndShowsOnesHelp(t *testing.T) {
	code, stdout, stderr := runBinary(t, "help")
	if code != exitOK || stderr != "" {
		t.Fatalf("help: exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	for _, want := range []string{"tokentop [flags]", "tokentop --headless", "tokentop fakeissuer", "tokentop decode", "tokentop cache clear", "tokentop help [COMMAND]"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help does not list %q:\n%s", want, stdout)
		}
	}
	for _, name := range []string{"decode", "fakeissuer", "cache", ""} {
		args := []string{name, "--help"}
		if name == "" {
			args = []string{"--help"}
		}
		_, want, _ := runBinary(t, args...)
		if code, got, _ := runBinary(t, "help", name); code != exitOK || got != want {
			t.Errorf("help %q: exit %d, %.80q...; want 0 and what %q prints", name, code, got, args)
		}
	}
	if _, got, _ := runBinary(t, "help", "help"); got != stdout {
		t.Errorf("help help: %.80q...; want the command list", got)
	}
}

func TestHelpRefusesAnUnknownCommand(t *testing.T) {
	stderr := wantUsageError(t, []string{"help", "nope"}, `unknown command "nope"`, "fakeissuer, decode, cache, help")
	if strings.Count(stderr, "tokentop") != 2 { // the prefix and the pointer to --help
		t.Errorf("stderr %q repeats tokentop", stderr)
	}
	wantUsageError(t, []string{"nope"}, `unexpected argument "nope"`, "fakeissuer, decode, cache, help")
}

func TestMainHelpListsEveryCommandOfTheTable(t *testing.T) {
	_, stdout, _ := runBinary(t, "--help")
	for _, c := range commands() {
		for _, l := range c.usage {
			if !strings.Contains(stdout, l.synopsis) {
				t.Errorf("--help leaves out %q", l.synopsis)
			}
		}
	}
}

// Issue 23, bug 11: the README's command block left out `cache clear`; it
// is the help's command list, line for line.
func TestREADMECommandBlockIsTheHelpsList(t *testing.T) {
	section := readmeSection(t, "## The command line")
	_, block, ok := strings.Cut(section, "```\n")
	block, _, _ = strings.Cut(block, "```")
	var want strings.Builder
	for _, line := range strings.SplitAfter(commandList(), "\n") {
		want.WriteString(strings.TrimPrefix(line, "  "))
	}
	if !ok || block != want.String() {
		t.Errorf("README's command block:\n%s\nwant the help's list:\n%s", block, want.String())
	}
}

// Issue 23: the speed defaults read differently in the README, --help and
// the --speed 0 error; all three say speedDefaults.
func TestSpeedDefaultsAgreeInREADMEHelpAndTheZeroError(t *testing.T) {
	readme := readmeSection(t, "## The command line")
	row := readme[strings.Index(readme, "| `--speed X`"):]
	row, _, _ = strings.Cut(row, "\n")
	_, help, _ := runBinary(t, "--help")
	stderr := wantUsageError(t, []string{"--speed", "0"})
	for what, text := range map[string]string{"README's --speed row": row, "--help": help, "the --speed 0 error": stderr} {
		if !strings.Contains(text, speedDefaults) {
			t.Errorf("%s does not say %q: %q", what, speedDefaults, text)
		}
	}
}

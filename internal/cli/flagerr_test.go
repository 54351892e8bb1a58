package cli

import (
	"strings"
	"testing"
)

// Issue 23, bug 9: a bad number said "strconv.ParseFloat: parsing "abc":
// invalid syntax"; it says what the flag wants, from the command line, the
// environment and fakeissuer alike.
func TestBadNumbersSayWhatTheFlagWants(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--speed", "abc"}, `--speed "abc": want a number`},
		{[]string{"--seed", "-1"}, `--seed "-1": want a whole number from 0 up`},
		{[]string{"--issuer-timeout", "soon"}, `--issuer-timeout "soon": want a duration`},
	} {
		stderr := wantUsageError(t, tc.args, tc.want)
		if strings.Contains(stderr, "strconv") || strings.Contains(stderr, "time: ") {
			t.Errorf("%q: %q shows a Go parser's message", tc.args, stderr)
		}
	}
	_, _, err := parseArgs([]string{"--headless"}, envOf("TOKENTOP_SPEED", "abc"), nil)
	if err == nil || !strings.Contains(err.Error(), `TOKENTOP_SPEED="abc"`) || !strings.Contains(err.Error(), "want a number") || strings.Contains(err.Error(), "strconv") {
		t.Errorf("TOKENTOP_SPEED=abc: %v; want it named, saying a number is wanted", err)
	}
	code, _, stderr := runBinary(t, "fakeissuer", "--speed", "abc")
	if code != exitUsage || !strings.Contains(stderr, `--speed "abc": want a number`) || strings.Contains(stderr, "strconv") {
		t.Errorf("fakeissuer --speed abc: exit %d, %q; want exit 2 saying a number is wanted", code, stderr)
	}
}

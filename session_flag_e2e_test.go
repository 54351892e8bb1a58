package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// Issue 23, bugs 2 and 8, item 6: --session's lifetime is range-checked
// with the form's message, a resource_url that would send tokens in the
// clear is refused, both with exit 2 and one line; count=N plays N
// sessions.
func TestSessionFlagLifetimeResourceURLAndCount(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"name=a,lifetime=9000h", "lifetime 9000h is out of range: use 1m to 8784h (366 days)"},
		{"name=a,lifetime=1s", "lifetime 1s is out of range: use 1m to 8784h (366 days)"},
		{"name=a,resource,resource_url=http://api.example/me", "would send tokens in the clear"},
	} {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(binary, "--headless", "--session", tc.value)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		exitErr, ok := err.(*exec.ExitError)
		if !ok || exitErr.ExitCode() != 2 || !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("--session %s: %v, stderr %q; want exit 2 and one line saying %q", tc.value, err, stderr.String(), tc.want)
		}
	}
	sum := runHeadless(t, "--headless", "--json", "--duration", "10m", "--session", "name=load,count=25")
	if len(sum.Sessions) != 25 || sum.Sessions[24].Name != "load-25" || sum.Totals.IssuerCalls < 25 {
		t.Errorf("--session name=load,count=25: %d sessions (last %+v), %d issuer calls; want load-1 ... load-25, each calling", len(sum.Sessions), sum.Sessions[len(sum.Sessions)-1], sum.Totals.IssuerCalls)
	}
}

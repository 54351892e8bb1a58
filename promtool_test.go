package main

import (
	"os/exec"
	"strings"
	"testing"
)

// promtool runs promtool with args, skipping the test when it is not
// installed, and fails the test when it fails.
func promtool(t *testing.T, args ...string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Skipf("promtool is not installed (Debian package prometheus); skipping promtool %s", strings.Join(args, " "))
	}
	if out, err := exec.Command(path, args...).CombinedOutput(); err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Issue 15: the alert rules the README documents are rules promtool takes.
func TestAlertRulesPassPromtool(t *testing.T) {
	promtool(t, "check", "rules", "docs/alerts.yml")
}

// Issue 23, bug 1: promtool's rule unit tests (docs/alerts_test.yml) show
// TokentopRefreshFailures firing after one failure on a series exported at
// 0 from the start, as the exporter now does.
func TestAlertRulesUnitTestsPass(t *testing.T) {
	promtool(t, "test", "rules", "docs/alerts_test.yml")
}

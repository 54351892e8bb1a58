package main

import (
	"os/exec"
	"testing"
)

// Issue 15: the alert rules the README documents are rules promtool takes.
func TestAlertRulesPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (Debian package prometheus); skipping the check of docs/alerts.yml")
	}
	out, err := exec.Command(promtool, "check", "rules", "docs/alerts.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules docs/alerts.yml: %v\n%s", err, out)
	}
}

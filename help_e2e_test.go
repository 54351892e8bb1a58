package main

import (
	"os/exec"
	"strings"
	"testing"
)

// Issue 21, item 7: the binary's main dispatches to the command table.
func TestHelpCommandOfTheBinary(t *testing.T) {
	out, err := exec.Command(binary, "help").Output()
	if err != nil || !strings.Contains(string(out), "tokentop cache clear") || !strings.Contains(string(out), "tokentop decode") {
		t.Errorf("tokentop help: %v, %q; want the command list", err, out)
	}
}

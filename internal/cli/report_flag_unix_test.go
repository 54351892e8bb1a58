//go:build unix

package cli

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A FIFO at the path is refused at once: opening it to write would block
// until something reads it.
func TestReportFlagRefusesAFIFOWithoutBlocking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.html")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	_, err := openReport(path)
	if err == nil || !strings.Contains(err.Error(), path+" is not a regular file") {
		t.Errorf("openReport of a FIFO: %v; want an error saying it is not a regular file", err)
	}
}

//go:build unix

package issuer

import (
	"os/exec"
	"syscall"
)

// terminateGroupOnCancel starts the command in its own process group and
// makes the context's end send SIGTERM to the whole group, so that the
// command's children (az runs python) stop too.
func terminateGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
}

package issuer

import (
	"errors"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// killGroupBeforeReaping waits for the command to exit without reaping it
// and then sends SIGKILL to what is left of its process group: children it
// left running in the background (which would hold its stdout open and
// outlive the call) and children that ignored SIGTERM. While the command is
// an unreaped zombie its pid, and so its group id, cannot be reused, so the
// kill cannot reach an unrelated group; after Wait it could. kill nil means
// syscall.Kill.
func killGroupBeforeReaping(cmd *exec.Cmd, kill func(pgid int) error) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			return // the command cannot be waited for: leave it to Wait, kill nothing
		}
	}
	if kill == nil {
		kill = func(pgid int) error { return syscall.Kill(-pgid, syscall.SIGKILL) }
	}
	_ = kill(cmd.Process.Pid) // ESRCH when the group is already empty
}

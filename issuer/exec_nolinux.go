//go:build !linux

package issuer

import "os/exec"

// killGroupBeforeReaping does nothing here: without waitid(WNOWAIT) the
// command cannot be known to have exited while still unreaped, and a group
// kill after Wait could hit an unrelated group that reused the id. Children
// that ignore SIGTERM, or that the command left in the background, outlive
// the call; Exec still uses what the command printed before it exited.
func killGroupBeforeReaping(*exec.Cmd, func(pgid int) error) {}

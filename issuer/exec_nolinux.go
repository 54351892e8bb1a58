//go:build !linux

package issuer

import (
	"context"
	"os/exec"
)

// killGroupBeforeReaping does nothing here: without waitid(WNOWAIT) the
// command cannot be known to have exited while still unreaped, and a group
// kill after Wait could hit an unrelated group that reused the id. Children
// that ignore SIGTERM outlive the call.
func killGroupBeforeReaping(context.Context, *exec.Cmd, func(pgid int) error) {}

//go:build !unix

package issuer

import "os/exec"

// terminateGroupOnCancel keeps exec's default, killing the process when the
// context ends: there are no process groups or SIGTERM here.
func terminateGroupOnCancel(*exec.Cmd) {}

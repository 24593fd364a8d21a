package subprocess

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal asks Linux to stop the child if this process dies
// without closing its stdin (the protocol's own exit signal), for example
// when it is killed with SIGKILL mid-write.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

//go:build !linux

package subprocess

import "os/exec"

// setParentDeathSignal is a no-op where the OS has no such signal; the
// child still exits when its stdin closes.
func setParentDeathSignal(*exec.Cmd) {}

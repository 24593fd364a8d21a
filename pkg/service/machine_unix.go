//go:build linux || darwin || freebsd || netbsd || openbsd

package service

import (
	"bytes"

	"golang.org/x/sys/unix"
)

// machine is uname's machine field: the kernel's name for the
// architecture (x86_64, aarch64, arm64), as Baton reports it.
func machine() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return string(bytes.TrimRight(u.Machine[:], "\x00"))
}

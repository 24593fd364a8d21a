//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package service

// machine is empty where there is no uname: osInfo falls back to GOARCH.
func machine() string { return "" }

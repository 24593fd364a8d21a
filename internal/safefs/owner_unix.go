//go:build unix

package safefs

import (
	"io/fs"
	"os"
	"syscall"
)

func owner(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

func ownedByMe(fi fs.FileInfo) bool { return owner(fi) == os.Geteuid() }

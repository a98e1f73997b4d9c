package source

import (
	"os"
	"syscall"
)

// changeTime is a file's inode change time and inode number.
func changeTime(info os.FileInfo) (ctime, ino int64, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return st.Ctim.Nano(), int64(st.Ino), true
}

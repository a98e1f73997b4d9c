package source

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// statAt is os.Lstat(path) for the entry name of the open folder dir,
// resolved from the folder rather than from the root of the file system,
// and kept as a value.
func statAt(dir *os.File, name, path string) (fileStamp, error) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fileStamp{}, &fs.PathError{Op: "lstat", Path: path, Err: err}
		}
		return fileStamp{
			size: st.Size, mtime: st.Mtim.Nano(),
			ctime: st.Ctim.Nano(), ino: int64(st.Ino), ok: true,
		}, nil
	}
}

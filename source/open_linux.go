package source

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// folderFlags open a folder without blocking on whatever else may stand
// at its name by the time it is opened (a FIFO would block open(2)).
const folderFlags = unix.O_DIRECTORY | unix.O_NONBLOCK

// subfolderFlags also refuse a folder swapped for a symlink since it was
// listed: the walk never follows symlinked folders.
const subfolderFlags = folderFlags | unix.O_NOFOLLOW

// openPost opens the post rel (slash-separated) below the content folder
// root for reading, such that the open never blocks and never leaves the
// folder, whatever stands at the path by now:
//
//   - O_NONBLOCK: opening a FIFO (or a device) returns at once, and the
//     caller's fstat refuses it, rather than waiting for a writer for
//     ever;
//   - the path is resolved below a descriptor of the folder with openat2
//     and RESOLVE_NO_SYMLINKS, so in the common case the kernel itself
//     guarantees no symlink was followed;
//   - a path through a symlink (a symlinked post, a folder swapped for a
//     symlink) is opened following it, and then where the opened
//     descriptor really is (/proc/self/fd) must lie inside the folder the
//     root descriptor is: the check is on what is read, not on a path that
//     may change between a check and the open.
//
// The caller checks the descriptor's type and size.
func openPost(root, rel string) (*os.File, error) {
	name := root + string(filepath.Separator) + filepath.FromSlash(rel)
	rootFD, err := openRetry(func() (int, error) {
		return unix.Open(root, unix.O_RDONLY|unix.O_CLOEXEC|folderFlags, 0)
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(rootFD)
	const flags = unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY
	fd, err := openRetry(func() (int, error) {
		return unix.Openat2(rootFD, rel, &unix.OpenHow{
			Flags:   flags | unix.O_NOFOLLOW,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
		})
	})
	switch {
	case err == nil:
		return os.NewFile(uintptr(fd), name), nil
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.EXDEV), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM):
		// A symlink on the way (ELOOP, EXDEV), or no openat2 here (an
		// old kernel, or a seccomp filter that refuses it): open the
		// path as it is and check where that led.
	default:
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	fd, err = openRetry(func() (int, error) { return unix.Openat(rootFD, rel, flags, 0) })
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f := os.NewFile(uintptr(fd), name)
	if err := checkBeneath(rootFD, fd); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// errOutside is a post whose path leads out of the content folder.
var errOutside = errors.New("symlink points outside the content directory; not followed")

// checkBeneath fails unless the file open at fd lies inside the folder
// open at dirFD, as the kernel names both now.
func checkBeneath(dirFD, fd int) error {
	dir, err := fdPath(dirFD)
	if err != nil {
		return err
	}
	file, err := fdPath(fd)
	if err != nil {
		return err
	}
	if !within(dir, file) {
		return errOutside
	}
	return nil
}

// fdPath is the path the kernel knows an open descriptor by.
func fdPath(fd int) (string, error) {
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return "", fmt.Errorf("cannot tell where a symlinked path leads (is /proc mounted?): %w", err)
	}
	return p, nil
}

// openRetry retries an open interrupted by a signal.
func openRetry(open func() (int, error)) (int, error) {
	for {
		fd, err := open()
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

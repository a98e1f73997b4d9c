package outtree

import (
	"errors"

	"golang.org/x/sys/unix"
)

// mountRoot reports whether dir is the root of a mount (a volume, a bind
// mount, a tmpfs): statx's STATX_ATTR_MOUNT_ROOT (Linux 5.8), else a
// device that differs from its parent's, which misses a bind mount of the
// same file system.
func mountRoot(dir, parent string) (bool, error) {
	var stx unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, dir, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS, &stx)
	if err == nil && stx.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 {
		return stx.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0, nil
	}
	if err != nil && !errors.Is(err, unix.ENOSYS) {
		return false, err
	}
	var a, b unix.Stat_t
	if err := unix.Lstat(dir, &a); err != nil {
		return false, err
	}
	if err := unix.Stat(parent, &b); err != nil {
		return false, err
	}
	return a.Dev != b.Dev, nil
}

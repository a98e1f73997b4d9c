//go:build unix

package outtree

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A staging folder (.NAME.new-*) holds a build's new tree until the swap,
// and the previous tree after it until it is removed. A build that is
// killed leaves it behind. So that the next build can tell such a folder
// from one a running build is writing, every build holds a shared flock
// on its staging folder, and on the tree it replaces, for as long as it
// runs: the kernel drops the lock when the process dies, however it dies.
// A folder with the marker file whose lock can be taken exclusively is a
// dead build's, and is removed; so is an empty one (a build killed before
// it wrote the marker) older than staleEmpty, since a live build may have
// made it a moment ago and not yet locked it.

// holdFolder takes a shared lock on the folder at path, held until the
// returned function is called; a folder that cannot be locked is not,
// and only then may a cleaner take it for a dead build's.
func holdFolder(path string) func() {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return func() {}
	}
	if err := unix.Flock(fd, unix.LOCK_SH); err != nil {
		unix.Close(fd)
		return func() {}
	}
	return func() { unix.Close(fd) }
}

// cleanStaging removes the staging folders of earlier builds of the
// output base in parent that died: folders (not symlinks) named
// .BASE.new-*, holding the marker file, that no live build holds. It
// returns how many it removed; a folder it cannot judge or remove is
// left alone.
func cleanStaging(parent, base string) int {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return 0
	}
	prefix := "." + base + ".new-"
	removed := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if removeDead(filepath.Join(parent, e.Name())) {
			removed++
		}
	}
	return removed
}

// staleEmpty is how old an empty staging folder must be to be taken for
// a dead build's.
const staleEmpty = time.Minute

// removeDead removes the staging folder at path when it holds the marker,
// or nothing and is older than staleEmpty, and no build holds it.
func removeDead(path string) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstatat(fd, MarkerName, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		// Not recognisably syndicate's, unless empty and stale: then
		// rmdir, which fails on anything that is not empty.
		var dst unix.Stat_t
		if unix.Fstat(fd, &dst) != nil || time.Since(time.Unix(dst.Mtim.Unix())) < staleEmpty {
			return false
		}
		if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) != nil {
			return false
		}
		return unix.Rmdir(path) == nil
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return false // a live build's
	}
	return removeTree(path) == nil
}

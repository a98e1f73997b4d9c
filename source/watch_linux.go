package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Watcher tells a scheduler whether anything in the content folder may
// have changed since it last asked, from the kernel's inotify events, so
// that a scheduled rebuild with nothing to do need not even stat 100,000
// files. It errs on the side of "changed": any event in a watched folder
// counts, whatever the file, and so does a lost event queue.
//
// inotify sees only changes made through this machine's kernel: on
// network and FUSE file systems (NFS, SMB, sshfs, virtiofs and the like)
// another machine's edits raise no event. NewWatcher therefore refuses
// folders on file systems other than the common local ones, and callers
// still survey the folder now and then (see incrementalBuild).
type Watcher struct {
	fd int

	mu   sync.Mutex
	dirs map[int]string // watch descriptor -> folder
	buf  [64 << 10]byte
}

// watchMask is every event that can change what a scan reads.
const watchMask = unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE | unix.IN_CREATE |
	unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF |
	unix.IN_MOVE_SELF | unix.IN_ONLYDIR

// localFS are the file systems whose changes inotify reports whoever
// makes them, by statfs magic number.
var localFS = map[int64]string{
	0xEF53:     "ext2/3/4",
	0x58465342: "xfs",
	0x9123683E: "btrfs",
	0x01021994: "tmpfs",
	0x794C7630: "overlayfs",
	0x2FC12FC1: "zfs",
	0xF2F52010: "f2fs",
	0xCA451A4E: "bcachefs",
	0x4D44:     "vfat",
	0x5346544E: "ntfs",
	0x2011BAB0: "exfat",
}

// ErrNotWatchable: the folder is on a file system whose changes inotify
// may not see, or the system has no inotify watches to spare.
var ErrNotWatchable = errors.New("content folder cannot be watched")

// NewWatcher watches every folder under root that a scan lists.
func NewWatcher(root string) (*Watcher, error) {
	dir, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("%w: inotify: %v", ErrNotWatchable, err)
	}
	w := &Watcher{fd: fd, dirs: map[int]string{}}
	if err := w.addTree(dir); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// addTree watches dir and the folders below it (not hidden ones, which
// scans skip).
func (w *Watcher) addTree(dir string) error {
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return fmt.Errorf("%w: %v", ErrNotWatchable, err)
	}
	if _, ok := localFS[int64(fs.Type)]; !ok {
		return fmt.Errorf("%w: %s is on a file system (type %#x) whose changes may come from elsewhere", ErrNotWatchable, dir, fs.Type)
	}
	wd, err := unix.InotifyAddWatch(w.fd, dir, watchMask)
	if err != nil {
		return fmt.Errorf("%w: %s: %v (see fs.inotify.max_user_watches)", ErrNotWatchable, dir, err)
	}
	w.dirs[wd] = dir
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotWatchable, err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			if err := w.addTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// Changed reports whether any event arrived since the last call, and
// watches folders created meanwhile. An error means the watcher can no
// longer be trusted; callers then survey the folder.
func (w *Watcher) Changed() (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	changed := false
	for {
		n, err := unix.Read(w.fd, w.buf[:])
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return changed, nil
		}
		if err != nil {
			return true, fmt.Errorf("inotify: %w", err)
		}
		if n <= 0 {
			return true, errors.New("inotify: empty read")
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&w.buf[off]))
			nameBytes := w.buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			changed = true
			if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				continue // events were lost: changed says enough
			}
			if ev.Mask&unix.IN_IGNORED != 0 {
				delete(w.dirs, int(ev.Wd))
				continue
			}
			name := strings.TrimRight(string(nameBytes), "\x00")
			if ev.Mask&unix.IN_ISDIR != 0 && ev.Mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0 && name != "" && !strings.HasPrefix(name, ".") {
				if parent, ok := w.dirs[int(ev.Wd)]; ok {
					if err := w.addTree(filepath.Join(parent, name)); err != nil {
						return true, err
					}
				}
			}
		}
	}
}

// Close stops watching.
func (w *Watcher) Close() error { return unix.Close(w.fd) }

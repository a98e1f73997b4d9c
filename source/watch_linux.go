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

// Watcher tells a scheduler which files in the content folder may have
// changed since it last asked, from the kernel's inotify events, so that a
// scheduled rebuild with nothing to do need not even stat 100,000 files,
// and one with a file to do stats and reads only that file. It errs on the
// side of "changed": any event on a file counts, whatever it was, and an
// event on a folder, or a lost event queue, counts as a change of all.
//
// inotify sees only changes made through this machine's kernel: on
// network and FUSE file systems (NFS, SMB, sshfs, virtiofs and the like)
// another machine's edits raise no event. NewWatcher therefore refuses
// folders on file systems other than the common local ones, and callers
// still survey the folder now and then (see incrementalBuild).
type Watcher struct {
	fd int

	// root is the folder as named, and rootID its device and inode as
	// watched: a symlink on the way (a deploy's "current") may come to
	// lead elsewhere without any event.
	root   string
	rootID [2]uint64

	mu     sync.Mutex
	dirs   map[int]watchedDir // by watch descriptor
	rootWd int
	buf    [64 << 10]byte
}

type watchedDir struct {
	abs string
	rel string // slash-separated, below the watched root; "" for the root
}

// Changes is what a Watcher heard of since it was last asked.
type Changes struct {
	// Files are the files events named, slash-separated and relative to
	// the watched folder, each once, in no particular order.
	Files []string
	// All: an event concerned a folder (made, moved, removed), events were
	// lost, or more files changed than maxChangedFiles; only a survey of
	// the whole folder can tell what changed.
	All bool
}

// None says nothing changed.
func (c Changes) None() bool { return !c.All && len(c.Files) == 0 }

// maxChangedFiles bounds Changes.Files: past it (a checkout, a restore
// from backup) surveying the whole folder is as quick and simpler.
const maxChangedFiles = 4096

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

// inotifyAddWatch is unix.InotifyAddWatch; tests make it fail with
// ENOSPC, as a system out of watches (fs.inotify.max_user_watches) does,
// without lowering the machine-wide limit.
var inotifyAddWatch = unix.InotifyAddWatch

// ErrRootGone says the watched folder was moved or removed; a new
// Watcher must watch whatever takes its place.
var ErrRootGone = errors.New("watched folder moved or removed")

// ErrNotWatchable says the folder is on a file system whose changes
// inotify may not see, or the system has no inotify watches to spare.
var ErrNotWatchable = errors.New("content folder cannot be watched")

// NewWatcher watches every folder under root that a scan lists.
func NewWatcher(root string) (*Watcher, error) {
	dir, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("%w: inotify: %w", ErrNotWatchable, err)
	}
	w := &Watcher{fd: fd, root: root, dirs: map[int]watchedDir{}}
	if w.rootID, err = folderID(dir); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.addTree(dir, ""); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// addTree watches dir, whose path below the root is rel, and the folders
// below it (not hidden ones, which scans skip).
func (w *Watcher) addTree(dir, rel string) error {
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return fmt.Errorf("%w: %w", ErrNotWatchable, err)
	}
	if _, ok := localFS[int64(fs.Type)]; !ok {
		return fmt.Errorf("%w: %s is on a file system (type %#x) whose changes may come from elsewhere", ErrNotWatchable, dir, fs.Type)
	}
	wd, err := inotifyAddWatch(w.fd, dir, watchMask)
	if err != nil {
		return fmt.Errorf("%w: %s: %w (see fs.inotify.max_user_watches)", ErrNotWatchable, dir, err)
	}
	w.dirs[wd] = watchedDir{abs: dir, rel: rel}
	if rel == "" {
		w.rootWd = wd
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotWatchable, err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			if err := w.addTree(filepath.Join(dir, e.Name()), joinRel(rel, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// Changes reports what changed since the last call, and watches folders
// created meanwhile. An error means the watcher can no longer be trusted;
// callers then survey the folder.
func (w *Watcher) Changes() (c Changes, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if id, err := folderID(w.root); err != nil || id != w.rootID {
		return Changes{All: true}, ErrRootGone
	}
	files := map[string]bool{}
	defer func() {
		if !c.All && len(files) > 0 {
			c.Files = make([]string, 0, len(files))
			for f := range files {
				c.Files = append(c.Files, f)
			}
		}
	}()
	for {
		n, err := unix.Read(w.fd, w.buf[:])
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return c, nil
		}
		if err != nil {
			c.All = true
			return c, fmt.Errorf("inotify: %w", err)
		}
		if n <= 0 {
			c.All = true
			return c, errors.New("inotify: empty read")
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&w.buf[off]))
			nameBytes := w.buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			name := strings.TrimRight(string(nameBytes), "\x00")
			d, known := w.dirs[int(ev.Wd)]
			if int(ev.Wd) == w.rootWd && ev.Mask&(unix.IN_IGNORED|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF) != 0 {
				// Whatever takes the folder's place is not watched.
				c.All = true
				return c, ErrRootGone
			}
			switch {
			case ev.Mask&unix.IN_Q_OVERFLOW != 0:
				c.All = true // events were lost
			case ev.Mask&unix.IN_IGNORED != 0:
				delete(w.dirs, int(ev.Wd)) // its folder went
				c.All = true
			case !known || name == "" || ev.Mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF) != 0:
				c.All = true
			case strings.HasPrefix(name, "."):
				// hidden: scans skip it, and hidden folders are not watched
			case ev.Mask&unix.IN_ISDIR != 0:
				// A folder made, moved or removed may hold any number of
				// files, which raised no event of their own.
				c.All = true
				// A folder moved in or renamed is watched under its new
				// name: watching an inode already watched returns its
				// descriptor, whose folder is then renamed here too.
				if ev.Mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0 {
					if err := w.addTree(filepath.Join(d.abs, name), joinRel(d.rel, name)); err != nil {
						return c, err
					}
				}
			default:
				files[joinRel(d.rel, name)] = true
				if len(files) > maxChangedFiles {
					c.All = true
				}
			}
		}
	}
}

// folderID is the device and inode of the folder p leads to.
func folderID(p string) ([2]uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return [2]uint64{}, err
	}
	return [2]uint64{uint64(st.Dev), st.Ino}, nil
}

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// Close stops watching.
func (w *Watcher) Close() error { return unix.Close(w.fd) }

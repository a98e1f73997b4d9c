package source

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sync/errgroup"
)

// walker lists a content folder's Markdown files. It does what
// filepath.WalkDir with a callback would, without the per-entry path
// cleaning and relative-path arithmetic, and stats files relative to their
// folder (statAt) where the system allows: a survey of 100,000 files is
// on every scheduled rebuild's path.
type walker struct {
	root     string
	withInfo bool
	// Folders are listed in parallel when a worker is free (stat calls
	// are most of a survey's time); g.TryGo never waits for one, so a
	// folder's own goroutine cannot block on its subfolders.
	g *errgroup.Group

	mu       sync.Mutex
	chunks   [][]surveyed // one per folder, joined at the end
	skipped  []*FileError
	symlinks int // symlinked files taken
}

// walkTree lists the tree under root with up to workers folders at once.
func walkTree(root string, withInfo bool, workers int) ([]surveyed, []*FileError, int, error) {
	w := &walker{root: root, withInfo: withInfo, g: new(errgroup.Group)}
	w.g.SetLimit(workers)
	w.g.Go(func() error { return w.dir("", root) })
	err := w.g.Wait()
	n := 0
	for _, c := range w.chunks {
		n += len(c)
	}
	files := make([]surveyed, 0, n)
	for _, c := range w.chunks {
		files = append(files, c...)
	}
	return files, w.skipped, w.symlinks, err
}

// dir lists one folder; rel is its slash-separated path below the root
// ("" for the root), abs its path on disk.
func (w *walker) dir(rel, abs string) error {
	var files []surveyed
	var skipped []*FileError
	symlinks := 0
	defer func() {
		w.mu.Lock()
		w.symlinks += symlinks
		if len(files) > 0 {
			w.chunks = append(w.chunks, files)
		}
		w.skipped = append(w.skipped, skipped...)
		w.mu.Unlock()
	}()
	skip := func(rel string, err error) { skipped = append(skipped, &FileError{Path: rel, Err: err}) }
	flags := subfolderFlags
	if rel == "" {
		flags = folderFlags // the root may be a symlink (a deploy's current)
	}
	f, err := os.OpenFile(abs, os.O_RDONLY|flags, 0)
	if rel != "" && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOTDIR)) {
		// Removed, or replaced by a symlink or a file, since its parent
		// was listed: what a listing now would find is no folder to
		// enter, so none is entered.
		return nil
	}
	if err != nil {
		return w.folderError(rel, err)
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if rel != "" && errors.Is(err, fs.ErrNotExist) {
		return nil // removed since it was opened
	}
	if err != nil {
		// A folder that cannot be read would silently take its posts out
		// of every feed (think of an unmounted volume): the scan fails
		// instead, and the last good feeds stay.
		return w.folderError(rel, err)
	}
	files = make([]surveyed, 0, len(entries))
	for _, d := range entries {
		name := d.Name()
		if strings.HasPrefix(name, ".") {
			continue // hidden files and folders
		}
		r := name
		if rel != "" {
			r = rel + "/" + name
		}
		if d.IsDir() {
			sub := abs + string(filepath.Separator) + name
			if !w.g.TryGo(func() error { return w.dir(r, sub) }) {
				if err := w.dir(r, sub); err != nil {
					return err
				}
			}
			continue
		}
		ext := strings.ToLower(filepath.Ext(name))
		if ext != ".md" && ext != ".markdown" {
			continue
		}
		p := abs + string(filepath.Separator) + name
		switch t := d.Type(); {
		case t&fs.ModeSymlink != 0:
			if info, err := w.symlink(p); err != nil {
				skip(r, err)
			} else {
				files = append(files, surveyed{rel: r, st: stampOf(info)})
				symlinks++
			}
		case !t.IsRegular():
			// A FIFO or device would block or never end.
			skip(r, errors.New("not a regular file"))
		case w.withInfo:
			st, err := statAt(f, name, p)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				// removed since the folder was listed
			case err != nil:
				skip(r, err)
			default:
				files = append(files, surveyed{rel: r, st: st})
			}
		default:
			files = append(files, surveyed{rel: r})
		}
	}
	return nil
}

func (w *walker) folderError(rel string, err error) error {
	if rel == "" {
		rel = "."
	}
	return fmt.Errorf("cannot read folder %s: %w", rel, err)
}

// symlink takes a symlinked file when it stays inside the content folder
// and leads to a regular file, and returns the target's info. Symlinked
// folders are not followed (so loops cannot happen).
func (w *walker) symlink(p string) (fs.FileInfo, error) {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, fmt.Errorf("symlink cannot be followed (missing target or a loop): %w", err)
	}
	if !within(w.root, target) {
		return nil, errors.New("symlink points outside the content directory; not followed")
	}
	ti, err := os.Stat(target)
	if err != nil {
		return nil, err
	}
	if !ti.Mode().IsRegular() {
		return nil, errors.New("symlink target is not a regular file")
	}
	return ti, nil
}

// Package outtree writes a folder tree of files atomically: the new tree
// is made beside the old one and swapped in with one rename (on Linux an
// exchange, so the folder never goes missing), so a reader sees the old
// tree or the new one, never a half-written file or a mix of two. A
// manifest in the tree's marker file (MarkerName) records every file;
// the next write hard-links the files that did not change from the old
// tree instead of writing them again, and leaves a tree that already
// holds exactly the files alone. It refuses to replace a non-empty folder
// it did not write.
package outtree

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Job is one tree to write: its files, which files of the previous tree
// may stand for them, and how to write the others.
type Job interface {
	// Paths lists the files, sorted, as clean slash-separated paths
	// relative to the tree.
	Paths() []string
	// Reuse says whether old, the previous tree's intact file at file
	// i's path, holds file i, and returns the entry to record for it.
	Reuse(i int, old Entry) (Entry, bool)
	// Write writes file i as the new file full and describes it. Calls
	// run concurrently, up to Options.Workers at once.
	Write(ctx context.Context, i int, full string) (Entry, error)
}

// Preparer is a Job that wants to know which files will be written
// (and may reorder them, or refuse to go on) before the first is.
type Preparer interface {
	Prepare(todo []int) error
}

// Options tune a Write.
type Options struct {
	// Workers bounds the Job.Write calls that run at once; at least 1.
	Workers int
	// Version is recorded in the manifest (Manifest.Version).
	Version int
}

// Stats says what writing a tree did.
type Stats struct {
	// Documents is the number of files in the tree, the marker aside.
	Documents int
	// Written files were written by the job; Linked ones hard-linked
	// from the previous tree and Copied ones copied from it where a hard
	// link was refused.
	Written, Linked, Copied int
	// Unchanged is set when the folder already held exactly these
	// files: nothing was written and the folder was not replaced.
	Unchanged bool
	// Cleaned counts staging folders of earlier writes that died
	// (killed, or the machine stopped) removed before this one began.
	Cleaned int
}

// linkFile is os.Link; tests make it fail.
var linkFile = os.Link

// Write publishes job's files as the tree at dir, atomically (see the
// package comment). Files that the previous tree's manifest lists, that
// are still on disk as written and that job.Reuse accepts are linked
// (copied where links fail) rather than written; when the tree holds
// exactly job's files, nothing is written at all (Stats.Unchanged). On
// an error, or when ctx is cancelled, the previous tree is left as it
// was and nothing beside it.
func Write(ctx context.Context, dir string, job Job, opts Options) (Stats, error) {
	paths := job.Paths()
	st := Stats{Documents: len(paths)}
	for i, p := range paths {
		if !localPath(p) || p == MarkerName {
			return st, fmt.Errorf("output: refusing to write %q outside the output folder", p)
		}
		if i > 0 && p <= paths[i-1] {
			return st, fmt.Errorf("output: %q listed twice or out of order", p)
		}
	}
	dir = filepath.Clean(dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return st, fmt.Errorf("output: %w", err)
	}
	st.Cleaned = cleanStaging(parent, base)
	exists := false
	if info, err := os.Lstat(dir); err == nil {
		if !info.IsDir() {
			return st, fmt.Errorf("output: %s exists and is not a folder", dir)
		}
		if err := checkOwned(dir); err != nil {
			return st, err
		}
		if err := checkNotMount(dir); err != nil {
			return st, err
		}
		exists = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("output: %w", err)
	}

	// What the previous tree holds, when its manifest is sound: each
	// listed document whose file is still there as written.
	var prev map[string]Entry
	complete := false // the tree holds the listed files and nothing else
	if exists {
		prev, complete = intactFiles(dir)
	}
	old := func(i int) (Entry, bool) {
		e, ok := prev[paths[i]]
		if !ok {
			return Entry{}, false
		}
		return job.Reuse(i, e)
	}
	if complete && len(prev) == len(paths) {
		same := true
		for i := range paths {
			if _, ok := old(i); !ok {
				same = false
				break
			}
		}
		if same {
			st.Unchanged = true
			return st, nil
		}
	}

	staging, err := os.MkdirTemp(parent, "."+base+".new-")
	if err != nil {
		return st, fmt.Errorf("output: cannot write the new tree beside %s: %w", dir, err)
	}
	// Held until the end, the staging folder, and the tree it replaces
	// (which the swap moves to the staging folder's name), are never
	// taken for a dead write's (cleanStaging); the marker, written first,
	// makes either recognisable as syndicate's should this write die.
	defer holdFolder(staging)()
	if exists {
		defer holdFolder(dir)()
	}
	committed := false
	defer func() {
		if !committed {
			removeTree(staging)
		}
	}()
	if err := os.Chmod(staging, 0o755); err != nil {
		return st, fmt.Errorf("output: %w", err)
	}
	if err := os.WriteFile(filepath.Join(staging, MarkerName), []byte(markerText), 0o644); err != nil {
		return st, fmt.Errorf("output: %w", err)
	}
	dirs := map[string]bool{}
	for _, p := range paths {
		for d := filepath.Dir(filepath.FromSlash(p)); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	sorted := make([]string, 0, len(dirs))
	for d := range dirs {
		sorted = append(sorted, d)
	}
	sort.Strings(sorted) // parents first
	for _, d := range sorted {
		if err := os.Mkdir(filepath.Join(staging, d), 0o755); err != nil {
			return st, fmt.Errorf("output: %w", err)
		}
	}

	entries := make([]Entry, len(paths))
	var todo, failed []int
	var linked, copied atomic.Int64
	var noLinks atomic.Bool
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4) // links and copies wait on the file system, not the CPU
	var mu sync.Mutex
	for i, p := range paths {
		e, ok := old(i)
		if !ok {
			todo = append(todo, i)
			continue
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			rel := filepath.FromSlash(p)
			from, to := filepath.Join(dir, rel), filepath.Join(staging, rel)
			tried := false
			if !noLinks.Load() {
				if linkFile(from, to) == nil {
					entries[i] = e
					linked.Add(1)
					return nil
				}
				tried = true
			}
			if copyFile(from, to, e) == nil {
				if tried {
					// Copying works where linking did not: another file
					// system, or one without hard links. Stop trying.
					noLinks.Store(true)
				}
				entries[i] = e
				copied.Add(1)
				return nil
			}
			os.Remove(to)
			mu.Lock()
			failed = append(failed, i) // written anew after all
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return st, err
	}
	todo = append(todo, failed...)
	st.Linked, st.Copied = int(linked.Load()), int(copied.Load())

	sort.Ints(todo)
	if p, ok := job.(Preparer); ok {
		if err := p.Prepare(todo); err != nil {
			return st, err
		}
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(max(1, opts.Workers))
	for _, i := range todo {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			e, err := job.Write(gctx, i, filepath.Join(staging, filepath.FromSlash(paths[i])))
			if err != nil {
				return err
			}
			entries[i] = e
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return st, err
	}
	st.Written = len(todo)

	marker, err := (&Manifest{Version: opts.Version, Entries: entries}).marker()
	if err != nil {
		return st, fmt.Errorf("output: %w", err)
	}
	if err := os.WriteFile(filepath.Join(staging, MarkerName), marker, 0o644); err != nil {
		return st, fmt.Errorf("output: %w", err)
	}
	if !exists {
		if err := os.Rename(staging, dir); err != nil {
			return st, fmt.Errorf("output: %w", err)
		}
		committed = true
		return st, nil
	}
	if err := exchange(staging, dir); err != nil {
		return st, fmt.Errorf("output: replace %s: %w", dir, err)
	}
	committed = true
	// staging now holds the previous tree; files linked from it live on
	// in the new one.
	if err := removeTree(staging); err != nil {
		return st, fmt.Errorf("output: remove previous tree: %w", err)
	}
	return st, nil
}

// removeTree removes a staging folder with its marker last, so that a
// write killed while removing it leaves a folder the next write still
// recognises as syndicate's (cleanStaging).
func removeTree(path string) error {
	entries, err := os.ReadDir(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		if e.Name() != MarkerName {
			if err := os.RemoveAll(filepath.Join(path, e.Name())); err != nil {
				return err
			}
		}
	}
	return os.RemoveAll(path)
}

// CheckReplaceable says why Write could not replace the folder at dir,
// nil if it can (or dir does not exist yet): a mount point (a Docker
// volume, a bind mount) cannot be swapped for the new tree, since no
// rename crosses a mount, so a tree written there would never be
// published. Commands call it at start; Write checks it too.
func CheckReplaceable(dir string) error {
	dir = filepath.Clean(dir)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return checkNotMount(dir)
}

func checkNotMount(dir string) error {
	parent := filepath.Dir(dir)
	root, err := mountRoot(dir, parent)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if root {
		return fmt.Errorf("output: %s is a mount point, and syndicate replaces the output folder whole by a rename, which cannot cross a mount; mount the volume one level up (at %s, or a folder of its own) and point output_dir at a folder inside it", dir, parent)
	}
	return nil
}

// Intact lists the files of the tree at dir that its manifest lists and
// that are still on disk as written, by path: a tree's files that a Write
// may keep. It is empty for a folder without a sound manifest.
func Intact(dir string) map[string]Entry {
	files, _ := intactFiles(dir)
	return files
}

// intactFiles is Intact, and whether the tree holds those files and the
// marker and nothing else.
func intactFiles(dir string) (map[string]Entry, bool) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, false
	}
	prev := m.byPath()
	intact, complete := checkFiles(dir, prev)
	for p := range prev {
		if !intact[p] {
			delete(prev, p)
		}
	}
	return prev, complete
}

// checkFiles walks the previous tree and reports which documents of its
// manifest are still there as written (regular files of the recorded
// size and, where one is recorded, modification time), and whether the
// tree holds those and the marker and nothing else. Symbolic links are
// never followed.
func checkFiles(dir string, prev map[string]Entry) (intact map[string]bool, complete bool) {
	intact = make(map[string]bool, len(prev))
	complete = true
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == MarkerName {
			return nil
		}
		e, ok := prev[rel]
		if !ok || !d.Type().IsRegular() {
			complete = false
			return nil
		}
		info, err := d.Info()
		if err != nil {
			complete = false
			return nil
		}
		// Times are compared to the second, which every file system keeps.
		if info.Size() != e.Size || !e.Modified.IsZero() && info.ModTime().Unix() != e.Modified.Unix() {
			complete = false
			return nil
		}
		intact[rel] = true
		return nil
	})
	if err != nil || len(intact) != len(prev) {
		complete = false
	}
	return intact, complete
}

// WriteFile writes a new file for a Job and sets its modification time
// (unless zero).
func WriteFile(full string, body []byte, modified time.Time) error {
	if err := os.WriteFile(full, body, 0o644); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if !modified.IsZero() {
		if err := os.Chtimes(full, modified, modified); err != nil {
			return fmt.Errorf("output: %w", err)
		}
	}
	return nil
}

// copyFile copies a previous document where it cannot be linked, and
// checks that it is the size the manifest says.
func copyFile(from, to string, e Entry) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != e.Size {
		err = fmt.Errorf("%s changed while copying", from)
	}
	if err == nil && !e.Modified.IsZero() {
		err = os.Chtimes(to, e.Modified, e.Modified)
	}
	return err
}

// checkOwned refuses to replace a non-empty folder syndicate did not write.
func checkOwned(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, MarkerName)); err == nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	names := make([]string, 0, 3)
	for _, e := range entries[:min(3, len(entries))] {
		names = append(names, e.Name())
	}
	return fmt.Errorf("output: %s holds files syndicate did not write (%s); point output_dir at a folder of its own", dir, strings.Join(names, ", "))
}

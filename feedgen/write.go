package feedgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/syndicate/syndicate/source"
)

// markerName marks a folder as written by syndicate, so that a write
// never replaces a folder holding anything else. It also holds the
// folder's manifest (see manifest.go).
const markerName = ".syndicate-output"

// linkFile is os.Link; tests make it fail.
var linkFile = os.Link

// WriteStats says what writing an output folder did.
type WriteStats struct {
	// Documents is the number of documents in the folder.
	Documents int
	// Written documents were encoded (or, for a snapshot, written from
	// memory); Linked ones hard-linked from the previous tree and Copied
	// ones copied from it where a hard link was refused.
	Written, Linked, Copied int
	// Unchanged is set when the folder already held exactly these
	// documents: nothing was written and the folder was not replaced.
	Unchanged bool
}

// WriteDir is WriteTree without the statistics.
func (s *Snapshot) WriteDir(dir string) error {
	_, err := s.WriteTree(context.Background(), dir)
	return err
}

// WriteTree publishes the snapshot as a folder tree at dir, atomically: the
// tree is written beside dir and swapped in with one rename (on Linux an
// exchange, so dir never goes missing). A reader sees the old tree or the
// new one, never a half-written file or a mix; feeds that no longer exist
// disappear with the old tree. Each file's modification time is its
// document's Modified, so static servers' validators stay stable across
// identical builds.
//
// Documents the previous tree already holds with the same ETag, size and
// modification time, according to its manifest, are hard-linked from it
// rather than written; when the folder holds exactly the snapshot's
// documents nothing is written at all (WriteStats.Unchanged).
func (s *Snapshot) WriteTree(ctx context.Context, dir string) (WriteStats, error) {
	docs := make([]*Document, len(s.Paths))
	for i, p := range s.Paths {
		d := s.Docs[p]
		if d == nil {
			return WriteStats{}, fmt.Errorf("output: snapshot lists %q without a document", p)
		}
		docs[i] = d
	}
	return writeTree(ctx, dir, treeJob{
		paths: s.Paths,
		reusable: func(i int, old ManifestEntry) bool {
			d := docs[i]
			return d.ETag != "" && old.ETag == d.ETag && old.Size == d.Len() && old.Modified.Equal(d.Modified)
		},
		fingerprint: func(i int) Fingerprint { return docs[i].Fingerprint },
		workers:     4,
		write: func(_ context.Context, i int, full string) (ManifestEntry, error) {
			d := docs[i]
			body, err := d.Bytes()
			if err != nil {
				return ManifestEntry{}, err
			}
			if err := writeFile(full, body, d.Modified); err != nil {
				return ManifestEntry{}, err
			}
			return ManifestEntry{Path: d.Path, Fingerprint: d.Fingerprint, ETag: d.ETag, Size: int64(len(body)), Modified: d.Modified}, nil
		},
	})
}

// WriteTree encodes the plan's documents straight into a folder tree at
// dir, with the guarantees of Snapshot.WriteTree, without holding them in
// memory: each document is written as soon as it is encoded, and each
// post's item is kept only until the last document listing it is
// written. Every post in p.Needed must have been rendered.
//
// Documents whose fingerprints equal those in the previous tree's
// manifest are hard-linked from it (copied where links fail) and not
// encoded; when the folder already holds exactly the plan's documents,
// nothing is written (WriteStats.Unchanged).
func (p *Plan) WriteTree(ctx context.Context, dir string) (WriteStats, error) {
	planned := p.Documents()
	paths := make([]string, len(planned))
	for i, pd := range planned {
		paths[i] = pd.Path
	}
	var items *itemCache
	return writeTree(ctx, dir, treeJob{
		paths: paths,
		reusable: func(i int, old ManifestEntry) bool {
			return !planned[i].Fingerprint.IsZero() && old.Fingerprint == planned[i].Fingerprint
		},
		fingerprint: func(i int) Fingerprint { return planned[i].Fingerprint },
		prepare: func(todo []int) {
			orderByFormat(planned, todo)
			items = newItemCache(p, planned, todo)
		},
		workers: runtime.GOMAXPROCS(0),
		write: func(ctx context.Context, i int, full string) (ManifestEntry, error) {
			pd := planned[i]
			if err := p.checkRendered(pd.Feed.Posts); err != nil {
				return ManifestEntry{}, err
			}
			buf := bodyBufs.Get().(*[]byte)
			defer bodyBufs.Put(buf)
			body, modified, err := p.render(pd, items, *buf)
			if err != nil {
				return ManifestEntry{}, fmt.Errorf("feedgen: %s: %w", pd.Path, err)
			}
			*buf = body[:0]
			if err := writeFile(full, body, modified); err != nil {
				return ManifestEntry{}, err
			}
			return ManifestEntry{Path: pd.Path, Fingerprint: pd.Fingerprint, ETag: etagOf(body), Size: int64(len(body)), Modified: modified}, nil
		},
	})
}

// PostsToWrite lists, in the order of Needed, the posts of the documents
// WriteTree(ctx, dir) would encode: those the tree at dir does not hold
// intact with the same fingerprint. A build whose cache keeps posts'
// RenderSums but not their HTML renders these (and only these) first.
func (p *Plan) PostsToWrite(dir string) []*source.Post {
	var prev map[string]ManifestEntry
	var intact map[string]bool
	if m, err := ReadManifest(dir); err == nil {
		prev = m.byPath()
		intact, _ = checkFiles(dir, prev)
	}
	return p.postsListedBy(func(pd PlannedDocument) bool {
		e, ok := prev[pd.Path]
		return !ok || !intact[pd.Path] || pd.Fingerprint.IsZero() || e.Fingerprint != pd.Fingerprint
	})
}

// treeJob is what writeTree needs to know of a set of documents.
type treeJob struct {
	paths []string // sorted
	// reusable says whether the previous tree's file, described by old,
	// holds document i.
	reusable func(i int, old ManifestEntry) bool
	// fingerprint is document i's fingerprint, zero when unknown.
	fingerprint func(i int) Fingerprint
	// prepare, when set, learns which documents will be written (and may
	// reorder them) before the first is.
	prepare func(todo []int)
	// write writes document i to the new file full.
	write   func(ctx context.Context, i int, full string) (ManifestEntry, error)
	workers int
}

func writeTree(ctx context.Context, dir string, job treeJob) (WriteStats, error) {
	st := WriteStats{Documents: len(job.paths)}
	for _, p := range job.paths {
		if !localPath(p) || p == markerName {
			return st, fmt.Errorf("output: refusing to write %q outside the output folder", p)
		}
	}
	dir = filepath.Clean(dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return st, fmt.Errorf("output: %w", err)
	}
	exists := false
	if info, err := os.Lstat(dir); err == nil {
		if !info.IsDir() {
			return st, fmt.Errorf("output: %s exists and is not a folder", dir)
		}
		if err := checkOwned(dir); err != nil {
			return st, err
		}
		exists = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("output: %w", err)
	}

	// What the previous tree holds, when its manifest is sound: each
	// listed document whose file is still there as written.
	var prev map[string]ManifestEntry
	var intact map[string]bool
	complete := false // the tree holds the listed documents and nothing else
	if exists {
		if m, err := ReadManifest(dir); err == nil {
			prev = m.byPath()
			intact, complete = checkFiles(dir, prev)
		}
	}
	old := func(i int) (ManifestEntry, bool) {
		e, ok := prev[job.paths[i]]
		if !ok || !intact[e.Path] || !job.reusable(i, e) {
			return ManifestEntry{}, false
		}
		return e, true
	}
	if complete && len(prev) == len(job.paths) {
		same := true
		for i := range job.paths {
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
		return st, fmt.Errorf("output: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(staging)
		}
	}()
	if err := os.Chmod(staging, 0o755); err != nil {
		return st, fmt.Errorf("output: %w", err)
	}
	dirs := map[string]bool{}
	for _, p := range job.paths {
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

	entries := make([]ManifestEntry, len(job.paths))
	var todo, failed []int
	var linked, copied atomic.Int64
	var noLinks atomic.Bool
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4) // links and copies wait on the file system, not the CPU
	var mu sync.Mutex
	for i, p := range job.paths {
		e, ok := old(i)
		if !ok {
			todo = append(todo, i)
			continue
		}
		if fp := job.fingerprint(i); !fp.IsZero() {
			e.Fingerprint = fp // the same bytes, made from these inputs
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
	if job.prepare != nil {
		job.prepare(todo)
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(max(1, job.workers))
	for _, i := range todo {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			e, err := job.write(gctx, i, filepath.Join(staging, filepath.FromSlash(job.paths[i])))
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

	marker, err := (&Manifest{Entries: entries}).marker()
	if err != nil {
		return st, fmt.Errorf("output: %w", err)
	}
	if err := os.WriteFile(filepath.Join(staging, markerName), marker, 0o644); err != nil {
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
	if err := os.RemoveAll(staging); err != nil {
		return st, fmt.Errorf("output: remove previous tree: %w", err)
	}
	return st, nil
}

// checkFiles walks the previous tree and reports which documents of its
// manifest are still there as written (regular files of the recorded
// size and, where one is recorded, modification time), and whether the
// tree holds those and the marker and nothing else. Symbolic links are
// never followed.
func checkFiles(dir string, prev map[string]ManifestEntry) (intact map[string]bool, complete bool) {
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
		if rel == markerName {
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

// writeFile writes a new file and sets its modification time.
func writeFile(full string, body []byte, modified time.Time) error {
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
func copyFile(from, to string, e ManifestEntry) error {
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
	if _, err := os.Stat(filepath.Join(dir, markerName)); err == nil {
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

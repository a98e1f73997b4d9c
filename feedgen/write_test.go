package feedgen

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/source"
)

func snapshotWithTags(t *testing.T, title string, tags ...string) *Snapshot {
	t.Helper()
	var posts []*source.Post
	for i, tag := range tags {
		x := simplePost(tag+".md", t0.Add(time.Duration(i)*time.Hour), tag)
		x.Title = title + " " + tag
		posts = append(posts, x)
	}
	_, s := mustBuild(t, testSite(), Options{Limit: 5}, posts)
	return s
}

// tree lists the files under dir, relative, with forward slashes.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func checkTree(t *testing.T, dir string, s *Snapshot) {
	t.Helper()
	want := append(append([]string(nil), s.Paths...), outtree.MarkerName)
	sort.Strings(want)
	if got := tree(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, p := range s.Paths {
		full := filepath.Join(dir, filepath.FromSlash(p))
		b, err := os.ReadFile(full)
		if err != nil {
			t.Fatal(err)
		}
		d := s.Docs[p]
		if !bytes.Equal(b, d.Body) {
			t.Errorf("%s: content differs from the snapshot", p)
		}
		info, err := os.Stat(full)
		if err != nil {
			t.Fatal(err)
		}
		if !info.ModTime().Equal(d.Modified) {
			t.Errorf("%s: mtime %v, want the document's Modified %v", p, info.ModTime(), d.Modified)
		}
	}
}

// siblings lists what WriteDir left beside dir: nothing but dir itself.
func checkNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(dir) {
			t.Errorf("left behind beside the output: %s", e.Name())
		}
	}
}

func TestSnapshotWriteTreeNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site", "public")
	s := snapshotWithTags(t, "First", "go", "日本語")
	if err := writeDir(s, dir); err != nil {
		t.Fatal(err)
	}
	checkTree(t, dir, s)
	checkNoLeftovers(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "tags", "日本語", "feed.atom")); err != nil {
		t.Errorf("non-ASCII slug folder: %v", err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o055 != 0o055 {
		t.Errorf("output folder mode %v, want readable by a web server", info.Mode().Perm())
	}
}

func TestSnapshotWriteTreeReplaces(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "public")
	first := snapshotWithTags(t, "First", "old", "kept")
	if err := writeDir(first, dir); err != nil {
		t.Fatal(err)
	}
	second := snapshotWithTags(t, "Second", "kept", "new")
	if err := writeDir(second, dir); err != nil {
		t.Fatal(err)
	}
	checkTree(t, dir, second) // tags/old/ is gone, tags/kept/ rewritten
	checkNoLeftovers(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "tags", "old")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("feeds of a tag that no longer exists were kept: %v", err)
	}
	// The same snapshot again: same bytes, same mtimes.
	if err := writeDir(second, dir); err != nil {
		t.Fatal(err)
	}
	checkTree(t, dir, second)
}

func TestSnapshotWriteTreeEmptyFolder(t *testing.T) {
	dir := t.TempDir() // exists, empty, no marker: fine to use
	s := snapshotWithTags(t, "First", "go")
	if err := writeDir(s, dir); err != nil {
		t.Fatal(err)
	}
	checkTree(t, dir, s)
}

func TestSnapshotWriteTreeRefusesForeignFolder(t *testing.T) {
	s := snapshotWithTags(t, "First", "go")
	t.Run("folder with other files", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "public")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		precious := filepath.Join(dir, "index.html")
		if err := os.WriteFile(precious, []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := writeDir(s, dir)
		if err == nil || !strings.Contains(err.Error(), "index.html") {
			t.Fatalf("error %v, want a refusal naming index.html", err)
		}
		if b, err := os.ReadFile(precious); err != nil || string(b) != "mine" {
			t.Errorf("the folder's own file was touched: %q %v", b, err)
		}
		if got := tree(t, dir); len(got) != 1 {
			t.Errorf("files written into a foreign folder: %q", got)
		}
		checkNoLeftovers(t, dir)
	})
	t.Run("a file", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "public")
		if err := os.WriteFile(dir, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := writeDir(s, dir); err == nil {
			t.Fatal("replaced a file")
		}
		checkNoLeftovers(t, dir)
	})
	t.Run("a symlink", func(t *testing.T) {
		root := t.TempDir()
		target := filepath.Join(root, "elsewhere")
		if err := os.Mkdir(target, 0o755); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, "public")
		if err := os.Symlink(target, dir); err != nil {
			t.Skip("no symlinks:", err)
		}
		if err := writeDir(s, dir); err == nil {
			t.Fatal("replaced a symlink")
		}
	})
}

func TestSnapshotWriteTreeRefusesPathsOutside(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "public")
	for _, bad := range []string{"../evil.rss", "/abs.rss", "tags/../../evil.rss"} {
		s := &Snapshot{Docs: map[string]*Document{bad: {Path: bad, Body: []byte("x")}}, Paths: []string{bad}}
		if err := writeDir(s, dir); err == nil {
			t.Errorf("wrote %q", bad)
		}
	}
	if got := tree(t, root); len(got) != 0 {
		t.Errorf("files written: %q", got)
	}
}

// TestSnapshotWriteTreeAtomicForReaders rewrites the tree over and over while
// readers look at it: on Linux (rename exchange) the output folder never
// goes missing, and every file read is one build's whole file.
func TestSnapshotWriteTreeAtomicForReaders(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the folder may be missing for a moment where renameat2 is not available")
	}
	dir := filepath.Join(t.TempDir(), "public")
	snaps := []*Snapshot{snapshotWithTags(t, "First", "go", "a"), snapshotWithTags(t, "Second", "go", "b")}
	if err := writeDir(snaps[0], dir); err != nil {
		t.Fatal(err)
	}
	valid := map[string]bool{}
	for _, s := range snaps {
		valid[string(s.Docs["feed.atom"].Body)] = true
	}
	var stop atomic.Bool
	var reads, missing atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if _, err := os.Lstat(dir); err != nil {
					errs <- "output folder missing: " + err.Error()
					return
				}
				b, err := os.ReadFile(filepath.Join(dir, "feed.atom"))
				if err != nil {
					// Only possible when the lookup walks into the previous
					// tree just as it is deleted, after the swap.
					if !errors.Is(err, fs.ErrNotExist) {
						errs <- err.Error()
						return
					}
					missing.Add(1)
					continue
				}
				reads.Add(1)
				if !valid[string(b)] {
					errs <- "read a file that no build wrote whole"
					return
				}
			}
		}()
	}
	for i := range 30 {
		if err := writeDir(snaps[(i+1)%2], dir); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if reads.Load() == 0 {
		t.Error("no reader read anything")
	}
	t.Logf("%d reads, %d lookups into a deleted tree", reads.Load(), missing.Load())
	checkTree(t, dir, snaps[0])
	checkNoLeftovers(t, dir)
}

// TestCompressedDocuments: documents held compressed have the bytes,
// ETags and fingerprints of plain ones, and write the same tree.
func TestCompressedDocuments(t *testing.T) {
	posts := []*source.Post{simplePost("a.md", t0, "Go"), simplePost("b.md", t0.Add(time.Hour), "Rust")}
	plain, err := mustPlan(t, testSite(), Options{Limit: 5}, posts).Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	held, err := mustPlan(t, testSite(), Options{Limit: 5, Compressed: true}, posts).Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for path, p := range plain.Docs {
		h := held.Docs[path]
		if h == nil || h.Body != nil || h.Gzip == nil {
			t.Fatalf("%s: not held compressed: %+v", path, h)
		}
		body, err := h.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, p.Body) || h.ETag != p.ETag || h.Fingerprint != p.Fingerprint || h.Len() != int64(len(p.Body)) {
			t.Errorf("%s: compressed document differs from the plain one", path)
		}
	}
	a, b := t.TempDir(), t.TempDir()
	if _, err := plain.WriteTree(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if _, err := held.WriteTree(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	for path := range plain.Docs {
		x, _ := os.ReadFile(filepath.Join(a, path))
		y, _ := os.ReadFile(filepath.Join(b, path))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s: written trees differ", path)
		}
	}
}

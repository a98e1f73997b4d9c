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

	"github.com/syndicate/syndicate/internal/dirtest"
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

func checkTree(t *testing.T, dir string, s *Snapshot) {
	t.Helper()
	want := append(append([]string(nil), s.Paths...), outtree.MarkerName)
	sort.Strings(want)
	if got := dirtest.Paths(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
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
		if got := dirtest.Paths(t, dir); len(got) != 1 {
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
	if got := dirtest.Paths(t, root); len(got) != 0 {
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
	readWhileWriting(t, dir, snaps, 30, func(i int) error { return writeDir(snaps[(i+1)%2], dir) })
	checkTree(t, dir, snaps[0])
	checkNoLeftovers(t, dir)
}

// readWhileWriting calls write(i) for i from 0 to rounds-1 while four
// readers read every document of the builds over and over from dir:
// each read must find one build's whole document, some read must
// succeed, and on Linux (rename exchange) the folder must never be
// missing. A read that finds no file is only counted: a lookup may walk
// into the previous tree just as it is deleted, after the swap, and a
// document of one build may be absent from the other's tree.
func readWhileWriting(t *testing.T, dir string, builds []*Snapshot, rounds int, write func(i int) error) {
	t.Helper()
	valid := map[string]map[string]bool{}
	for _, s := range builds {
		for path, d := range s.Docs {
			if valid[path] == nil {
				valid[path] = map[string]bool{}
			}
			valid[path][string(d.Body)] = true
		}
	}
	var names []string
	for p := range valid {
		names = append(names, p)
	}
	sort.Strings(names)
	var stop atomic.Bool
	var reads, missing atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for r := range 4 {
		wg.Go(func() {
			for i := r; !stop.Load(); i++ {
				if runtime.GOOS == "linux" {
					if _, err := os.Lstat(dir); err != nil {
						errs <- "output folder missing: " + err.Error()
						return
					}
				}
				name := names[i%len(names)]
				b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
				if err != nil {
					if !errors.Is(err, fs.ErrNotExist) {
						errs <- err.Error()
						return
					}
					missing.Add(1)
					continue
				}
				reads.Add(1)
				if !valid[name][string(b)] {
					errs <- name + ": read a document no build wrote whole"
					return
				}
			}
		})
	}
	var err error
	for i := 0; i < rounds && err == nil; i++ {
		err = write(i)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	if err != nil {
		t.Fatal(err)
	}
	for e := range errs {
		t.Error(e)
	}
	if reads.Load() == 0 {
		t.Error("no reader read anything")
	}
	t.Logf("%d reads, %d lookups that found no file", reads.Load(), missing.Load())
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

// TestPlanWriteTree writes a plan's documents straight to a folder and
// then again after each change, against a build from scratch in memory:
// the same files, bytes and times, a manifest that describes them,
// unchanged documents linked from the previous tree, and nothing written
// at all when nothing changed.
func TestPlanWriteTree(t *testing.T) {
	posts := incrementalCorpus()
	ctx := context.Background()
	for _, c := range incrementalChanges() {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "public")
			firstSnap, plan, want := c.builds(t, posts)
			st, err := change{}.apply(t, posts).WriteTree(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if st.Written != st.Documents || st.Linked+st.Copied != 0 || st.Unchanged {
				t.Errorf("first write: %+v", st)
			}
			checkTree(t, dir, firstSnap)
			checkManifest(t, dir, firstSnap)
			before := dirtest.Inodes(t, dir)
			dirInfo, _ := os.Stat(dir)

			n := itemsEncoded.Load()
			st, err = plan.WriteTree(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			encodings := itemsEncoded.Load() - n
			checkTree(t, dir, want)
			checkManifest(t, dir, want)
			checkNoLeftovers(t, dir)
			after := dirtest.Inodes(t, dir)

			same := 0
			for _, p := range want.Paths {
				if kept(firstSnap, p, want.Docs[p].Fingerprint) {
					same++
					if after[p] != before[p] {
						t.Errorf("%s: unchanged but written again", p)
					}
				} else if before[p] != 0 && after[p] == before[p] {
					t.Errorf("%s: changed but kept", p)
				}
			}
			if same == len(want.Paths) && len(firstSnap.Paths) == len(want.Paths) {
				dirNow, _ := os.Stat(dir)
				if !st.Unchanged || st.Written+st.Linked+st.Copied != 0 || encodings != 0 || !os.SameFile(dirInfo, dirNow) {
					t.Errorf("no document changed, yet: %+v, %d items encoded, folder replaced: %v", st, encodings, !os.SameFile(dirInfo, dirNow))
				}
			} else {
				if st.Unchanged {
					t.Error("a change was reported as unchanged output")
				}
				if st.Documents != len(want.Paths) || st.Linked != same || st.Written != len(want.Paths)-same || st.Copied != 0 {
					t.Errorf("stats %+v; want %d linked of %d", st, same, len(want.Paths))
				}
			}
			if c.name == "nothing" || c.name == "a post no feed lists" {
				if !st.Unchanged {
					t.Errorf("%s changed, yet the output was written: %+v", c.name, st)
				}
			}
			t.Logf("%+v, %d items encoded", st, encodings)
		})
	}
}

// TestWriteTreeDistrustsManifest: a damaged, foreign or outdated
// manifest, or a tree that no longer matches it, never makes a write
// keep a file it cannot vouch for.
func TestWriteTreeDistrustsManifest(t *testing.T) {
	posts := incrementalCorpus()
	ctx := context.Background()
	// markerText is the marker's first line, for people: all an older
	// syndicate's marker held.
	markerText := "This folder is written by syndicate and replaced as a whole on every build.\n"
	editMarker := func(f func(string) string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, outtree.MarkerName)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, p, f(string(b)))
		}
	}
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
		// linked is how many documents may still be linked: -1 for all
		// but one, 0 for none.
		linked int
	}{
		{"marker of an older syndicate", editMarker(func(string) string { return markerText }), 0},
		{"garbage", editMarker(func(s string) string { return markerText + "{not json" }), 0},
		{"truncated", editMarker(func(s string) string { return s[:len(s)/2] }), 0},
		{"other manifest version", editMarker(func(s string) string {
			return strings.Replace(s, `"syndicate_manifest":1`, `"syndicate_manifest":99`, 1)
		}), 0},
		{"unknown field", editMarker(func(s string) string {
			return strings.Replace(s, `"encoder":`, `"extra":1,"encoder":`, 1)
		}), 0},
		{"path outside the folder", editMarker(func(s string) string {
			return strings.Replace(s, `"path":"categories/`, `"path":"../categories/`, 1)
		}), 0},
		{"bad fingerprint", editMarker(func(s string) string {
			return strings.Replace(s, `"fingerprint":"`, `"fingerprint":"zz`, 1)
		}), 0},
		{"repeated path", editMarker(func(s string) string {
			i := strings.Index(s, `{"path"`)
			j := strings.Index(s[i+1:], `{"path"`) + i + 1
			return s[:j] + s[i:j] + s[j:]
		}), 0},
		{"a document edited", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "feed.rss"), "edited by hand")
		}, -1},
		{"a document deleted", func(t *testing.T, dir string) {
			mustDo(t, os.Remove(filepath.Join(dir, "feed.json")))
		}, -1},
		{"a document replaced by a symlink", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "feed.atom")
			mustDo(t, os.Rename(p, p+".real"))
			mustDo(t, os.Symlink("feed.atom.real", p))
		}, -1},
		{"a file added", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "tags", "stray.txt"), "stray")
		}, -2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "public")
			if _, err := (change{}).apply(t, posts).WriteTree(ctx, dir); err != nil {
				t.Fatal(err)
			}
			tc.spoil(t, dir)
			plan := change{}.apply(t, posts)
			st, err := plan.WriteTree(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := plan.Build(ctx, nil)
			checkTree(t, dir, want) // also: no stray or extra file is left
			checkManifest(t, dir, want)
			checkNoLeftovers(t, dir)
			switch {
			case st.Unchanged:
				t.Errorf("output reported unchanged: %+v", st)
			case tc.linked == 0 && st.Linked+st.Copied != 0:
				t.Errorf("%d documents kept on the word of a bad manifest", st.Linked+st.Copied)
			case tc.linked == -1 && (st.Written != 1 || st.Linked != st.Documents-1):
				t.Errorf("stats %+v, want the spoilt document alone written", st)
			case tc.linked == -2 && (st.Written != 0 || st.Linked != st.Documents):
				t.Errorf("stats %+v, want every document linked into a tree without the stray file", st)
			}
		})
	}
}

// TestWriteTreeCancelled: a cancelled write leaves the previous tree as
// it was and nothing beside it.
func TestWriteTreeCancelled(t *testing.T) {
	posts := incrementalCorpus()
	dir := filepath.Join(t.TempDir(), "public")
	first := change{}.apply(t, posts)
	if _, err := first.WriteTree(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	firstSnap, _ := first.Build(context.Background(), nil)
	ps := clonePosts(posts)
	ps[0].Title += " (edited)"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := mustPlan(t, benchSite(), Options{Limit: 10}, ps).WriteTree(ctx, dir); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	checkTree(t, dir, firstSnap)
	checkNoLeftovers(t, dir)
}

// TestSnapshotWriteTreeReuse: a snapshot written over a folder links the
// documents the folder's manifest vouches for by ETag, size and time,
// whichever way the folder was written, and writes nothing when they are
// all there. Documents without an ETag are always written.
func TestSnapshotWriteTreeReuse(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "public")
	plan := mustPlan(t, testSite(), Options{Limit: 5}, fixturePosts())
	if _, err := plan.WriteTree(ctx, dir); err != nil {
		t.Fatal(err)
	}
	snap, err := mustPlan(t, testSite(), Options{Limit: 5}, fixturePosts()).Build(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := snap.WriteTree(ctx, dir)
	if err != nil || !st.Unchanged {
		t.Errorf("snapshot over its own plan's folder: %+v %v", st, err)
	}
	// One document changed, by hand, without a fingerprint.
	changed := &Snapshot{Docs: map[string]*Document{}, Paths: snap.Paths}
	for p, d := range snap.Docs {
		changed.Docs[p] = d
	}
	d := *snap.Docs["feed.json"]
	d.Body = []byte(`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[]}` + "\n")
	d.ETag, d.Fingerprint = ETag(d.Body), Fingerprint{}
	changed.Docs["feed.json"] = &d
	if st, err = changed.WriteTree(ctx, dir); err != nil || st.Unchanged || st.Written != 1 || st.Linked != st.Documents-1 {
		t.Errorf("one document changed: %+v %v", st, err)
	}
	checkTree(t, dir, changed)
	checkManifest(t, dir, changed)
	if st, err = changed.WriteTree(ctx, dir); err != nil || !st.Unchanged {
		t.Errorf("the same snapshot again: %+v %v", st, err)
	}
	noETag := &Snapshot{Docs: map[string]*Document{"feed.rss": {Path: "feed.rss", Body: []byte("x")}}, Paths: []string{"feed.rss"}}
	for range 2 {
		if st, err = noETag.WriteTree(ctx, dir); err != nil || st.Unchanged || st.Written != 1 {
			t.Errorf("a document without an ETag: %+v %v", st, err)
		}
	}
}

// TestPlanWriteTreeAtomicForReaders alternates between two plans that
// share most documents while readers read them: every read finds a
// whole document of one of the builds, linked or written.
func TestPlanWriteTreeAtomicForReaders(t *testing.T) {
	posts := incrementalCorpus()
	edited := clonePosts(posts)
	edited[0].Title += " (edited)"
	plans := []*Plan{
		mustPlan(t, benchSite(), Options{Limit: 10}, posts),
		mustPlan(t, benchSite(), Options{Limit: 10}, edited),
	}
	var builds []*Snapshot
	for _, p := range plans {
		s, err := p.Build(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		builds = append(builds, s)
	}
	dir := filepath.Join(t.TempDir(), "public")
	if _, err := plans[0].WriteTree(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	readWhileWriting(t, dir, builds, 20, func(i int) error {
		_, err := plans[(i+1)%2].WriteTree(context.Background(), dir)
		return err
	})
}

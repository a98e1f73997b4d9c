package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/source"
)

// incrementalFixture is serve's pipeline over a folder of posts whose
// times lie an hour back, so surveys of it are settled.
type incrementalFixture struct {
	t    *testing.T
	dir  string
	cfg  Config
	b    *Builder
	out  *Memory
	snap *feedgen.Snapshot
	// surveys and rescans count the runs that surveyed the folder and
	// those that read only the files that changed.
	surveys, rescans int
}

func newIncrementalFixture(t *testing.T, files map[string]string) *incrementalFixture {
	t.Helper()
	dir := t.TempDir()
	f := &incrementalFixture{t: t, dir: dir}
	for name, text := range files {
		f.write(name, text)
	}
	f.cfg = testConfig(dir)
	f.cfg.Source.Cache = source.NewCache()
	f.cfg.Incremental, f.cfg.Watch = true, true
	f.b, f.out = New(f.cfg), new(Memory)
	t.Cleanup(func() { f.b.Close() })
	return f
}

// unwatched makes the builder leave the folder unwatched, as on a
// network file system; before the first run.
func (f *incrementalFixture) unwatched() {
	f.b.Close()
	f.cfg.Watch = false
	f.b = New(f.cfg)
}

var hourAgo = time.Now().Add(-time.Hour)

// write puts a file in place dated an hour back.
func (f *incrementalFixture) write(name, text string) {
	f.t.Helper()
	p := filepath.Join(f.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Chtimes(p, hourAgo, hourAgo); err != nil {
		f.t.Fatal(err)
	}
}

// run builds as of now into memory, as serve does.
func (f *incrementalFixture) run(now time.Time) *Result {
	f.t.Helper()
	res, err := f.b.Build(context.Background(), now, f.out)
	if err != nil {
		f.t.Fatal(err)
	}
	f.snap = f.out.Snapshot()
	if res.Surveyed {
		f.surveys++
	}
	if res.Rescanned {
		f.rescans++
	}
	return res
}

// runWatched is the first run, for tests of the watched path: they skip
// where the folder cannot be watched.
func (f *incrementalFixture) runWatched(now time.Time) {
	f.t.Helper()
	w, err := source.NewWatcher(f.dir)
	if errors.Is(err, source.ErrNotWatchable) {
		f.t.Skip("content folder not watchable here")
	}
	if err == nil {
		w.Close()
	}
	f.run(now)
}

func (f *incrementalFixture) siteRSS() string {
	f.t.Helper()
	d := f.snap.Docs["feed.rss"]
	if d == nil {
		f.t.Fatalf("no feed.rss among %v", f.snap.Paths)
	}
	return string(docBytes(f.t, d))
}

func post(title, date, body string) string {
	return "---\ntitle: " + title + "\ndate: " + date + "\ntags: [go]\n---\n" + body + "\n"
}

func TestIncrementalBuild(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f := newIncrementalFixture(t, map[string]string{
		"a.md":      post("Alpha", "2025-01-01", "First text."),
		"b/b.md":    post("Beta", "2025-02-01", "Second text."),
		"future.md": post("Gamma", "2025-06-01T14:00:00Z", "Not yet."),
	})
	if res := f.run(now); res.Unchanged || res.Published != 2 {
		t.Fatalf("first build: unchanged %v, %d published; want a build of 2 posts", res.Unchanged, res.Published)
	}
	first := f.snap

	res := f.run(now.Add(time.Minute))
	if !res.Unchanged || f.snap != first || res.Published != 2 || res.Read != 3 {
		t.Fatalf("nothing changed: unchanged %v, same snapshot %v, %d published of %d read", res.Unchanged, f.snap == first, res.Published, res.Read)
	}

	steps := []struct {
		name  string
		do    func()
		at    time.Duration // after now
		wants []string      // in the site's RSS feed
		not   []string
	}{
		// The other post's HTML was dropped after the last build: it
		// is rendered again for the feeds that list both.
		{"edit", func() { f.write("a.md", post("Alpha", "2025-01-01", "Edited text.")) }, 2 * time.Minute,
			[]string{"Edited text.", "Second text."}, []string{"First text."}},
		{"same size and times", func() {
			f.write("a.md", post("Alpha", "2025-01-01", "Edited TEXT."))
		}, 3 * time.Minute, []string{"Edited TEXT."}, []string{"Edited text."}},
		{"add", func() { f.write("c.md", post("Delta", "2025-03-01", "Third text.")) }, 4 * time.Minute,
			[]string{"Third text."}, nil},
		{"remove", func() { os.Remove(filepath.Join(f.dir, "b", "b.md")) }, 5 * time.Minute,
			nil, []string{"Second text."}},
		{"future post falls due", func() {}, 3 * time.Hour, []string{"Not yet."}, nil},
	}
	for _, s := range steps {
		s.do()
		res := f.run(now.Add(s.at))
		if res.Unchanged {
			t.Fatalf("%s: the build was skipped", s.name)
		}
		rss := f.siteRSS()
		for _, w := range s.wants {
			if !strings.Contains(rss, w) {
				t.Errorf("%s: feed lacks %q", s.name, w)
			}
		}
		for _, w := range s.not {
			if strings.Contains(rss, w) {
				t.Errorf("%s: feed still has %q", s.name, w)
			}
		}
		for _, x := range res.Plan.Needed {
			if x.Rendered() || x.RenderSum == [16]byte{} {
				t.Errorf("%s: %s kept its HTML (%v) or lost its sum after the build", s.name, x.Path, x.Rendered())
			}
		}
		if res := f.run(now.Add(s.at + time.Second)); !res.Unchanged {
			t.Errorf("%s: the build after it was not skipped", s.name)
		}
	}
}

// TestIncrementalBuildUnsettled: files written moments ago may change
// again without their times moving, so no survey of them stands for a
// scan.
func TestIncrementalBuildUnsettled(t *testing.T) {
	f := newIncrementalFixture(t, map[string]string{"a.md": post("Alpha", "2025-01-01", "Text.")})
	p := filepath.Join(f.dir, "a.md")
	if err := os.Chtimes(p, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.run(now)
	if res := f.run(now); res.Unchanged {
		t.Fatal("a survey of a file modified just now was taken as final")
	}
}

// TestIncrementalBuildRetriesUnreadable: a file that could not be read
// is tried again at the next run even though nothing changed.
func TestIncrementalBuildRetriesUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	f := newIncrementalFixture(t, map[string]string{
		"a.md": post("Alpha", "2025-01-01", "Text."),
		"b.md": post("Beta", "2025-01-02", "Locked."),
	})
	if err := os.Chmod(filepath.Join(f.dir, "b.md"), 0); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	if res := f.run(now); len(res.Skipped) != 1 {
		t.Fatalf("skipped %v, want b.md", res.Skipped)
	}
	if res := f.run(now); res.Unchanged {
		t.Fatal("a build that could not read a file was taken as final")
	}
}

// TestIncrementalBuildWatch: with the content folder watched, a run that
// heard of no change neither surveys nor scans, a run told of changed
// files reads only those, and one told of a changed folder surveys (and
// then reads only the files the survey finds changed); every change is in
// the feeds after the next run.
func TestIncrementalBuildWatch(t *testing.T) {
	f := newIncrementalFixture(t, map[string]string{
		"a.md": post("Alpha", "2025-01-01", "Text."), "b.md": post("Beta", "2025-01-02", "Beta text."),
	})
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.runWatched(now)
	steps := []struct {
		name             string
		do               func()
		unchanged        bool
		surveys, rescans int
		has, hasNot      string
	}{
		{"quiet", nil, true, 1, 0, "Text.", ""},
		{"edit", func() { f.write("a.md", post("Alpha", "2025-01-01", "New text.")) }, false, 1, 1, "New text.", ""},
		{"quiet again", nil, true, 1, 1, "New text.", ""},
		{"post in a new folder", func() { f.write("2025/c.md", post("Gamma", "2025-01-03", "Gamma text.")) }, false, 2, 2, "Gamma text.", ""},
		{"edit in the new folder", func() { f.write("2025/c.md", post("Gamma", "2025-01-03", "Gamma 2.")) }, false, 2, 3, "Gamma 2.", "Gamma text."},
		{"remove", func() { os.Remove(filepath.Join(f.dir, "b.md")) }, false, 2, 4, "Gamma 2.", "Beta text."},
		{"after an hour", nil, true, 3, 4, "Gamma 2.", ""}, // run an hour on
		{"folder replaced", func() {
			moved := f.dir + ".old"
			if err := os.Rename(f.dir, moved); err != nil {
				t.Fatal(err)
			}
			if err := os.CopyFS(f.dir, os.DirFS(moved)); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"a.md", "2025/c.md"} {
				os.Chtimes(filepath.Join(f.dir, name), hourAgo, hourAgo)
			}
			f.write("a.md", post("Alpha", "2025-01-01", "Replaced."))
		}, false, 4, 4, "Replaced.", ""},
		{"edit in the replacement", func() { f.write("a.md", post("Alpha", "2025-01-01", "Edited again.")) }, false, 4, 5, "Edited again.", ""},
		{"symlinked post", func() {
			if err := os.Symlink("a.md", filepath.Join(f.dir, "link.md")); err != nil {
				t.Fatal(err)
			}
		}, false, 5, 5, "Edited again.", ""},
		{"with a symlinked post every run surveys", nil, true, 6, 5, "Edited again.", ""},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		at := now
		if s.name == "after an hour" {
			at = now.Add(time.Hour)
		}
		res := f.run(at)
		rss := f.siteRSS()
		if res.Unchanged != s.unchanged || f.surveys != s.surveys || f.rescans != s.rescans {
			t.Errorf("%s: unchanged %v after %d surveys, %d rescans; want %v, %d, %d", s.name,
				res.Unchanged, f.surveys, f.rescans, s.unchanged, s.surveys, s.rescans)
		}
		if !strings.Contains(rss, s.has) || s.hasNot != "" && strings.Contains(rss, s.hasNot) {
			t.Errorf("%s: feed lacks %q or has %q:\n%s", s.name, s.has, s.hasNot, rss)
		}
	}
}

// TestIncrementalMatchesFreshBuild: through a run of edits, additions,
// removals, retags and drafts read by rescans (files named by the watcher,
// or found by a survey where the folder is not watched), plans made from
// the last plan and reused fingerprints, every document serve holds is
// byte for byte the one a fresh build without cache makes.
func TestIncrementalMatchesFreshBuild(t *testing.T) {
	t.Run("watched", func(t *testing.T) { testIncrementalMatchesFresh(t, true) })
	t.Run("not watched", func(t *testing.T) { testIncrementalMatchesFresh(t, false) })
}

func testIncrementalMatchesFresh(t *testing.T, watched bool) {
	files := map[string]string{}
	tagged := func(title, date, tags, body string) string {
		return "---\ntitle: " + title + "\ndate: " + date + "\ntags: [" + tags + "]\ncategories: [Notes]\n---\n" + body + "\n"
	}
	for i := range 40 {
		files[fmt.Sprintf("%d/p%02d.md", 2020+i%4, i)] = tagged(fmt.Sprintf("Post %d", i),
			fmt.Sprintf("2024-%02d-%02d", 1+i%12, 1+i%28), fmt.Sprintf("t%d, t%d, Go", i%5, i%7), fmt.Sprintf("Body %d.", i))
	}
	f := newIncrementalFixture(t, files)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	if watched {
		f.runWatched(now)
	} else {
		f.unwatched()
		f.run(now)
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"edit the newest", func() { f.write("2023/p35.md", tagged("Post 35", "2024-12-08", "t0, t0, Go", "Edited.")) }},
		{"new newest post", func() { f.write("2023/new.md", tagged("New", "2025-01-01", "t9, go", "New body.")) }},
		{"retag", func() { f.write("2020/p00.md", tagged("Post 0", "2024-01-01", "Rust", "Body 0.")) }},
		{"remove", func() { os.Remove(filepath.Join(f.dir, "2021", "p01.md")) }},
		{"draft", func() {
			f.write("2022/p02.md", "---\ntitle: Post 2\ndate: 2024-03-03\ndraft: true\ntags: [t2]\n---\nBody 2.\n")
		}},
		{"same id as another", func() {
			f.write("2023/copy.md", "---\ntitle: Copy\ndate: 2023-01-01\nid: https://example.org/2024/01/01/post-0/\ntags: [t1]\n---\nCopy.\n")
		}},
		{"date moves back", func() { f.write("2023/new.md", tagged("New", "2020-01-01", "t9, go", "New body.")) }},
		{"tag spelled anew", func() { f.write("2020/p04.md", tagged("Post 4", "2024-05-05", "GO, t4", "Body 4.")) }},
		// Post 10's HTML holds post 11's link and post 9's: when theirs
		// change, its documents must too, though its file did not.
		{"links to other posts", func() {
			f.write("2022/p10.md", tagged("Post 10", "2024-11-11", "t0", `See [eleven](../2023/p11.md) and [nine]({{< ref "p09.md" >}}).`))
		}},
		{"a linked post's link changes", func() {
			f.write("2023/p11.md", "---\ntitle: Post 11\ndate: 2024-12-12\nslug: renamed\ntags: [t1]\n---\nBody 11.\n")
		}},
		{"a linked post goes", func() { os.Remove(filepath.Join(f.dir, "2021", "p09.md")) }},
		{"and comes back", func() { f.write("2021/p09.md", tagged("Post 9", "2024-10-10", "t4", "Body 9.")) }},
	}
	for _, s := range steps {
		s.do()
		rescans := f.rescans
		f.run(now)
		if f.rescans != rescans+1 {
			t.Errorf("%s: not a rescan", s.name)
		}
		fresh := buildSnapshot(t, testConfig(f.dir), now)
		if !slices.Equal(f.snap.Paths, fresh.Paths) {
			t.Fatalf("%s: documents %v, want %v", s.name, f.snap.Paths, fresh.Paths)
		}
		for _, p := range fresh.Paths {
			if got, want := docBytes(t, f.snap.Docs[p]), docBytes(t, fresh.Docs[p]); !bytes.Equal(got, want) {
				t.Errorf("%s: %s differs from a fresh build's:\n%s\nwant\n%s", s.name, p, got, want)
			}
		}
	}
}

// TestIncrementalSeesIncludedFiles: a post's HTML holds a code file that
// a template directive includes; an edit of that file, which no watch
// event or survey stamp covers, still reaches the documents.
func TestIncrementalSeesIncludedFiles(t *testing.T) {
	for _, watched := range []bool{true, false} {
		t.Run(fmt.Sprint("watched=", watched), func(t *testing.T) {
			f := newIncrementalFixture(t, map[string]string{
				"p.md":      "---\ntitle: P\ndate: 2025-01-01\ntemplate: true\n---\n{{code \"p/main.go\"}}\n",
				"p/main.go": "package one\n",
			})
			now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
			if watched {
				f.runWatched(now)
			} else {
				f.unwatched()
				f.run(now)
			}
			if !strings.Contains(f.siteRSS(), "package one") {
				t.Fatalf("first build lacks the code:\n%s", f.siteRSS())
			}
			f.write("p/main.go", "package two\n")
			f.run(now.Add(time.Minute))
			if rss := f.siteRSS(); !strings.Contains(rss, "package two") {
				t.Fatalf("the edit did not reach the feed:\n%s", rss)
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syndicate/syndicate/internal/dirtest"
	"github.com/syndicate/syndicate/internal/logtest"
	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/pages"
)

// buildPost writes posts/build.md, the newest post, titled "Build N" and
// tagged Go, so feed.rss and every tags/go feed name the build that wrote
// them.
func buildPost(content string, n int) error {
	body := fmt.Sprintf("---\ntitle: \"Build %d\"\ndate: 2024-07-01T00:00:00Z\ntags: [\"Go\"]\n---\nWritten for build %d.%s\n", n, n, strings.Repeat(" More text.", n%5))
	return os.WriteFile(filepath.Join(content, "posts", "build.md"), []byte(body), 0o644)
}

var buildTitle = regexp.MustCompile(`Build (\d+)`)

// runBuildCmd runs `syndicate build` in-process and returns its exit code
// and stderr.
func runBuildCmd(cfgPath, out string) (int, string) {
	var stderr logtest.Buffer
	code := run(context.Background(), []string{"build", "--config", cfgPath, "--out", out}, io.Discard, &stderr)
	return code, stderr.String()
}

// TestBuildWhileServedStatically: `syndicate build` runs 20 times with
// changing content into a folder that readers (a static web server's
// view) walk and read all along. No read fails, every file is a complete,
// well-formed document, and no reader ever sees an older build after a
// newer one, across all files it reads.
func TestBuildWhileServedStatically(t *testing.T) {
	const builds, readers, readsPerBuild = 20, 4, 40
	content := copyContent(t)
	_, cfgPath := writeConfig(t, content, "")
	parent := t.TempDir()
	out := filepath.Join(parent, "public")
	mustDo(t, buildPost(content, 0))
	if code, stderr := runBuildCmd(cfgPath, out); code != exitOK {
		t.Fatalf("first build: exit %d\n%s", code, stderr)
	}

	// Files that name the build, and files that are simply read.
	named := []string{"feed.rss", "tags/go/feed.json", "tags/go/feed.atom", "feed.json"}
	var reads atomic.Int64
	var stop atomic.Bool
	errs := make(chan error, 64)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	var wg sync.WaitGroup
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := 0 // newest build this reader has seen
			check := func(rel string, b []byte) {
				if err := checkWellFormed(rel, b); err != nil {
					report(fmt.Errorf("reader %d: %s: %w", r, rel, err))
					return
				}
				m := buildTitle.FindSubmatch(b)
				if m == nil {
					// The index page, the OPML file and the discovery
					// snippets list feeds, not posts.
					if strings.HasSuffix(rel, "/"+pages.DiscoveryName) || rel == pages.DiscoveryName {
						return
					}
					if strings.Contains(rel, "go/") || !strings.Contains(rel, "/") && rel != "index.html" && rel != "feeds.opml" {
						report(fmt.Errorf("reader %d: %s names no build", r, rel))
					}
					return
				}
				n, _ := strconv.Atoi(string(m[1]))
				if n < seen {
					report(fmt.Errorf("reader %d: %s is from build %d after build %d was seen", r, rel, n, seen))
				}
				seen = max(seen, n)
			}
			for i := 0; !stop.Load(); i++ {
				if i%5 == 4 {
					// Walk the whole tree as a directory listing would.
					err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
						if err != nil {
							// A folder listed while its tree is swapped
							// out may be removed under the listing
							// (readdirent: ENOENT): the old tree goes
							// once the new one is in place. Files are
							// opened by path, so they always resolve in
							// a complete tree; only listings see this.
							if d != nil && d.IsDir() && errors.Is(err, fs.ErrNotExist) {
								return fs.SkipDir
							}
							return err
						}
						if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
							return nil
						}
						b, err := os.ReadFile(p)
						if err != nil {
							return err
						}
						rel, _ := filepath.Rel(out, p)
						check(filepath.ToSlash(rel), b)
						return nil
					})
					if err != nil {
						report(fmt.Errorf("reader %d: walking the tree: %w", r, err))
					}
				} else {
					rel := named[(i+r)%len(named)]
					b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(rel)))
					if err != nil {
						report(fmt.Errorf("reader %d: %w", r, err))
					} else {
						check(rel, b)
					}
				}
				reads.Add(1)
			}
		}()
	}

	t.Cleanup(func() { stop.Store(true); wg.Wait() }) // also after a t.Fatal below
	for n := 1; n <= builds; n++ {
		// Let the readers run between builds: counted, not timed.
		for reads.Load() < int64(n*readsPerBuild) {
			time.Sleep(100 * time.Microsecond)
		}
		mustDo(t, buildPost(content, n))
		// Another post grows and shrinks, so files change size. (The set
		// of feeds stays the same: a tag that disappears can make a
		// directory listing name a file the next tree lacks, which is
		// how any static tree behaves, torn or not.)
		second := secondPost + strings.Repeat("Grown. ", 200*(n%3))
		mustDo(t, os.WriteFile(filepath.Join(content, "posts", "second.md"), []byte(second), 0o644))
		if code, stderr := runBuildCmd(cfgPath, out); code != exitOK {
			t.Fatalf("build %d: exit %d\n%s", n, code, stderr)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "feed.rss"))
	if err != nil || !bytes.Contains(b, []byte(fmt.Sprintf("Build %d<", builds))) {
		t.Errorf("the last build is not in place: %v", err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("left beside the output folder: %v", entries)
	}
	t.Logf("%d reads during %d builds", reads.Load(), builds)
}

const secondPost = "---\ntitle: \"Second post\"\ndate: 2024-03-04T08:30:00Z\ntags: [\"Go\", \"Ünïcode tag\"]\ncategories: [\"Notes\"]\n---\nBack again.\n"

// snapshotTree records a folder's files, their mtimes and the folder's
// identity, to prove a failed build did not touch it.
type treeState struct {
	files map[string]string
	times map[string]time.Time
	info  os.FileInfo
}

func snapshotTree(t *testing.T, dir string) treeState {
	t.Helper()
	st := treeState{files: dirtest.Files(t, dir), times: map[string]time.Time{}}
	for p := range st.files {
		info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
		mustDo(t, err)
		st.times[p] = info.ModTime()
	}
	info, err := os.Stat(dir)
	mustDo(t, err)
	st.info = info
	return st
}

func (st treeState) same(t *testing.T, dir string) error {
	t.Helper()
	now := snapshotTree(t, dir)
	if !os.SameFile(st.info, now.info) {
		return errors.New("the output folder was replaced")
	}
	if !maps.Equal(st.files, now.files) {
		return errors.New("files changed")
	}
	for p, tm := range st.times {
		if !now.times[p].Equal(tm) {
			return fmt.Errorf("%s: modification time changed", p)
		}
	}
	return nil
}

// TestFailedBuildLeavesOutputUntouched: a build that fails, before or
// while writing, exits 1 with its reason and leaves the previous output
// exactly as it was (same folder, files and times), with nothing left
// beside it.
func TestFailedBuildLeavesOutputUntouched(t *testing.T) {
	tests := []struct {
		name        string
		break_, fix func(t *testing.T, content string)
		reason      string
	}{
		{
			"content folder missing",
			func(t *testing.T, content string) { mustDo(t, os.Rename(content, content+".away")) },
			func(t *testing.T, content string) { mustDo(t, os.Rename(content+".away", content)) },
			"content directory",
		},
		{
			"content folder is a file",
			func(t *testing.T, content string) {
				mustDo(t, os.Rename(content, content+".away"))
				mustDo(t, os.WriteFile(content, nil, 0o644))
			},
			func(t *testing.T, content string) {
				mustDo(t, os.Remove(content))
				mustDo(t, os.Rename(content+".away", content))
			},
			"not a directory",
		},
		{
			// The feeds outgrow the limit; the publication state's files,
			// written first, stay under it.
			"disk full while writing",
			func(t *testing.T, content string) {
				body := "---\ntitle: \"Build 1\"\ndate: 2024-07-01T00:00:00Z\ntags: [\"Go\"]\n---\n" + strings.Repeat("Written for build 1. ", 20000) + "\n"
				mustDo(t, os.WriteFile(filepath.Join(content, "posts", "build.md"), []byte(body), 0o644))
				limitFileSize(t, 128<<10)
			},
			func(t *testing.T, content string) { unlimitFileSize(t) },
			"file too large",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			content := copyContent(t)
			_, cfgPath := writeConfig(t, content, "")
			parent := t.TempDir()
			out := filepath.Join(parent, "public")
			if code, stderr := runBuildCmd(cfgPath, out); code != exitOK {
				t.Fatalf("first build: exit %d\n%s", code, stderr)
			}
			before := snapshotTree(t, out)
			mustDo(t, buildPost(content, 1)) // the failed build would change the feeds

			tc.break_(t, content)
			code, stderr := runBuildCmd(cfgPath, out)
			tc.fix(t, content)
			if code != exitFailed || !strings.Contains(stderr, tc.reason) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, exitFailed, tc.reason, stderr)
			}
			if err := before.same(t, out); err != nil {
				t.Error(err)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 1 {
				t.Errorf("left beside the output folder: %v", entries)
			}
			// And the next build, with the cause gone, goes through.
			if code, stderr := runBuildCmd(cfgPath, out); code != exitOK {
				t.Fatalf("build after the fault: exit %d\n%s", code, stderr)
			}
			if b, _ := os.ReadFile(filepath.Join(out, "feed.rss")); !bytes.Contains(b, []byte("Build 1<")) {
				t.Error("the build after the fault did not write the new post")
			}
		})
	}
}

// ageTree puts every file's mtime an hour back, so the cache trusts it
// without confirming by hash.
func ageTree(t *testing.T, root string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
}

func runCmd(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, errb.String()
}

func TestBuildCacheBetweenRuns(t *testing.T) {
	content := copyContent(t)
	ageTree(t, content)
	cacheDir := filepath.Join(t.TempDir(), "cache")
	_, cfgPath := writeConfig(t, content, "cache_dir: "+cacheDir+"\n")
	out := filepath.Join(t.TempDir(), "out")

	if code, stderr := runCmd(t, "build", "--config", cfgPath, "--out", out); code != 0 {
		t.Fatalf("first build: %d\n%s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(cacheDir, "posts-*.cache"))
	if len(files) != 1 {
		t.Fatalf("cache files in cache_dir: %v", files)
	}
	first, _ := os.ReadFile(filepath.Join(out, "feed.atom"))

	// Corrupt the cache: the next build warns, discards it and still works.
	os.WriteFile(files[0], []byte("garbage"), 0o644)
	code, stderr := runCmd(t, "build", "--config", cfgPath, "--out", out)
	if code != 0 || !strings.Contains(stderr, "discarding cache") {
		t.Fatalf("corrupt cache: exit %d, stderr:\n%s", code, stderr)
	}
	// The rebuilt cache is used, and gives the same bytes.
	code, stderr = runCmd(t, "build", "--config", cfgPath, "--out", out)
	if code != 0 || strings.Contains(stderr, "cache") {
		t.Fatalf("warm build: exit %d, stderr:\n%s", code, stderr)
	}
	second, _ := os.ReadFile(filepath.Join(out, "feed.atom"))
	if !bytes.Equal(first, second) {
		t.Error("a build from the cache wrote different bytes")
	}

	// --no-cache neither reads nor complains about a bad cache.
	os.WriteFile(files[0], []byte("garbage"), 0o644)
	code, stderr = runCmd(t, "build", "--config", cfgPath, "--out", out, "--no-cache")
	if code != 0 || strings.Contains(stderr, "cache") {
		t.Fatalf("--no-cache: exit %d, stderr:\n%s", code, stderr)
	}
}

func TestBuildCacheSeesEditsAndConfigChanges(t *testing.T) {
	content := copyContent(t)
	ageTree(t, content)
	cacheDir := filepath.Join(t.TempDir(), "cache")
	_, cfgPath := writeConfig(t, content, "cache_dir: "+cacheDir+"\n")
	out := filepath.Join(t.TempDir(), "out")
	if code, stderr := runCmd(t, "build", "--config", cfgPath, "--out", out); code != 0 {
		t.Fatalf("build: %d\n%s", code, stderr)
	}

	// Edit one post: the next build shows the edit.
	post := filepath.Join(content, "posts", "first.md")
	data, err := os.ReadFile(post)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(post, append(data, []byte("\n\nA sentence added by the test.\n")...), 0o644)
	if code, stderr := runCmd(t, "build", "--config", cfgPath, "--out", out); code != 0 {
		t.Fatalf("build: %d\n%s", code, stderr)
	}
	feed, _ := os.ReadFile(filepath.Join(out, "feed.json"))
	if !bytes.Contains(feed, []byte("A sentence added by the test.")) {
		t.Error("an edited post was served from the cache")
	}

	// A new site.url changes every link: the cache must not hide that.
	cfgData, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, bytes.ReplaceAll(cfgData, []byte("https://example.org/"), []byte("https://moved.example/")), 0o644)
	if code, stderr := runCmd(t, "build", "--config", cfgPath, "--out", out); code != 0 {
		t.Fatalf("build: %d\n%s", code, stderr)
	}
	feed, _ = os.ReadFile(filepath.Join(out, "feed.json"))
	if bytes.Contains(feed, []byte("https://example.org/")) || !bytes.Contains(feed, []byte("https://moved.example/")) {
		t.Error("links from the old site.url survived a config change")
	}
}

// TestCachedBuildsMatchUncached: the cache keeps rendered posts' sums,
// not their HTML, so a build after an edit renders the other posts of
// the documents it rewrites from their files. After each step the output
// must equal a --no-cache build's, file for file.
func TestCachedBuildsMatchUncached(t *testing.T) {
	content := filepath.Join(t.TempDir(), "content")
	files := map[string]string{}
	for i := range 12 {
		tag := []string{"go", "web", "notes"}[i%3]
		files[fmt.Sprintf("posts/p%02d.md", i)] = fmt.Sprintf("---\ntitle: Post %d\ndate: 2024-01-%02dT10:00:00Z\ntags: [%s]\n---\nBody of post %d with a [link](/x/%d/).\n", i, i+1, tag, i, i)
	}
	for name, text := range files {
		p := filepath.Join(content, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(text), 0o644)
	}
	ageTree(t, content)
	cacheDir := filepath.Join(t.TempDir(), "cache")
	_, cfgPath := writeConfig(t, content, "cache_dir: "+cacheDir+"\nfeeds:\n  limit: 3\n")
	out, ref := filepath.Join(t.TempDir(), "out"), filepath.Join(t.TempDir(), "ref")
	edit := func(name, text string) func() {
		return func() {
			p := filepath.Join(content, filepath.FromSlash(name))
			os.WriteFile(p, []byte(text), 0o644)
			ageTree(t, content)
		}
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"first build", func() {}},
		{"nothing changed", func() {}},
		{"newest post edited", edit("posts/p11.md", "---\ntitle: Post 11 edited\ndate: 2024-01-12T10:00:00Z\ntags: [notes]\n---\nNew body.\n")},
		{"old post moved to the top", edit("posts/p00.md", "---\ntitle: Post 0\ndate: 2024-02-01T10:00:00Z\ntags: [go, web]\n---\nBody of post 0, now newest.\n")},
		{"post removed", func() { os.Remove(filepath.Join(content, "posts", "p10.md")) }},
		{"output folder removed", func() { os.RemoveAll(out) }},
	}
	for _, s := range steps {
		s.do()
		if code, stderr := runCmd(t, "build", "--config", cfgPath, "--out", out); code != 0 {
			t.Fatalf("%s: cached build: %d\n%s", s.name, code, stderr)
		}
		os.RemoveAll(ref)
		if code, stderr := runCmd(t, "build", "--config", cfgPath, "--out", ref, "--no-cache"); code != 0 {
			t.Fatalf("%s: uncached build: %d\n%s", s.name, code, stderr)
		}
		got, want := dirtest.Files(t, out, outtree.MarkerName), dirtest.Files(t, ref, outtree.MarkerName)
		if len(got) != len(want) {
			t.Fatalf("%s: %d documents, uncached %d", s.name, len(got), len(want))
		}
		for p, w := range want {
			if got[p] != w {
				t.Errorf("%s: %s differs from the uncached build", s.name, p)
			}
		}
	}
}

// directiveSyntax is what no document may hold once its HTML is decoded:
// the openers of every dialect's directives.
var directiveSyntax = []string{
	"{{<", "{{%", "{%", "%}", ">}}",
	"{{raw", "{{image", "{{code", "{{play", "{{video", "{{iframe",
	"{{ site.", "{{ page.", "{{site.", "{{page.",
}

// TestBlogDirectives builds each blog of testdata/corpora written for the
// Go website, Jekyll and Hugo, cold and then from the cache: every post
// is published, no directive reaches any document, and each directive
// that could not be resolved is reported exactly once per build.
func TestBlogDirectives(t *testing.T) {
	for _, c := range []struct {
		blog  string
		posts int
		warns []string
	}{
		{"goblog", 5, []string{
			`survey2019-results.md:32: template action {{iframe "https://example.org/embedded-chart"}} removed: not a directive syndicate knows (raw, image, video, code, play)`,
		}},
		{"jekyll", 3, []string{
			`_posts/2014-11-05-jekyll-2-5-0-released.md:12: Liquid {% capture %} block removed with its content`,
			`_posts/2014-11-05-jekyll-2-5-0-released.md:13: Liquid {% assign %} tag removed`,
			`_posts/2015-10-26-jekyll-3-0-released.md:17: Liquid {% comment %} block removed with its content`,
			`_posts/2015-10-26-jekyll-3-0-released.md:24: Liquid {% if %} block removed with its content`,
			`_posts/2015-10-26-jekyll-3-0-released.md:28: Liquid {% for %} block removed with its content`,
			`_posts/2016-03-10-making-it-easier-to-contribute.md:12: Liquid link "_docs/history.md" names no published post`,
			`_posts/2016-03-10-making-it-easier-to-contribute.md:15: Liquid {% include %} tag removed`,
		}},
		{"hugo", 3, []string{
			`posts/second-night.md:7: unresolved Hugo shortcode "notice"`,
			`posts/second-night.md:11: unresolved Hugo shortcode "blog/integration-badge"`,
			`posts/second-night.md:17: Hugo ref "third-night.md" names no published post`,
		}},
	} {
		t.Run(c.blog, func(t *testing.T) {
			cfgPath := filepath.Join("..", "..", "testdata", "corpora", c.blog, "config.yaml")
			cacheDir := filepath.Join(t.TempDir(), "cache")
			cfgCopy := filepath.Join(t.TempDir(), "config.yaml")
			data, err := os.ReadFile(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			abs, _ := filepath.Abs(filepath.Dir(cfgPath))
			text := strings.Replace(string(data), `content_dir: "content"`, `content_dir: "`+filepath.Join(abs, "content")+`"`, 1)
			os.WriteFile(cfgCopy, []byte(text+"cache_dir: "+cacheDir+"\n"), 0o644)
			for _, run := range []string{"cold", "cached"} {
				out := filepath.Join(t.TempDir(), "out")
				code, stderr := runCmd(t, "build", "--config", cfgCopy, "--out", out, "--strict")
				if code != 0 {
					t.Fatalf("%s build: exit %d\n%s", run, code, stderr)
				}
				var warns []string
				for _, l := range strings.Split(stderr, "\n") {
					if w, ok := strings.CutPrefix(l, "warning: "); ok {
						warns = append(warns, w)
					}
				}
				slices.Sort(warns)
				want := slices.Sorted(slices.Values(c.warns))
				if !slices.Equal(warns, want) {
					t.Errorf("%s build: warnings\n%s\nwant each once:\n%s", run, strings.Join(warns, "\n"), strings.Join(want, "\n"))
				}
				if !strings.Contains(stderr, " posts read, "+strconv.Itoa(c.posts)+" published,") {
					t.Errorf("%s build: not every post published:\n%s", run, stderr)
				}
				checkNoDirectives(t, out)
			}
		})
	}
}

// checkNoDirectives decodes every document's text (XML escapes twice, as
// HTML inside XML; JSON strings, then HTML) and looks for directive
// syntax in it.
func checkNoDirectives(t *testing.T, out string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		n++
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var text string
		if strings.HasSuffix(p, ".json") {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			var b strings.Builder
			var walk func(any)
			walk = func(v any) {
				switch x := v.(type) {
				case string:
					b.WriteString(html.UnescapeString(x) + "\n")
				case []any:
					for _, e := range x {
						walk(e)
					}
				case map[string]any:
					for _, e := range x {
						walk(e)
					}
				}
			}
			walk(v)
			text = b.String()
		} else {
			text = html.UnescapeString(html.UnescapeString(string(body)))
		}
		for _, s := range directiveSyntax {
			if i := strings.Index(text, s); i >= 0 {
				t.Errorf("%s holds %q: …%s…", p, s, text[max(0, i-60):min(len(text), i+60)])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no documents in %s", out)
	}
}

// TestBuildTagBomb: a post naming 60,000 tags is published with its first
// 100 (terms_per_post) and a warning naming it; a site that lifts that
// limit and the feeds limit fails at the output limit with exit 1, naming
// the post, and the previous output stays as it was.
func TestBuildTagBomb(t *testing.T) {
	content := t.TempDir()
	var tags strings.Builder
	for i := range 60000 {
		fmt.Fprintf(&tags, "\n  - t%d", i)
	}
	os.WriteFile(filepath.Join(content, "good.md"), []byte("---\ntitle: Good\ndate: 2024-05-01\ntags: [go]\n---\nBody.\n"), 0o644)
	os.WriteFile(filepath.Join(content, "bomb.md"), []byte("---\ntitle: Bomb\ndate: 2024-05-02\ntags:"+tags.String()+"\n---\nBody.\n"), 0o644)
	out := filepath.Join(t.TempDir(), "public")
	build := func(extra string) (int, string) {
		_, cfgPath := writeConfig(t, content, extra)
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"build", "--no-cache", "--config", cfgPath, "--out", out}, &bytes.Buffer{}, &stderr)
		return code, stderr.String()
	}
	start := time.Now()
	code, stderr := build("")
	t.Logf("with the default limits: %s", time.Since(start))
	if code != 0 || !strings.Contains(stderr, "bomb.md: 60000 tags, more than the limit of 100") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	feeds, _ := os.ReadDir(filepath.Join(out, "tags"))
	if len(feeds) != 101 {
		t.Errorf("%d tag feeds, want 101 (the bomb's first 100 and go)", len(feeds))
	}
	before, _ := os.ReadFile(filepath.Join(out, ".syndicate-output"))
	start = time.Now()
	code, stderr = build("limits:\n  terms_per_post: 100000\n  feeds: 100000\n  output_bytes: 10485760\n")
	if code != 1 || !strings.Contains(stderr, "limits.output_bytes") || !strings.Contains(stderr, "bomb.md") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	t.Logf("over the output limit: %s", time.Since(start))
	after, _ := os.ReadFile(filepath.Join(out, ".syndicate-output"))
	if !bytes.Equal(before, after) {
		t.Error("a build over the output limit replaced the output")
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("left beside the output: %v", entries)
	}
}

// TestBuildPublicationState: build keeps ids through the state in
// state_dir, with or without --no-cache; a file's modification time is
// when its bytes last changed; and a build while serve has the same
// state_dir open is refused with a message naming it, leaving the
// output as it was.
func TestBuildPublicationState(t *testing.T) {
	content := filepath.Join(t.TempDir(), "content")
	mustDo(t, os.MkdirAll(filepath.Join(content, "posts"), 0o755))
	post := func(date string) {
		mustDo(t, os.WriteFile(filepath.Join(content, "posts", "p.md"),
			[]byte("---\ntitle: P\ndate: "+date+"\ntags: [Go]\n---\nBody.\n"), 0o644))
	}
	stateDir := filepath.Join(t.TempDir(), "state")
	_, cfgPath := writeConfig(t, content, fmt.Sprintf("state_dir: %q\n", stateDir))
	out := filepath.Join(t.TempDir(), "public")
	guid := func() string {
		b, err := os.ReadFile(filepath.Join(out, "feed.rss"))
		mustDo(t, err)
		m := regexp.MustCompile(`<guid[^>]*>([^<]+)</guid>`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no guid in\n%s", b)
		}
		return string(m[1])
	}
	mtime := func() time.Time {
		info, err := os.Stat(filepath.Join(out, "feed.rss"))
		mustDo(t, err)
		return info.ModTime()
	}
	post("2024-08-20")
	if code, stderr := runBuildCmd(cfgPath, out); code != exitOK {
		t.Fatalf("build: %d\n%s", code, stderr)
	}
	id := guid()
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	began := time.Now().Truncate(time.Second)
	post("2024-08-19")
	var stderr logtest.Buffer
	if code := run(context.Background(), []string{"build", "--no-cache", "--config", cfgPath, "--out", out}, io.Discard, &stderr); code != exitOK {
		t.Fatalf("build --no-cache: %d\n%s", code, stderr.String())
	}
	if got := guid(); got != id {
		t.Errorf("date corrected: guid %s, was %s", got, id)
	}
	if m := mtime(); m.Before(began) {
		t.Errorf("feed.rss changed, but its modification time is %v (the item's date), not from %v on", m, began)
	}
	changedAt := mtime()
	if code, stderr := runBuildCmd(cfgPath, out); code != exitOK || !mtime().Equal(changedAt) {
		t.Errorf("unchanged build: exit %d, mtime %v, want %v\n%s", code, mtime(), changedAt, stderr)
	}

	// serve holds the state: a build is refused, loudly.
	_, serveCfg := writeConfig(t, content, fmt.Sprintf("state_dir: %q\n", stateDir))
	base, _, stop := startServe(t, "--config", serveCfg)
	waitReady(t, base+"/readyz")
	post("2024-08-18")
	code, msg := runBuildCmd(cfgPath, out)
	if code != exitFailed || !strings.Contains(msg, stateDir) || !strings.Contains(msg, "in use by another syndicate process") {
		t.Errorf("build while serve runs: exit %d, stderr %q; want 1 naming %s", code, msg, stateDir)
	}
	if !mtime().Equal(changedAt) {
		t.Error("the refused build changed the output")
	}
	stop()
	if code, stderr := runBuildCmd(cfgPath, out); code != exitOK {
		t.Errorf("build after serve stopped: %d\n%s", code, stderr)
	}
}

func TestCacheDirMustNotBeInsideContentOrOutput(t *testing.T) {
	content := copyContent(t)
	for _, dir := range []string{filepath.Join(content, "cache"), "public/cache"} {
		_, cfgPath := writeConfig(t, content, "cache_dir: "+dir+"\n")
		code, stderr := runCmd(t, "build", "--config", cfgPath)
		if code != exitUsage || !strings.Contains(stderr, "cache_dir") {
			t.Errorf("cache_dir %s: exit %d, stderr %q", dir, code, stderr)
		}
	}
}

// TestFoldersCheckedResolved: the folder rules compare absolute paths,
// with the config named relative to a working directory that is not its
// folder (cache_dir: public/cache beside output_dir: public used to pass).
func TestFoldersCheckedResolved(t *testing.T) {
	content := copyContent(t)
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ yaml, key string }{
		{"output_dir: public\ncache_dir: public/cache\n", "cache_dir"},
		{"output_dir: ./public/\ncache_dir: public/../public/cache\n", "cache_dir"},
		{"output_dir: public\ncache_dir: public\n", "cache_dir"},
		{"output_dir: " + content + "/../" + filepath.Base(content) + "/out\n", "output_dir"},
		{"output_dir: " + filepath.Dir(content) + "\n", "content_dir"},
		{"output_dir: /\n", "output_dir: / is the root"},
		{"output_dir: " + home + "/\n", "output_dir: " + filepath.Clean(home) + " is the root or home"},
		{"output_dir: public\ncache_dir: cache\n", ""},
	} {
		t.Run(tc.yaml, func(t *testing.T) {
			site := filepath.Join(t.TempDir(), "site")
			if err := os.MkdirAll(site, 0o755); err != nil {
				t.Fatal(err)
			}
			yaml := fmt.Sprintf("site:\n  url: https://example.org/\ncontent_dir: %q\n%s", content, tc.yaml)
			if err := os.WriteFile(filepath.Join(site, "config.yaml"), []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Chdir(filepath.Dir(site))
			code, stderr := runCmd(t, "build", "--config", "site/config.yaml")
			if tc.key == "" {
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				return
			}
			if code != exitUsage || !strings.Contains(stderr, "config: "+tc.key) {
				t.Errorf("exit %d, stderr %q; want %d naming %s", code, stderr, exitUsage, tc.key)
			}
			if _, err := os.Stat(filepath.Join(site, "public")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused build wrote its output: %v", err)
			}
		})
	}
}

// TestBuildAuthors builds posts that credit authors the ways exports do
// (a login name, "Name <mail>", a map with an email key, an address
// alone, in YAML and TOML), first with no authors: config, then with one
// giving display names and pages (the same state, as a site upgrading
// would): no document ever holds an address but the one made public,
// and every author feed keeps its address and id when a display name is
// configured.
func TestBuildAuthors(t *testing.T) {
	content := t.TempDir()
	posts := map[string]string{
		"login.md":  "---\ntitle: Login\ndate: 2024-05-01\nauthor: jdoe\n---\nBody.\n",
		"angle.md":  "---\ntitle: Angle\ndate: 2024-05-02\nauthor: \"Max Mustermann <max@example.org>\"\n---\nBody.\n",
		"map.md":    "---\ntitle: Map\ndate: 2024-05-03\nauthor:\n  name: Kim\n  email: kim@example.org\n---\nBody.\n",
		"alone.md":  "---\ntitle: Alone\ndate: 2024-05-04\nauthor: editors@example.org\n---\nBody.\n",
		"hugo.md":   "+++\ntitle = \"Hugo\"\ndate = 2024-05-05\nauthors = [\"jdoe\", \"ann@example.org\"]\n+++\nBody.\n",
		"mapped.md": "---\ntitle: Mapped\ndate: 2024-05-06\nauthor:\n  name: J. Doe\n  email: jane@example.org\n---\nBody.\n",
	}
	for name, text := range posts {
		if err := os.WriteFile(filepath.Join(content, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	addresses := regexp.MustCompile(`[a-z]+@example\.org`)
	state := "state_dir: " + strconv.Quote(filepath.Join(t.TempDir(), "state")) + "\n"
	build := func(extra string) map[string]string {
		t.Helper()
		_, cfgPath := writeConfig(t, content, state+extra)
		out := filepath.Join(t.TempDir(), "out")
		if code, stderr := runCmd(t, "build", "--config", cfgPath, "--out", out, "--no-cache"); code != 0 {
			t.Fatalf("build: exit %d\n%s", code, stderr)
		}
		return dirtest.Files(t, out, outtree.MarkerName)
	}
	atomID := regexp.MustCompile(`<id>([^<]*)</id>`)

	plain := build("")
	for path, text := range plain {
		if m := addresses.FindAllString(text, -1); m != nil {
			t.Errorf("no authors config: %s publishes %q", path, m)
		}
	}
	for _, dir := range []string{"authors/jdoe/", "authors/max-mustermann/", "authors/kim/", "authors/j-doe/"} {
		if plain[dir+"feed.atom"] == "" {
			t.Errorf("no authors config: no feed %s", dir)
		}
	}
	if plain["authors/editors-example-org/feed.atom"] != "" || plain["authors/ann-example-org/feed.atom"] != "" {
		t.Error("an author known only by an address has a feed")
	}

	configured := build(`authors:
  jdoe:
    name: Jane Doe
    url: /about/jane/
    email: jane@example.org
  editors@example.org:
    name: The Editors
  kim:
    email_public: true
`)
	for path, text := range configured {
		for _, addr := range addresses.FindAllString(text, -1) {
			if addr != "kim@example.org" {
				t.Errorf("configured: %s publishes %s", path, addr)
			}
		}
	}
	if !strings.Contains(configured["authors/kim/feed.atom"], "<email>kim@example.org</email>") {
		t.Error("kim's public address is not in kim's feed")
	}
	jane := configured["authors/jdoe/feed.atom"]
	for _, want := range []string{"<title>Test site – author: Jane Doe</title>", `<link href="https://example.org/about/jane/" rel="alternate"`} {
		if !strings.Contains(jane, want) {
			t.Errorf("Jane's feed lacks %s:\n%s", want, jane)
		}
	}
	// The feeds subscribers know stay where they were, with their ids.
	for _, dir := range []string{"authors/jdoe/", "authors/max-mustermann/", "authors/kim/", "authors/j-doe/"} {
		before, after := atomID.FindStringSubmatch(plain[dir+"feed.atom"]), atomID.FindStringSubmatch(configured[dir+"feed.atom"])
		if before == nil || after == nil || before[1] != after[1] {
			t.Errorf("%s: id %q before the config, %q after", dir, before, after)
		}
	}
	// "J. Doe <jane@example.org>" is presented as Jane Doe by her address,
	// in a feed of its own; the editors' address gets a feed once named.
	if !strings.Contains(configured["authors/j-doe/feed.atom"], "<name>Jane Doe</name>") {
		t.Error("a spelling matched by address is not presented by the entry")
	}
	if !strings.Contains(configured["authors/editors-example-org/feed.atom"], "author: The Editors") {
		t.Error("the editors' feed is not named by the config")
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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
		got, want := readTree(t, out), readTree(t, ref)
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

// readTree maps every document under dir (not the marker) to its text.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := treeFiles(t, dir)
	delete(m, ".syndicate-output")
	return m
}

package main

import (
	"bytes"
	"context"
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

package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

const cachePost = "---\ntitle: \"Cached\"\ndate: 2024-01-02\ntags: [a, b]\n---\nHello *world* with [a link](/x/).\n"

// ageFiles sets every file's mtime an hour back, past the racy window.
func ageFiles(t testing.TB, root string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
}

func scanRender(t testing.TB, root string, cfg Config) (*Scanner, *Result) {
	t.Helper()
	sc, err := NewScanner(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sc.Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var todo []*Post
	for _, p := range res.Posts {
		if !p.Rendered() {
			todo = append(todo, p)
		}
	}
	if errs := sc.Render(context.Background(), todo); len(errs) > 0 {
		t.Fatalf("render: %v", errs)
	}
	return sc, res
}

// eachCache runs test with caches that keep copies of the posts a scan
// reads and with caches that keep the posts themselves (ShareScanned),
// which also keep them apart from their entries until the next scan: kind
// makes a new or loaded cache one of the kind.
func eachCache(t *testing.T, test func(t *testing.T, kind func(*Cache) *Cache)) {
	for _, share := range []bool{false, true} {
		t.Run(fmt.Sprintf("share=%v", share), func(t *testing.T) {
			test(t, func(c *Cache) *Cache {
				if share {
					c.ShareScanned()
				}
				return c
			})
		})
	}
}

func TestCacheSkipsUnchangedFiles(t *testing.T) {
	eachCache(t, func(t *testing.T, kind func(*Cache) *Cache) {
		root := writeTree(t, map[string]string{"a.md": cachePost, "b.md": cachePost, "bad.md": "---\ntitle: [\n---\n"})
		ageFiles(t, root)
		cfg := testConfig()
		cfg.Cache = kind(NewCache())

		sc1, res1 := scanRender(t, root, cfg)
		if got := sc1.reads.Load(); got != 3+2 { // three scanned, two rendered
			t.Fatalf("first build read %d files, want 5", got)
		}
		sc2, res2 := scanRender(t, root, cfg)
		if got := sc2.reads.Load(); got != 0 {
			t.Errorf("second build read %d files, want 0", got)
		}
		if !reflect.DeepEqual(res1, res2) {
			t.Errorf("cached scan differs:\nfirst  %+v\nsecond %+v", res1, res2)
		}
		if len(res2.Skipped) != 1 || res2.Skipped[0].Path != "bad.md" {
			t.Errorf("cached skip lost: %v", res2.Skipped)
		}
		if res2.Posts[0] == res1.Posts[0] {
			t.Error("scans share a Post; each scan must get its own copy")
		}
	})
}

func TestCacheRereadsChangedFiles(t *testing.T) {
	eachCache(t, func(t *testing.T, kind func(*Cache) *Cache) {
		root := writeTree(t, map[string]string{"a.md": cachePost, "b.md": cachePost})
		ageFiles(t, root)
		cfg := testConfig()
		cfg.Cache = kind(NewCache())
		scanRender(t, root, cfg)

		// Same size, new mtime, new text: read and rendered again.
		edited := []byte(cachePost[:len(cachePost)-6] + "Earth\n")
		if len(edited) != len(cachePost) {
			t.Fatal("test edit must keep the size")
		}
		os.WriteFile(filepath.Join(root, "a.md"), edited, 0o644)
		sc, res := scanRender(t, root, cfg)
		if got := sc.reads.Load(); got != 2 { // a.md scanned and rendered; a fresh mtime is confirmed by hash
			t.Errorf("read %d files, want 2", got)
		}
		for _, p := range res.Posts {
			if p.Path == "a.md" && !strings.Contains(p.ContentHTML, "Earth") {
				t.Errorf("a.md not re-rendered: %s", p.ContentHTML)
			}
		}

		// Deleted files disappear from the cache, also one the last scan
		// read.
		os.Remove(filepath.Join(root, "a.md"))
		scanRender(t, root, cfg)
		if cfg.Cache.Len() != 1 {
			t.Errorf("cache holds %d files after a deletion, want 1", cfg.Cache.Len())
		}
	})
}

func TestCacheConfirmsRacyEntriesByHash(t *testing.T) {
	eachCache(t, func(t *testing.T, kind func(*Cache) *Cache) {
		root := writeTree(t, map[string]string{"a.md": cachePost})
		cfg := testConfig()
		cfg.Cache = kind(NewCache())
		scanRender(t, root, cfg) // fresh mtime: entry not trusted yet

		// Rewrite with other text of the same size and put the same mtime back:
		// only the content hash can tell.
		full := filepath.Join(root, "a.md")
		info, _ := os.Stat(full)
		edited := []byte(cachePost[:len(cachePost)-6] + "Earth\n")
		os.WriteFile(full, edited, 0o644)
		os.Chtimes(full, info.ModTime(), info.ModTime())

		_, res := scanRender(t, root, cfg)
		if !strings.Contains(res.Posts[0].ContentHTML, "Earth") {
			t.Errorf("same-mtime edit of a recent file was missed: %s", res.Posts[0].ContentHTML)
		}
	})
}

func TestCacheInvalidatedByConfig(t *testing.T) {
	eachCache(t, func(t *testing.T, kind func(*Cache) *Cache) {
		root := writeTree(t, map[string]string{"a.md": cachePost})
		ageFiles(t, root)
		cfg := testConfig()
		cfg.Cache = kind(NewCache())
		scanRender(t, root, cfg)
		cfg.SiteURL = "https://other.example/"
		sc, res := scanRender(t, root, cfg)
		if sc.reads.Load() == 0 {
			t.Error("a config change must not reuse the cache")
		}
		if got := res.Posts[0].Link; got != "https://other.example/2024/01/02/a/" {
			t.Errorf("link = %s", got)
		}
		cfg.CacheKey = "another version"
		if sc, _ := scanRender(t, root, cfg); sc.reads.Load() == 0 {
			t.Error("a new CacheKey must not reuse the cache")
		}
	})
}

func TestCacheSaveLoad(t *testing.T) {
	eachCache(t, func(t *testing.T, kind func(*Cache) *Cache) {
		root := writeTree(t, map[string]string{"a.md": cachePost, "b.md": "---\ntitle: B\ndate: 2024-03-01T10:00:00+02:00\nauthor: {name: X, email: x@example.org}\ndescription: sum\n---\nbody\n", "bad.md": "---\ntitle: x\n"})
		ageFiles(t, root)
		cfg := testConfig()
		cfg.Cache = kind(NewCache())
		_, res1 := scanRender(t, root, cfg)
		path := filepath.Join(t.TempDir(), "sub", "cache.bin")
		if err := cfg.Cache.Save(path); err != nil {
			t.Fatal(err)
		}
		loaded, err := LoadCache(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Cache = kind(loaded)
		sc, res2 := scanRender(t, root, cfg)
		if sc.reads.Load() != 0 {
			t.Errorf("a loaded cache read %d files", sc.reads.Load())
		}
		if len(res1.Posts) != len(res2.Posts) {
			t.Fatalf("posts: %d vs %d", len(res1.Posts), len(res2.Posts))
		}
		for i := range res1.Posts {
			a, b := *res1.Posts[i], *res2.Posts[i]
			if !a.Published.Equal(b.Published) || !a.Updated.Equal(b.Updated) || !a.modTime.Equal(b.modTime) {
				t.Errorf("times differ for %s", a.Path)
			}
			a.Published, a.Updated, a.modTime = time.Time{}, time.Time{}, time.Time{}
			b.Published, b.Updated, b.modTime = time.Time{}, time.Time{}, time.Time{}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("post differs after Save/Load:\n%+v\n%+v", a, b)
			}
		}
		if len(res2.Skipped) != 1 || res2.Skipped[0].Error() != res1.Skipped[0].Error() {
			t.Errorf("skipped after load: %v, before: %v", res2.Skipped, res1.Skipped)
		}
	})
}

func TestLoadCacheRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	c := NewCache()
	c.reset("k")
	c.add("a.md", cacheEntry{size: 1, post: &Post{Path: "a.md", Title: "T"}})
	good := filepath.Join(dir, "good")
	if err := c.Save(good); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x40
	cases := map[string][]byte{
		"flipped byte": flipped,
		"truncated":    data[:len(data)-7],
		"foreign":      []byte("PK\x03\x04 not a cache at all"),
		"empty":        {},
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			os.WriteFile(p, b, 0o644)
			c, err := LoadCache(p)
			if !errors.Is(err, ErrCacheInvalid) {
				t.Errorf("err = %v, want ErrCacheInvalid", err)
			}
			if c == nil || c.Len() != 0 {
				t.Error("a bad cache file must give an empty cache")
			}
		})
	}
	if c, err := LoadCache(filepath.Join(dir, "missing")); err != nil || c.Len() != 0 {
		t.Errorf("missing file: %v", err)
	}
}

// TestCacheRereadsRestoredMtime: an edit of the same size whose old
// modification time was put back (touch -r, some sync tools) still moves
// the change time, and the file is read again.
func TestCacheRereadsRestoredMtime(t *testing.T) {
	eachCache(t, func(t *testing.T, kind func(*Cache) *Cache) {
		root := writeTree(t, map[string]string{"a.md": cachePost})
		ageFiles(t, root)
		cfg := testConfig()
		cfg.Cache = kind(NewCache())
		scanRender(t, root, cfg)

		p := filepath.Join(root, "a.md")
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		edited := []byte(cachePost[:len(cachePost)-6] + "Earth\n")
		time.Sleep(10 * time.Millisecond) // let the change time move on a coarse clock
		if err := os.WriteFile(p, edited, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, info.ModTime(), info.ModTime()); err != nil {
			t.Fatal(err)
		}
		if _, _, ok := changeTime(info); !ok {
			t.Skip("no change times on this system")
		}
		_, res := scanRender(t, root, cfg)
		if len(res.Posts) != 1 || !strings.Contains(res.Posts[0].ContentHTML, "Earth") {
			t.Errorf("edit with a restored mtime not read: %+v", res.Posts)
		}
	})
}

// TestCacheSaveOnlyWhenChanged: a cache loaded and used by a scan that
// found nothing new is not written again; one that learnt something is.
func TestCacheSaveOnlyWhenChanged(t *testing.T) {
	eachCache(t, func(t *testing.T, kind func(*Cache) *Cache) {
		root := writeTree(t, map[string]string{"a.md": cachePost, "b.md": cachePost})
		ageFiles(t, root)
		cfg := testConfig()
		cfg.Cache = kind(NewCache())
		scanRender(t, root, cfg)
		path := filepath.Join(t.TempDir(), "cache.bin")
		if err := cfg.Cache.Save(path); err != nil {
			t.Fatal(err)
		}
		// Save replaces the file by renaming a new one over it.
		inode := func() os.FileInfo {
			t.Helper()
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			return info
		}
		before := inode()
		loaded, err := LoadCache(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Cache = kind(loaded)
		scanRender(t, root, cfg)
		if err := loaded.Save(path); err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(inode(), before) {
			t.Error("an unchanged cache was written again")
		}
		os.WriteFile(filepath.Join(root, "b.md"), []byte(cachePost+"\nmore\n"), 0o644)
		scanRender(t, root, cfg)
		if n := loaded.Len(); n != 2 {
			t.Errorf("cache holds %d entries for 2 files", n)
		}
		if err := loaded.Save(path); err != nil {
			t.Fatal(err)
		}
		if os.SameFile(inode(), before) {
			t.Error("a cache that read a changed file was not written")
		}
		if c, err := LoadCache(path); err != nil || c.Len() != 2 {
			t.Errorf("saved cache: %v entries, err %v", c.Len(), err)
		}
	})
}

// TestCacheScanTwice: a scanner that scans again finds in the cache what
// its first scan read, also where the first scan's files are not yet
// entries (ShareScanned).
func TestCacheScanTwice(t *testing.T) {
	root := writeTree(t, map[string]string{"a.md": cachePost, "b.md": cachePost, "bad.md": "---\ntitle: [\n---\n"})
	ageFiles(t, root)
	eachCache(t, func(t *testing.T, kind func(*Cache) *Cache) {
		cfg := testConfig()
		cfg.Cache = kind(NewCache())
		sc, err := NewScanner(root, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if _, err := sc.Scan(context.Background(), ScanOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := sc.reads.Load(); got != 3 {
				t.Errorf("after scan %d: %d files read, want 3", i+1, got)
			}
		}
		if n := cfg.Cache.Len(); n != 3 {
			t.Errorf("cache holds %d entries for 3 files", n)
		}
	})
}

// TestCacheShareScanned holds a cache that keeps the scan's own posts
// (ShareScanned) to one that keeps copies: both save, and give a later
// scan, the same posts, with render sums and without HTML.
func TestCacheShareScanned(t *testing.T) {
	root := writeTree(t, map[string]string{"a.md": cachePost, "b.md": "---\ntitle: B\ndate: 2024-03-01T10:00:00+02:00\nauthor: {name: X, email: x@example.org}\ndescription: sum\n---\nbody\n", "bad.md": "---\ntitle: x\n"})
	ageFiles(t, root)
	scan := func(cfg Config) []*Post {
		t.Helper()
		sc, err := NewScanner(root, cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, err := sc.Scan(context.Background(), ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Posts
	}
	// run returns what a scan through the cache in memory, and one
	// through the cache saved and loaded, find after a rendered scan.
	run := func(share bool) (again, loaded []*Post) {
		cfg := testConfig()
		cfg.Cache = NewCache()
		cfg.Cache.KeepSumsOnly()
		if share {
			cfg.Cache.ShareScanned()
		}
		_, first := scanRender(t, root, cfg)
		if c := cfg.Cache; share && (len(c.read) != 2 || len(c.entries) != 1) {
			// A record beside the post, not an entry, for each file that
			// gave a post (a.md, b.md); an entry for the one that did not.
			t.Errorf("sharing cache: %d records, %d entries, want 2 and 1", len(c.read), len(c.entries))
		}
		path := filepath.Join(t.TempDir(), "cache.bin")
		if err := cfg.Cache.Save(path); err != nil {
			t.Fatal(err)
		}
		again = scan(cfg)
		for i, p := range again {
			if p == first.Posts[i] || p.Rendered() || p.RenderSum == ([16]byte{}) {
				t.Errorf("share %v: %s: same post %v, rendered %v, sum %x", share, p.Path, p == first.Posts[i], p.Rendered(), p.RenderSum)
			}
		}
		c, err := LoadCache(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Cache = c
		return again, scan(cfg)
	}
	same := func(what string, got, want []*Post) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d posts, want %d", what, len(got), len(want))
		}
		for i := range got {
			a, b := *got[i], *want[i]
			if !a.Published.Equal(b.Published) || !a.Updated.Equal(b.Updated) || !a.modTime.Equal(b.modTime) {
				t.Errorf("%s: times differ for %s", what, a.Path)
			}
			a.Published, a.Updated, a.modTime = time.Time{}, time.Time{}, time.Time{}
			b.Published, b.Updated, b.modTime = time.Time{}, time.Time{}, time.Time{}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: post differs:\n%+v\n%+v", what, a, b)
			}
		}
	}
	copiedAgain, copiedLoaded := run(false)
	sharedAgain, sharedLoaded := run(true)
	same("in memory", sharedAgain, copiedAgain)
	same("saved and loaded", sharedLoaded, copiedLoaded)
}

// BenchmarkCacheFill is syndicate build's first run for a new user, the
// scan and render of every post through an empty cache that shares the
// scan's posts and is then saved, against the same work with no cache:
// issue 10 bounds the difference at a tenth of the CPU. cache-B is the
// heap the cache alone keeps live once the posts are rendered (measured
// once, before the timed loop): under build's soft memory limit each byte
// of it makes the collector run more often.
func BenchmarkCacheFill(b *testing.B) {
	dir := benchFolder(b)
	for _, fill := range []bool{false, true} {
		name := "none"
		if fill {
			name = "empty"
		}
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "cache.bin")
			build := func() (*Result, *Cache) {
				cfg := testConfig()
				if fill {
					cfg.Cache = NewCache()
					cfg.Cache.KeepSumsOnly()
					cfg.Cache.ShareScanned()
				}
				_, res := scanRender(b, dir, cfg)
				return res, cfg.Cache
			}
			// The heap only the cache holds: live with it, less live
			// once it is dropped (the posts stay, held by res).
			res, c := build()
			var ms runtime.MemStats
			runtime.GC()
			runtime.GC() // the second frees what sync.Pools dropped
			runtime.ReadMemStats(&ms)
			withCache := ms.HeapAlloc
			runtime.KeepAlive(c)
			c = nil
			runtime.GC()
			runtime.GC()
			runtime.ReadMemStats(&ms)
			runtime.KeepAlive(res)
			held := int64(withCache) - int64(ms.HeapAlloc)
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				if _, c := build(); c != nil {
					if err := c.Save(path); err != nil {
						b.Fatal(err)
					}
				}
			}
			if cpu := processCPU() - cpu; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
			b.ReportMetric(float64(held), "cache-B") // after the loop: b.Loop clears metrics
		})
	}
}

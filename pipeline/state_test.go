package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/pubstate"
)

// TestStateBuilds: serve's incremental builder into memory and build's
// plain one into a folder, each with a publication state of its own, go
// through the same edits (a date corrected, a file renamed, a tag
// emptied, a backdated post, an edit) and agree at every step: the same
// ids as first published, the kept tag feed, and each document's time is
// when its bytes changed.
func TestStateBuilds(t *testing.T) {
	ctx := context.Background()
	f := newIncrementalFixture(t, map[string]string{
		"a.md": "---\ntitle: Alpha\ndate: 2025-01-10\ntags: [go, rare]\n---\nAlpha text.\n",
		"b.md": "---\ntitle: Beta\ndate: 2025-01-05\ntags: [go]\n---\nBeta text.\n",
	})
	open := func() *pubstate.Store {
		s, err := pubstate.Open(ctx, filepath.Join(t.TempDir(), "state"), "https://example.org/")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	// The fixture's builder, given a state; and a plain one.
	incCfg := f.cfg
	incCfg.State, incCfg.KeepEmpty = open(), 30*24*time.Hour
	f.b.Close()
	f.b = New(incCfg)
	t.Cleanup(func() { f.b.Close() })
	plainCfg := testConfig(f.dir)
	plainCfg.State, plainCfg.KeepEmpty = open(), 30*24*time.Hour
	plain := New(plainCfg)
	outDir := filepath.Join(t.TempDir(), "public")

	ids := func(body []byte) map[string]string {
		t.Helper()
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, it := range feed.Items {
			out[it.Title] = it.GUID
		}
		return out
	}
	var first map[string]string
	var lastModified time.Time
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	step := func(name string, edit func(), changes bool) {
		t.Helper()
		edit()
		now = now.Add(time.Hour)
		f.run(now)
		if _, err := plain.Build(ctx, now, Dir(outDir)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		mem := f.snap.Docs["feed.rss"]
		disk, err := os.ReadFile(filepath.Join(outDir, "feed.rss"))
		if err != nil {
			t.Fatal(err)
		}
		got, fromDisk := ids(docBytes(t, mem)), ids(disk)
		if first == nil {
			first = got
		}
		for title, id := range first {
			if got[title] != id || fromDisk[title] != id {
				t.Errorf("%s: %s has id %q in memory, %q on disk; was %s", name, title, got[title], fromDisk[title], id)
			}
		}
		m, err := outtree.ReadManifest(outDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range m.Entries {
			if e.Path == "feed.rss" && !e.Modified.Equal(mem.Modified) {
				t.Errorf("%s: feed.rss dated %v on disk, %v in memory", name, e.Modified, mem.Modified)
			}
		}
		switch {
		case changes && !mem.Modified.Equal(now):
			t.Errorf("%s: feed.rss changed but is dated %v, not %v", name, mem.Modified, now)
		case !changes && !mem.Modified.Equal(lastModified):
			t.Errorf("%s: feed.rss did not change but is dated %v, was %v", name, mem.Modified, lastModified)
		}
		lastModified = mem.Modified
		for _, p := range []string{"tags/rare/feed.rss", "tags/rare/feed.atom", "tags/rare/feed.json"} {
			if f.snap.Docs[p] == nil {
				t.Errorf("%s: %s not in memory", name, p)
			}
			if _, err := os.Stat(filepath.Join(outDir, p)); err != nil {
				t.Errorf("%s: %s not on disk: %v", name, p, err)
			}
		}
	}
	step("first", func() {}, true)
	step("date corrected", func() {
		f.write("a.md", "---\ntitle: Alpha\ndate: 2025-01-09\ntags: [go, rare]\n---\nAlpha text.\n")
	}, true)
	step("renamed", func() {
		mustRename(t, filepath.Join(f.dir, "a.md"), filepath.Join(f.dir, "alpha.md"))
	}, true)
	step("tag emptied", func() {
		f.write("alpha.md", "---\ntitle: Alpha\ndate: 2025-01-09\ntags: [go]\n---\nAlpha text.\n")
	}, true)
	step("backdated post", func() {
		f.write("old.md", "---\ntitle: Old\ndate: 2024-01-01\ntags: [go]\n---\nOld text.\n")
	}, true)
	step("draft elsewhere changes no feed", func() {
		f.write("draft.md", "---\ntitle: Draft\ndate: 2025-01-01\ndraft: true\n---\nNot yet.\n")
	}, false)
}

func mustRename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/server"
	"github.com/syndicate/syndicate/source"
)

// benchContent is the content folder serve's rebuild benchmarks run on:
// SYNDICATE_BENCH_CONTENT when set (e.g. a corpus made by cmd/gencontent;
// it is copied, since one benchmark edits a file), else a generated
// folder of 2,000 posts.
func benchContent(b *testing.B) string {
	b.Helper()
	dst := filepath.Join(b.TempDir(), "content")
	if src := os.Getenv("SYNDICATE_BENCH_CONTENT"); src != "" {
		if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
			b.Fatal(err)
		}
		return dst
	}
	rng := rand.New(rand.NewPCG(7, 7))
	zipf := rand.NewZipf(rng, 1.2, 2, 299)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 {
		var tags []string
		for range 1 + rng.IntN(4) {
			tags = append(tags, fmt.Sprintf("  - \"tag %d\"", zipf.Uint64()))
		}
		date := base.Add(-time.Duration(i) * 7 * time.Hour)
		body := strings.Repeat(fmt.Sprintf("Paragraph of post %d with a [link](/x/%d/) and *emphasis*.\n\n", i, i), 40)
		text := fmt.Sprintf("---\ntitle: \"Post %d\"\npublished: %q\ncategories:\n  - \"Cat %d\"\ntags:\n%s\n---\n%s",
			i, date.Format(time.RFC3339), i%20, strings.Join(tags, "\n"), body)
		p := filepath.Join(dst, date.Format("2006/01"), fmt.Sprintf("post-%d.md", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dst
}

// benchRebuilder is serve's rebuilder after its first build, with files
// dated far enough back that the cache trusts their modification times.
func benchRebuilder(b *testing.B, watch bool) (*rebuilder, string) {
	b.Helper()
	dir := benchContent(b)
	old := time.Now().Add(-time.Hour)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			os.Chtimes(p, old, old)
		}
		return err
	})
	cfg, _ := writeConfig(b, dir, "feeds:\n  limit: 20\n  formats: [rss, atom, json]\n")
	srv := server.New("", "", nil)
	st := testSettings(b, cfg)
	st.watch = watch
	rb, _ := newServeRebuilder(st, "", srv, testLogger(io.Discard))
	b.Cleanup(rb.stop)
	if err := rb.rebuild(context.Background(), "start"); err != nil {
		b.Fatal(err)
	}
	return rb, dir
}

// BenchmarkRebuild measures serve's scheduled rebuilds: one where nothing
// changed and one after a post was edited.
func BenchmarkRebuild(b *testing.B) {
	b.Run("unchanged", func(b *testing.B) {
		rb, _ := benchRebuilder(b, true)
		b.ResetTimer()
		for b.Loop() {
			if err := rb.rebuild(context.Background(), "schedule"); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		reportLive(b)
		runtime.KeepAlive(rb)
	})
	b.Run("one-edit", func(b *testing.B) { benchOneEdit(b, true) })
	// Where the folder cannot be watched (NFS, FUSE, not Linux), each
	// rebuild surveys the folder and reads the files the survey finds
	// changed.
	b.Run("one-edit-unwatched", func(b *testing.B) { benchOneEdit(b, false) })
}

// benchOneEdit measures rebuilds after the newest post was edited.
func benchOneEdit(b *testing.B, watch bool) {
	rb, dir := benchRebuilder(b, watch)
	newest := newestPost(b, dir)
	path := filepath.Join(dir, filepath.FromSlash(newest))
	orig, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		n++
		edited := append(append([]byte{}, orig...), fmt.Sprintf("\nEdit %d.\n", n)...)
		if err := os.WriteFile(path, edited, 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := rb.rebuild(context.Background(), "schedule"); err != nil {
			b.Fatal(err)
		}
		if st := rb.srv.Status(); st.Last.Counts == nil || st.Last.Counts.Changed == 0 {
			b.Fatal("the edit changed no document")
		}
	}
}

// reportLive reports the heap that stays live after serve's first build
// (documents, cache, plan), and writes a heap profile of it to
// SYNDICATE_BENCH_HEAPPROFILE when that is set.
func reportLive(b *testing.B) {
	b.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-MiB")
	if path := os.Getenv("SYNDICATE_BENCH_HEAPPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			b.Fatal(err)
		}
	}
}

// newestPost is the path of the post every feed that lists it shows first.
func newestPost(b *testing.B, dir string) string {
	b.Helper()
	sc, err := source.NewScanner(dir, source.Config{SiteURL: "https://example.org/"})
	if err != nil {
		b.Fatal(err)
	}
	res, err := sc.Scan(context.Background())
	if err != nil || len(res.Posts) == 0 {
		b.Fatalf("no posts in %s: %v", dir, err)
	}
	return res.Posts[0].Path
}

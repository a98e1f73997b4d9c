package source

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/syndicate/syndicate/stricthtml"
)

var benchCorpus = flag.String("corpus", "", "content folder for the render benchmarks; empty generates 300 posts with cmd/gencontent")

// benchPost is a post's metadata and body, held in memory so the
// benchmarks time rendering alone.
type benchPost struct {
	post Post
	body []byte
}

// benchPosts reads the corpus once per test binary: generating it costs
// seconds, which would otherwise be paid on every b.N round.
var benchPosts = sync.OnceValues(func() ([]benchPost, error) {
	root := *benchCorpus
	if root == "" {
		dir, err := os.MkdirTemp("", "syndicate-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		// go test puts its own go command first in PATH.
		cmd := exec.Command("go", "run", "../cmd/gencontent", "-out", dir, "-n", "300", "-seed", "7")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, err
		}
		root = dir
	}
	sc, err := NewScanner(root, testConfig())
	if err != nil {
		return nil, err
	}
	res, err := sc.Scan(context.Background(), ScanOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]benchPost, 0, len(res.Posts))
	for _, p := range res.Posts {
		data, _, err := sc.load(context.Background(), p.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, benchPost{post: *p, body: data[p.bodyOffset:]})
	}
	return out, nil
})

// BenchmarkRenderBody renders every post of a generated corpus per
// operation, the work Scanner.Render does for posts not in the cache.
func BenchmarkRenderBody(b *testing.B) {
	posts, err := benchPosts()
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, bp := range posts {
		size += int64(len(bp.body))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		for i := range posts {
			p := posts[i].post
			renderBody(&p, posts[i].body, p.frontSummary)
		}
	}
	if cpu := processCPU() - cpu; cpu > 0 {
		// Includes the garbage collector's work on other threads.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkStrictCheck is stricthtml.Check over all of the corpus's
// rendered content: the most toHTML adds to BenchmarkRenderBody for posts
// whose HTML needs no balancing (it checks only fragments holding raw
// HTML or links in link text).
func BenchmarkStrictCheck(b *testing.B) {
	posts, err := benchPosts()
	if err != nil {
		b.Fatal(err)
	}
	var html []string
	var size int64
	for _, bp := range posts {
		p := bp.post
		renderBody(&p, bp.body, p.frontSummary)
		html = append(html, p.ContentHTML)
		size += int64(len(p.ContentHTML))
	}
	b.SetBytes(size)
	cpu := processCPU()
	for b.Loop() {
		for _, s := range html {
			if err := stricthtml.Check(s); err != nil {
				b.Fatal(err)
			}
		}
	}
	if cpu := processCPU() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// benchFolder is the -corpus folder, else 300 posts gencontent writes
// to a folder of b's.
func benchFolder(b *testing.B) string {
	b.Helper()
	if *benchCorpus != "" {
		return *benchCorpus
	}
	dir := b.TempDir()
	cmd := exec.Command("go", "run", "../cmd/gencontent", "-out", dir, "-n", "300", "-seed", "7")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkScanRender scans a generated corpus of plain posts (no
// template directives) with a fresh Scanner and renders every post from
// disk per operation: Scanner.Render's whole path, the template step
// included, which such posts must not pay for.
func BenchmarkScanRender(b *testing.B) {
	dir := benchFolder(b)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		sc, err := NewScanner(dir, testConfig())
		if err != nil {
			b.Fatal(err)
		}
		res, err := sc.Scan(context.Background(), ScanOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if errs := sc.Render(context.Background(), res.Posts); len(errs) > 0 {
			b.Fatal(errs[0])
		}
	}
	if cpu := processCPU() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

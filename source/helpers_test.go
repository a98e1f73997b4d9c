package source

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testZone is the site's time zone in tests: a fixed offset, so that dates
// read "in the site's zone" are told apart from UTC without tzdata.
var testZone = time.FixedZone("TEST", -7*3600)

// testNow is the build time in tests; posts after it are in the future.
var testNow = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func testConfig() Config {
	return Config{
		SiteURL:  "https://example.org/blog/",
		Location: testZone,
		Author:   "Site Author <site@example.org>",
		Language: "en",
		Now:      func() time.Time { return testNow },
		Workers:  4,
	}
}

// writeTree creates files under a fresh temporary directory. Keys are
// slash-separated paths; values are file contents.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// surveyNow makes a Scanner of root with cfg and takes a survey with it.
func surveyNow(t testing.TB, root string, cfg Config) (*Scanner, *Survey) {
	t.Helper()
	sc, err := NewScanner(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := sc.Survey()
	if err != nil {
		t.Fatal(err)
	}
	return sc, sv
}

// indexFolder scans root after a survey, keeping the index; the scanner
// is returned for later scans and renders.
func indexFolder(t testing.TB, root string, cfg Config) (*Scanner, *Result, *Index) {
	t.Helper()
	sc, sv := surveyNow(t, root, cfg)
	ix := new(Index)
	res, err := sc.Scan(context.Background(), ScanOptions{Survey: sv, Index: ix})
	if err != nil {
		t.Fatal(err)
	}
	return sc, res, ix
}

func scanWith(t *testing.T, root string, cfg Config) *Result {
	t.Helper()
	sc, err := NewScanner(root, cfg)
	if err != nil {
		t.Fatalf("NewScanner: %v", err)
	}
	res, err := sc.Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatalf("Scan(%s): %v", root, err)
	}
	return res
}

func scan(t *testing.T, root string) *Result {
	t.Helper()
	return scanWith(t, root, testConfig())
}

// scanOne scans a folder holding one file and returns its post, failing
// the test when the file was skipped.
func scanOne(t *testing.T, name, content string) *Post {
	t.Helper()
	res := scan(t, writeTree(t, map[string]string{name: content}))
	if len(res.Skipped) > 0 {
		t.Fatalf("%s skipped: %v", name, res.Skipped[0])
	}
	if len(res.Posts) != 1 {
		t.Fatalf("%s: got %d posts (drafts %d, pages %d, future %d), want 1",
			name, len(res.Posts), res.Drafts, res.Pages, res.Future)
	}
	return res.Posts[0]
}

// scanErr scans a folder holding one file and returns the reason it was
// skipped, failing the test when it was not.
func scanErr(t *testing.T, name, content string) *FileError {
	t.Helper()
	res := scan(t, writeTree(t, map[string]string{name: content}))
	if len(res.Skipped) != 1 {
		t.Fatalf("%s: got %d skipped (%v) and %d posts, want 1 skipped", name, len(res.Skipped), res.Skipped, len(res.Posts))
	}
	return res.Skipped[0]
}

// renderPost renders a scanned post's body from disk.
func renderPost(t *testing.T, root string, p *Post) {
	t.Helper()
	sc, err := NewScanner(root, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if errs := sc.Render(context.Background(), []*Post{p}); len(errs) > 0 {
		t.Fatalf("Render: %v", errs[0])
	}
}

// fm builds a YAML front matter file from lines.
func fm(lines ...string) string {
	return "---\n" + strings.Join(lines, "\n") + "\n---\nBody.\n"
}

func rfc(t time.Time) string { return t.Format(time.RFC3339Nano) }

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// checkGolden compares got with testdata/golden/name, rewriting the file
// instead when the test runs with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

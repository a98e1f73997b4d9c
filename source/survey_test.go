package source

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSurveyStamp: every change a scan could see moves the stamp, and
// nothing else does.
func TestSurveyStamp(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a.md": "---\ntitle: A\n---\nx\n", "sub/b.md": "---\ntitle: B\n---\ny\n",
		"notes.txt": "not a post", ".hidden/c.md": "hidden",
	})
	ageFiles(t, root)
	_, base := surveyNow(t, root, testConfig())
	if !base.Settled || len(base.files)+len(base.skipped) != 2 {
		t.Fatalf("survey of aged files: settled %v, %d files; want true, 2", base.Settled, len(base.files)+len(base.skipped))
	}
	if _, again := surveyNow(t, root, testConfig()); again.Stamp != base.Stamp {
		t.Fatal("two surveys of an untouched folder differ")
	}
	old := time.Now().Add(-time.Hour)
	p := func(name string) string { return filepath.Join(root, filepath.FromSlash(name)) }
	changes := []struct {
		name  string
		do    func() error
		moves bool
	}{
		{"not Markdown", func() error { return os.WriteFile(p("notes.txt"), []byte("changed"), 0o644) }, false},
		{"hidden", func() error { return os.WriteFile(p(".hidden/c.md"), []byte("changed"), 0o644) }, false},
		{"edit", func() error { return os.WriteFile(p("a.md"), []byte("---\ntitle: A2\n---\nx\n"), 0o644) }, true},
		{"mtime put back", func() error {
			time.Sleep(10 * time.Millisecond)
			if err := os.WriteFile(p("a.md"), []byte("---\ntitle: A3\n---\nx\n"), 0o644); err != nil {
				return err
			}
			return os.Chtimes(p("a.md"), old, old)
		}, true},
		{"chmod", func() error { return os.Chmod(p("a.md"), 0o600) }, true},
		{"add", func() error { return os.WriteFile(p("sub/c.md"), []byte("---\ntitle: C\n---\n"), 0o644) }, true},
		{"rename", func() error { return os.Rename(p("sub/c.md"), p("sub/d.md")) }, true},
		{"remove", func() error { return os.Remove(p("sub/d.md")) }, true},
		{"symlink", func() error { return os.Symlink("a.md", p("link.md")) }, true},
	}
	prev := base
	for _, c := range changes {
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, sv := surveyNow(t, root, testConfig())
		if moved := sv.Stamp != prev.Stamp; moved != c.moves {
			t.Errorf("%s: stamp moved %v, want %v", c.name, moved, c.moves)
		}
		if c.name == "edit" && sv.Settled {
			t.Error("a survey just after an edit is settled")
		}
		prev = sv
	}
}

// BenchmarkSurvey surveys SYNDICATE_BENCH_CONTENT (e.g. a corpus made by
// cmd/gencontent), or a generated folder of 5,000 files.
func BenchmarkSurvey(b *testing.B) {
	root := os.Getenv("SYNDICATE_BENCH_CONTENT")
	if root == "" {
		files := map[string]string{}
		for i := range 5000 {
			files[fmt.Sprintf("%d/%02d/post-%d.md", 2000+i/500, i%12, i)] = "---\ntitle: x\n---\n"
		}
		root = writeTree(b, files)
	}
	var n int
	for b.Loop() {
		_, sv := surveyNow(b, root, testConfig())
		n = len(sv.files) + len(sv.skipped)
	}
	b.ReportMetric(float64(n), "files")
}

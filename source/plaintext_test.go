package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlainTextFieldsLoseMarkup(t *testing.T) {
	cases := []struct {
		name, frontMatter string
		check             func(*Post) string
	}{
		{"script title", `title: "<script>alert(3)</script>Hello"`, func(p *Post) string { return p.Title }},
		{"svg title", `title: "<svg/onload=alert(2)>Click"`, func(p *Post) string { return p.Title }},
		{"entity-encoded title", `title: "&lt;img src=x onerror=alert(1)&gt;Pic"`, func(p *Post) string { return p.Title }},
		{"unclosed tag", `title: "Hi <img src=x onerror=alert(1)"`, func(p *Post) string { return p.Title }},
		{"tag name", "title: T\ntags: [\"<script>x</script>go\"]", func(p *Post) string { return strings.Join(p.Tags, ",") }},
		{"author", "title: T\nauthor: {name: \"<b onmouseover=x>Eve</b>\"}", func(p *Post) string { return p.Authors[0].Name }},
		{"site name", "title: T\nsite_name: \"<script>alert(1)</script>Evil & co\"", func(p *Post) string { return p.SiteName }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fm := c.frontMatter
			if !strings.Contains(fm, "date:") {
				fm += "\ndate: 2024-01-01"
			}
			p := scanOne(t, "p.md", "---\n"+fm+"\n---\nbody\n")
			got := c.check(p)
			if strings.ContainsAny(got, "<>") || strings.Contains(got, "onerror") || strings.Contains(got, "onload") {
				t.Errorf("markup survived in a plain-text field: %q", got)
			}
		})
	}
	// Text that merely mentions a comparison stays.
	p := scanOne(t, "p.md", "---\ntitle: \"1 < 2 and 3 > 2\"\ndate: 2024-01-01\n---\n")
	if p.Title != "1 < 2 and 3 > 2" {
		t.Errorf("title = %q", p.Title)
	}
	// A title that is nothing but markup leaves no title: the file is skipped.
	if fe := scanErr(t, "p.md", "---\ntitle: \"<img src=x onerror=alert(1)>\"\ndate: 2024-01-01\n---\n"); !errors.Is(fe, ErrNoTitle) {
		t.Errorf("markup-only title: %v", fe)
	}
}

func TestScanFailsOnUnusableFolders(t *testing.T) {
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("not a post"), 0o644)
	sc, _ := NewScanner(empty, testConfig())
	if _, err := sc.Scan(context.Background(), ScanOptions{}); !errors.Is(err, ErrNoContent) {
		t.Errorf("folder without Markdown: err = %v, want ErrNoContent", err)
	}

	root := writeTree(t, map[string]string{"a.md": cachePost, "locked/b.md": cachePost})
	locked := filepath.Join(root, "locked")
	os.Chmod(locked, 0)
	defer os.Chmod(locked, 0o755)
	if _, err := os.ReadDir(locked); err == nil {
		t.Skip("running as a user the file mode does not stop (root)")
	}
	sc, _ = NewScanner(root, testConfig())
	if _, err := sc.Scan(context.Background(), ScanOptions{}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("unreadable folder: err = %v, want a scan error naming it", err)
	}
}

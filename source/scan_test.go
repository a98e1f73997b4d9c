package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// copyTree copies a testdata folder into a fresh temporary directory, so a
// test can add symlinks and special files to it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks not supported: %v", err)
	}
}

// TestBadContent scans a corpus of malformed and awkward files next to
// good ones: every good post is published, every bad file is reported
// exactly once with its path, a reason and, where the parser gives one,
// its line.
func TestBadContent(t *testing.T) {
	root := copyTree(t, filepath.Join("testdata", "bad"))
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "outside.md"), []byte(fm("title: Outside", "date: 2024-01-01")), 0o644); err != nil {
		t.Fatal(err)
	}
	symlink(t, filepath.Join(outside, "outside.md"), filepath.Join(root, "link-outside.md"))
	symlink(t, outside, filepath.Join(root, "dir-outside"))
	symlink(t, "loop.md", filepath.Join(root, "loop.md"))
	symlink(t, "loop-b.md", filepath.Join(root, "loop-a.md"))
	symlink(t, "loop-a.md", filepath.Join(root, "loop-b.md"))
	symlink(t, ".", filepath.Join(root, "nested", "dir-loop"))
	symlink(t, "missing.md", filepath.Join(root, "dangling.md"))
	symlink(t, "nested/deeper", filepath.Join(root, "dir-alias"))
	symlink(t, "good-1.md", filepath.Join(root, "link-inside.md"))
	symlink(t, "nested", filepath.Join(root, "dir-as-post.md"))
	fifo := filepath.Join(root, "fifo.md")
	if err := syscall.Mkfifo(fifo, 0o644); err == nil {
		symlink(t, "fifo.md", filepath.Join(root, "link-to-fifo.md"))
	}
	unreadable := os.Geteuid() != 0 // root reads anything
	if unreadable {
		if err := os.WriteFile(filepath.Join(root, "unreadable.md"), []byte(fm("title: U", "date: 2024-01-01")), 0o000); err != nil {
			t.Fatal(err)
		}
	}

	done := make(chan *Result, 1)
	go func() { done <- scan(t, root) }()
	var res *Result
	select {
	case res = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Scan did not finish: a symlink loop or a FIFO made it hang")
	}

	wantPosts := []string{
		"good-cr.md", "good-only-front-matter.md", "good-controls.md", "good-bom-crlf.md",
		"good-json.md", "good-toml.md", "nested/deeper/good-nested.markdown", "good-1.md",
		"link-inside.md",
	}
	sort.Strings(wantPosts)
	var gotPosts []string
	for _, p := range res.Posts {
		gotPosts = append(gotPosts, p.Path)
	}
	sort.Strings(gotPosts)
	equal(t, "published", gotPosts, wantPosts)

	type reason struct {
		line int
		want string
	}
	wantSkipped := map[string]reason{
		"bad-date.md":             {3, `date: invalid date "2024-02-30": day out of range`},
		"bad-link.md":             {4, `canonical: link "javascript:alert(1)" is not an absolute http(s) URL`},
		"bad-zone.md":             {3, `date: invalid date "2024-01-01T10:00:00+25:00": time zone offset hour out of range`},
		"binary.md":               {1, "not valid UTF-8"},
		"blank.md":                {0, "file is empty"},
		"broken-json.md":          {4, "front matter (JSON): invalid character '}'"},
		"broken-toml.md":          {4, "front matter (TOML): expected a comma"},
		"broken-yaml.md":          {3, "front matter (YAML): did not find expected ',' or ']'"},
		"comment-front-matter.md": {1, "front matter is empty"},
		"duplicate-key.md":        {3, `front matter (YAML): key "title" is defined twice`},
		"empty-front-matter.md":   {1, "front matter is empty"},
		"empty-title.md":          {0, "missing or empty title"},
		"empty.md":                {0, "file is empty"},
		"latin1.md":               {2, "not valid UTF-8 (byte offset 14)"},
		"list.md":                 {2, "front matter (YAML): front matter must be a mapping of keys to values, not a list"},
		"no-date.md":              {0, "no publication date"},
		"no-front-matter.md":      {0, "no front matter"},
		"no-title.md":             {0, "missing or empty title"},
		"scalar.md":               {2, "not a single value"},
		"unclosed-json.md":        {4, "front matter (JSON)"},
		"unclosed-toml.md":        {1, `front matter is not closed: no closing "+++" line`},
		"unclosed.md":             {1, `front matter is not closed: no closing "---" line`},
		"link-outside.md":         {0, "symlink points outside the content directory; not followed"},
		"loop.md":                 {0, "symlink"},
		"loop-a.md":               {0, "symlink"},
		"loop-b.md":               {0, "symlink"},
		"dangling.md":             {0, "symlink"},
		"dir-as-post.md":          {0, "not a regular file"},
	}
	if _, err := os.Lstat(fifo); err == nil {
		wantSkipped["fifo.md"] = reason{0, "not a regular file"}
		wantSkipped["link-to-fifo.md"] = reason{0, "not a regular file"}
	}
	if unreadable {
		wantSkipped["unreadable.md"] = reason{0, "permission denied"}
	}
	seen := map[string]int{}
	for _, e := range res.Skipped {
		seen[e.Path]++
		w, ok := wantSkipped[e.Path]
		switch {
		case !ok:
			t.Errorf("unexpected skip: %v", e)
		case !strings.Contains(e.Error(), w.want) || e.Line != w.line:
			t.Errorf("%s: got %q (line %d), want %q (line %d)", e.Path, e.Error(), e.Line, w.want, w.line)
		case !strings.HasPrefix(e.Error(), e.Path+":"):
			t.Errorf("%q does not start with the path", e.Error())
		}
	}
	for p := range wantSkipped {
		if seen[p] != 1 {
			t.Errorf("%s reported %d times, want once", p, seen[p])
		}
	}
	if got, want := res.Read, len(wantPosts)+len(wantSkipped); got != want {
		t.Errorf("Read = %d, want %d", got, want)
	}
	if res.Read != len(res.Posts)+res.Drafts+res.Pages+res.Future+len(res.Skipped) {
		t.Errorf("Read %d is not posts + drafts + pages + future + skipped", res.Read)
	}
	for _, w := range res.Warnings {
		t.Errorf("unexpected warning: %v", w)
	}
	if !sort.SliceIsSorted(res.Skipped, func(i, j int) bool { return res.Skipped[i].Path < res.Skipped[j].Path }) {
		t.Error("Skipped is not sorted by path")
	}

	// Everything published renders, including the awkward ones.
	sc, _ := NewScanner(root, testConfig())
	if errs := sc.Render(context.Background(), res.Posts); len(errs) > 0 {
		t.Fatalf("Render: %v", errs)
	}
	byPath := map[string]*Post{}
	for _, p := range res.Posts {
		byPath[p.Path] = p
	}
	checks := []struct {
		path, field, want string
	}{
		{"good-only-front-matter.md", "summary", "Good with only front matter"},
		{"good-only-front-matter.md", "content", ""},
		{"good-bom-crlf.md", "content", "<p>Windows line endings.</p>\n<p>Second paragraph.</p>"},
		{"good-cr.md", "content", "<p>Classic Mac line endings.</p>"},
		{"good-controls.md", "title", "Good controls and ]]> too"},
		{"good-controls.md", "content", "<p>Bell and NUL and form feed and ]]&gt; in the body.</p>"},
		{"link-inside.md", "content", "<p>First good post.</p>"},
	}
	for _, c := range checks {
		p := byPath[c.path]
		if p == nil {
			continue // reported above
		}
		got := map[string]string{"summary": p.SummaryText, "content": p.ContentHTML, "title": p.Title}[c.field]
		if got != c.want {
			t.Errorf("%s %s = %q, want %q", c.path, c.field, got, c.want)
		}
	}
	if p := byPath["good-only-front-matter.md"]; p != nil && !p.Rendered() {
		t.Error("a post with only front matter does not count as rendered")
	}
}

func TestSymlinkedRoot(t *testing.T) {
	real := writeTree(t, map[string]string{"a.md": fm("title: A", dateLine), "sub/b.md": fm("title: B", dateLine)})
	link := filepath.Join(t.TempDir(), "content")
	symlink(t, real, link)
	res := scan(t, link)
	if len(res.Posts) != 2 || len(res.Skipped) != 0 {
		t.Fatalf("through a symlinked content folder: %d posts, skipped %v; want 2, none", len(res.Posts), res.Skipped)
	}
	equal(t, "paths", []string{res.Posts[0].Path, res.Posts[1].Path}, []string{"a.md", "sub/b.md"})
	renderPost(t, link, res.Posts[0])
}

func TestWhatIsRead(t *testing.T) {
	good := fm("title: T", dateLine)
	root := writeTree(t, map[string]string{
		"a.md":                  good,
		"b.markdown":            good,
		"C.MD":                  good,
		"d.mdx":                 good,
		"e.txt":                 good,
		"f.html":                good,
		"md":                    good,
		".hidden.md":            good,
		".drafts/g.md":          good,
		"sub/.git/h.md":         good,
		"sub/i.md":              good,
		"sub/.hidden/deep/j.md": good,
		"_index.md":             fm("title: Home"),
	})
	res := scan(t, root)
	var got []string
	for _, p := range res.Posts {
		got = append(got, p.Path)
	}
	equal(t, "posts", got, []string{"C.MD", "a.md", "b.markdown", "sub/i.md"})
	if res.Read != 5 || res.Pages != 1 {
		t.Errorf("Read %d, Pages %d; want 5, 1", res.Read, res.Pages)
	}
}

func TestScanErrors(t *testing.T) {
	t.Run("missing folder", func(t *testing.T) {
		sc, _ := NewScanner(filepath.Join(t.TempDir(), "nope"), testConfig())
		if _, err := sc.Scan(context.Background(), ScanOptions{}); err == nil || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v, want not exist", err)
		}
	})
	t.Run("a file, not a folder", func(t *testing.T) {
		root := writeTree(t, map[string]string{"a.md": "x"})
		sc, _ := NewScanner(filepath.Join(root, "a.md"), testConfig())
		if _, err := sc.Scan(context.Background(), ScanOptions{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		files := map[string]string{}
		for i := range 50 {
			files[filepath.Join("p", string(rune('a'+i%26))+strings.Repeat("x", i)+".md")] = fm("title: T", dateLine)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		sc, _ := NewScanner(writeTree(t, files), testConfig())
		if _, err := sc.Scan(ctx, ScanOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestMaxFileSize(t *testing.T) {
	cfg := testConfig()
	cfg.MaxFileSize = 100
	root := writeTree(t, map[string]string{
		"small.md": fm("title: S", dateLine),
		"big.md":   fm("title: B", dateLine) + strings.Repeat("x", 100),
	})
	res := scanWith(t, root, cfg)
	if len(res.Posts) != 1 || len(res.Skipped) != 1 || res.Skipped[0].Path != "big.md" ||
		!strings.Contains(res.Skipped[0].Error(), "larger than the 100-byte limit") {
		t.Errorf("posts %d, skipped %v", len(res.Posts), res.Skipped)
	}
}

// TestLargePost reads and renders a 20 MB post.
func TestLargePost(t *testing.T) {
	if testing.Short() {
		t.Skip("20 MB post")
	}
	var b strings.Builder
	b.WriteString(fm("title: Large", dateLine))
	para := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 20) + "\n\n"
	for b.Len() < 20<<20 {
		b.WriteString(para)
	}
	root := writeTree(t, map[string]string{"large.md": b.String()})
	res := scan(t, root)
	if len(res.Posts) != 1 {
		t.Fatalf("skipped: %v", res.Skipped)
	}
	p := res.Posts[0]
	renderPost(t, root, p)
	if len(p.ContentHTML) < 20<<20 || !strings.HasSuffix(p.SummaryText, "…") || len([]rune(p.SummaryText)) > 301 {
		t.Errorf("content %d bytes, summary %q", len(p.ContentHTML), p.SummaryText)
	}
}

func TestRenderNoticesChangedFile(t *testing.T) {
	root := writeTree(t, map[string]string{"a.md": fm("title: A", dateLine)})
	res := scan(t, root)
	if err := os.WriteFile(filepath.Join(root, "a.md"), []byte(fm("title: A", dateLine)+"More text.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, _ := NewScanner(root, testConfig())
	errs := sc.Render(context.Background(), res.Posts)
	if len(errs) != 1 || errs[0].Path != "a.md" || !strings.Contains(errs[0].Error(), "changed") {
		t.Errorf("errs = %v, want a.md changed", errs)
	}
	if res.Posts[0].Rendered() {
		t.Error("a post whose file changed was rendered")
	}
	if err := os.Remove(filepath.Join(root, "a.md")); err != nil {
		t.Fatal(err)
	}
	if errs := sc.Render(context.Background(), res.Posts); len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) {
		t.Errorf("errs = %v, want not exist", errs)
	}
}

func TestDeterminism(t *testing.T) {
	root := copyTree(t, filepath.Join("testdata", "bad"))
	for _, d := range []string{"easypress", "hugo-toml", "hugo-yaml", "jekyll", "eleventy", "zola", "json"} {
		src := filepath.Join("testdata", "dialects", d)
		dst := copyTree(t, src)
		if err := os.Rename(dst, filepath.Join(root, d)); err != nil {
			t.Fatal(err)
		}
	}
	// Many posts on the same instant exercise the tie-break.
	for i := range 40 {
		name := filepath.Join(root, "same", string(rune('z'-i%26))+strings.Repeat("q", i/26)+".md")
		_ = os.MkdirAll(filepath.Dir(name), 0o755)
		if err := os.WriteFile(name, []byte(fm("title: Same", dateLine, "tags: [x, y]")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	type snapshot struct {
		Posts           []Post
		Skipped, Warned []string
		Counts          [4]int
	}
	take := func(workers int) snapshot {
		cfg := testConfig()
		cfg.Workers = workers
		res := scanWith(t, root, cfg)
		sc, _ := NewScanner(root, cfg)
		if errs := sc.Render(context.Background(), res.Posts); len(errs) > 0 {
			t.Fatalf("Render: %v", errs)
		}
		var s snapshot
		for _, p := range res.Posts {
			s.Posts = append(s.Posts, *p)
		}
		for _, e := range res.Skipped {
			s.Skipped = append(s.Skipped, e.Error())
		}
		for _, e := range res.Warnings {
			s.Warned = append(s.Warned, e.Error())
		}
		s.Counts = [4]int{res.Read, res.Drafts, res.Pages, res.Future}
		return s
	}
	first := take(1)
	for _, w := range []int{1, 3, 16} {
		if got := take(w); !reflect.DeepEqual(got, first) {
			t.Errorf("scan with %d workers differs from the first scan", w)
		}
	}
	for i := 1; i < len(first.Posts); i++ {
		a, b := first.Posts[i-1], first.Posts[i]
		if a.Published.Before(b.Published) || a.Published.Equal(b.Published) && a.Path >= b.Path {
			t.Errorf("order: %s (%v) before %s (%v)", a.Path, a.Published, b.Path, b.Published)
		}
	}
}

func TestSortNewestFirst(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2024, 1, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		in   []*Post
		want []string
	}{
		{"empty", nil, nil},
		{"newest first", []*Post{{Path: "a", Published: d(1)}, {Path: "b", Published: d(3)}, {Path: "c", Published: d(2)}}, []string{"b", "c", "a"}},
		{"ties by path", []*Post{{Path: "c", Published: d(1)}, {Path: "a", Published: d(1)}, {Path: "b", Published: d(1)}}, []string{"a", "b", "c"}},
		{"same instant, different zones", []*Post{
			{Path: "z", Published: d(2)},
			{Path: "y", Published: d(2).In(time.FixedZone("X", 3600))},
		}, []string{"y", "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			SortNewestFirst(tt.in)
			var got []string
			for _, p := range tt.in {
				got = append(got, p.Path)
			}
			equal(t, "order", got, tt.want)
		})
	}
}

func TestFileError(t *testing.T) {
	e := &FileError{Path: "a/b.md", Line: 3, Err: ErrNoTitle}
	if e.Error() != "a/b.md:3: missing or empty title" || !errors.Is(e, ErrNoTitle) {
		t.Errorf("Error() = %q, Is(ErrNoTitle) = %v", e.Error(), errors.Is(e, ErrNoTitle))
	}
	e.Line = 0
	if e.Error() != "a/b.md: missing or empty title" {
		t.Errorf("Error() = %q", e.Error())
	}
	for path, want := range map[string]string{
		"new\nline.md": `"new\nline.md": missing or empty title`,
		"caf\xe9.md":   `"caf\xe9.md": missing or empty title`,
		"café.md":      `café.md: missing or empty title`,
	} {
		if got := (&FileError{Path: path, Err: ErrNoTitle}).Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
	var fe *FileError
	if err := error(e); !errors.As(err, &fe) {
		t.Error("errors.As cannot find *FileError")
	}
	for name, content := range map[string]string{
		"no-title.md":      fm(dateLine),
		"no-date.md":       fm("title: T"),
		"no-front.md":      "text",
		"unclosed.md":      "---\ntitle: T\n",
		"unclosed-toml.md": "+++\ntitle = 'T'\n",
	} {
		want := map[string]error{"no-title.md": ErrNoTitle, "no-date.md": ErrNoDate, "no-front.md": ErrNoFrontMatter,
			"unclosed.md": ErrUnclosedFrontMatter, "unclosed-toml.md": ErrUnclosedFrontMatter}[name]
		if e := scanErr(t, name, content); !errors.Is(e, want) {
			t.Errorf("%s: %v is not %v", name, e, want)
		}
	}
}

// TestMaxTerms: tags and categories beyond the per-post limit are dropped
// with a warning naming the file, and the post is still published.
func TestMaxTerms(t *testing.T) {
	names := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "\n  - %s %d", prefix, i)
		}
		return b.String()
	}
	for _, c := range []struct {
		name             string
		max, tags, cats  int
		wantTags, wantCs int
		warn             string
	}{
		{"under the default", 0, 100, 3, 100, 3, ""},
		{"over the default", 0, 150, 3, 100, 3, "150 tags, more than the limit of 100 per post"},
		{"categories over", 0, 2, 101, 2, 100, "101 categories, more than the limit of 100 per post"},
		{"a higher limit", 200, 150, 3, 150, 3, ""},
		{"a bomb", 10, 60000, 0, 10, 0, "60000 tags, more than the limit of 10 per post"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := fm("title: T", dateLine, "tags:"+names("tag", c.tags), "categories:"+names("cat", c.cats))
			cfg := testConfig()
			cfg.MaxTerms = c.max
			res := scanWith(t, writeTree(t, map[string]string{"p.md": src}), cfg)
			if len(res.Posts) != 1 {
				t.Fatalf("not published: %v", res.Skipped)
			}
			p := res.Posts[0]
			if len(p.Tags) != c.wantTags || len(p.Categories) != c.wantCs {
				t.Errorf("%d tags, %d categories; want %d, %d", len(p.Tags), len(p.Categories), c.wantTags, c.wantCs)
			}
			if len(p.Tags) > 0 && p.Tags[0] != "tag 0" {
				t.Errorf("first tag %q, want the first named", p.Tags[0])
			}
			var warns []string
			for _, w := range res.Warnings {
				warns = append(warns, w.Error())
			}
			got := strings.Join(warns, "\n")
			if c.warn == "" && got != "" || c.warn != "" && !strings.Contains(got, "p.md: "+c.warn) {
				t.Errorf("warnings %q, want %q", got, c.warn)
			}
		})
	}
}

// TestValuesAtTheDoor: ids, languages, links and slugs that would put
// something unsafe or invalid in a feed are refused with a warning naming
// the file, and the post is published with a safe value instead.
func TestValuesAtTheDoor(t *testing.T) {
	// The site is https://example.org/blog/ (testConfig); the permalink
	// pattern makes https://example.org/blog/2024/01/02/SLUG/.
	made := func(slug string) string { return "https://example.org/blog/2024/01/02/" + slug + "/" }
	for _, c := range []struct {
		name, file, line string
		field, want      string
		warn             string // "" for none
	}{
		{"javascript id", "p.md", `id: "javascript:alert(11)"`, "id", made("p"), `id "javascript:alert(11)" is not a UUID nor an http, https, tag or urn URI`},
		{"data id", "p.md", `guid: "data:text/html,<script>alert(1)</script>"`, "id", made("p"), "guid \"data:text/html"},
		{"vbscript id", "p.md", `id: "vbscript:msgbox(1)"`, "id", made("p"), "is not a UUID"},
		{"file id", "p.md", `id: "file:///etc/passwd"`, "id", made("p"), "is not a UUID"},
		{"mailto id", "p.md", `id: "mailto:a@example.org"`, "id", made("p"), "is not a UUID"},
		{"http id without host", "p.md", `id: "http:/x"`, "id", made("p"), "is not a UUID"},
		{"https id", "p.md", `id: "https://old.example.org/p/1"`, "id", "https://old.example.org/p/1", ""},
		{"tag id", "p.md", `id: "tag:example.org,2024:p"`, "id", "tag:example.org,2024:p", ""},
		{"urn id", "p.md", `id: "urn:isbn:0451450523"`, "id", "urn:isbn:0451450523", ""},
		{"uuid id", "p.md", `uuid: 6F9619FF-8B86-D011-B42D-00C04FC964FF`, "id", "urn:uuid:6f9619ff-8b86-d011-b42d-00c04fc964ff", ""},
		{"markup in language", "p.md", `language: "en\"><x/>"`, "language", "en", `language "en\"><x/>" is not a BCP 47 language tag`},
		{"nonsense language", "p.md", `lang: "english please"`, "language", "en", `lang "english please" is not a BCP 47`},
		{"language with underscore", "p.md", `language: en_GB`, "language", "en-GB", ""},
		{"language", "p.md", `language: de-AT`, "language", "de-AT", ""},
		{"scheme-relative permalink", "p.md", `permalink: "//evil.example/x"`, "link", made("p"), `permalink "//evil.example/x" is scheme-relative and leads off the site (example.org)`},
		{"scheme-relative canonical", "p.md", `canonical: "//evil.example/x"`, "link", made("p"), `canonical "//evil.example/x" is scheme-relative`},
		{"off-site url", "p.md", `url: "https://evil.example/x/"`, "link", made("p"), `url "https://evil.example/x/" leads off the site (example.org)`},
		{"off-site permalink", "p.md", `permalink: "http://evil.example/x/"`, "link", made("p"), "leads off the site"},
		{"scheme-relative on the site", "p.md", `permalink: "//example.org/blog/x/"`, "link", "https://example.org/blog/x/", ""},
		{"www on the site", "p.md", `url: "https://www.example.org/x/"`, "link", "https://www.example.org/x/", ""},
		{"root-relative permalink", "p.md", `permalink: "/notes/x/"`, "link", "https://example.org/blog/notes/x/", ""},
		{"off-site canonical", "p.md", `canonical: "https://original.example/post/"`, "link", "https://original.example/post/", ""},
		{"newline in the file name", "new\nline.md", "", "link", made("newline"), `slug "new\nline" has control characters`},
		{"tab in the file name", "a\tb.md", "", "link", made("ab"), "has control characters"},
		{"bad UTF-8 in the file name", "caf\xe9.md", "", "link", made("caf"), `slug "caf\xe9" has control characters or bytes that are not UTF-8; using "caf"`},
		{"control in slug", "p.md", `slug: "a\u0007b"`, "link", made("ab"), "has control characters"},
		{"real U+FFFD kept", "p\ufffd.md", "", "link", made("p%EF%BF%BD"), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines := []string{"title: T", dateLine}
			if c.line != "" {
				lines = append(lines, c.line)
			}
			res := scan(t, writeTree(t, map[string]string{c.file: fm(lines...)}))
			if len(res.Posts) != 1 {
				t.Fatalf("not published: %v", res.Skipped)
			}
			p := res.Posts[0]
			got := map[string]string{"id": p.ID, "link": p.Link, "language": p.Language}[c.field]
			if got != c.want {
				t.Errorf("%s = %q, want %q", c.field, got, c.want)
			}
			var warns []string
			for _, w := range res.Warnings {
				if w.Path != c.file {
					t.Errorf("warning names %q, want %q", w.Path, c.file)
				}
				warns = append(warns, w.Err.Error())
			}
			all := strings.Join(warns, "\n")
			if c.warn == "" && all != "" || c.warn != "" && !strings.Contains(all, c.warn) {
				t.Errorf("warnings %q, want %q", all, c.warn)
			}
		})
	}
}

// TestHeadReadMatchesWholeFile checks that parsing a file from its head
// gives the same post, warnings and errors as parsing the entire file,
// wherever the head's cut falls: in a multi-byte character, between CR
// and LF, inside or just after the front matter.
func TestHeadReadMatchesWholeFile(t *testing.T) {
	fronts := map[string]string{
		"yaml":      "---\ntitle: Héllo «wörld»\ndate: 2024-03-01\ntags: [a, b]\nauthor: Jane <jane@example.org>\n---\n",
		"toml":      "+++\ntitle = \"Héllo\"\ndate = 2024-03-01T10:00:00Z\ntags = [\"a\"]\n+++\n",
		"json":      "{\n  \"title\": \"Héllo\",\n  \"date\": \"2024-03-01\"\n}\n\n",
		"crlf+bom":  "\xef\xbb\xbf---\r\ntitle: Windows\r\ndate: 2024-03-01\r\n---\r\n",
		"bad key":   "---\ntitle: x\ndate: not a date\n---\n",
		"unclosed":  "---\ntitle: x\ndate: 2024-03-01\n",
		"no front":  "# Just Markdown\n",
		"long yaml": "---\ntitle: Long\ndate: 2024-03-01\ndescription: \"" + strings.Repeat("lorem ipsum ", 300) + "\"\n---\n",
	}
	// Bodies whose lines put the head's cut at every kind of boundary.
	bodies := map[string]func(n int) string{
		"ascii":     func(n int) string { return strings.Repeat("word ", n) + "\n" },
		"multibyte": func(n int) string { return strings.Repeat("日本€", n) + "\n" },
		"crlf":      func(n int) string { return strings.Repeat("x", n) + "\r\n" },
		"blank":     func(n int) string { return strings.Repeat("\n", n) },
		"control":   func(n int) string { return strings.Repeat("a\x01", n) + "\n" },
	}
	n := 0
	for fname, front := range fronts {
		for bname, body := range bodies {
			for _, size := range []int{headSize - 1 - len(front), headSize - len(front), headSize + 1 - len(front), 7, 100, 700} {
				if size < 1 {
					continue
				}
				text := front + strings.Repeat(body(size/3+1), 4) + "end\n"
				files := map[string]string{"p.md": text}
				root := writeTree(t, files)
				sc, err := NewScanner(root, testConfig())
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("%s/%s/%d", fname, bname, size)
				gotP, gotW, gotE, _, _, _ := sc.parseData(context.Background(), "p.md")
				data, info, err := sc.load(context.Background(), "p.md")
				var wantP *Post
				var wantW []*FileError
				var wantE *FileError
				if err != nil {
					wantE = fileError("p.md", err)
				} else if p, w, err := sc.parseText("p.md", data, info); err != nil {
					wantW, wantE = w, fileError("p.md", err)
				} else {
					wantP, wantW = p, w
				}
				if !reflect.DeepEqual(gotP, wantP) {
					t.Errorf("%s: post from head\n%+v\nwant\n%+v", name, gotP, wantP)
				}
				if fmt.Sprint(gotW) != fmt.Sprint(wantW) || fmt.Sprint(gotE) != fmt.Sprint(wantE) {
					t.Errorf("%s: warnings/error from head %v / %v, want %v / %v", name, gotW, gotE, wantW, wantE)
				}
				n++
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d cases ran", n)
	}
}

// TestHeadOnlyScan checks that a scan reads only the head of a long post
// and that a body broken beyond the head is reported when the post is
// rendered, so it never reaches a feed.
func TestHeadOnlyScan(t *testing.T) {
	long := "---\ntitle: Long\ndate: 2024-03-01\n---\n" + strings.Repeat("Some text here.\n", headSize/8)
	broken := "---\ntitle: Broken\ndate: 2024-03-02\n---\n" + strings.Repeat("Some text here.\n", headSize/8) + "bad \xff byte\n"
	root := writeTree(t, map[string]string{"long.md": long, "broken.md": broken})
	sc, err := NewScanner(root, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, err := sc.Scan(t.Context(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Posts) != 2 || len(res.Skipped) != 0 {
		t.Fatalf("scan: %d posts, skipped %v; want both posts (bodies are not read yet)", len(res.Posts), res.Skipped)
	}
	if got := sc.reads.Load(); got != 2 {
		t.Errorf("scan opened files %d times, want 2 (one head each)", got)
	}
	failed := sc.Render(t.Context(), res.Posts)
	if len(failed) != 1 || failed[0].Path != "broken.md" || !strings.Contains(failed[0].Error(), "UTF-8") {
		t.Fatalf("render failures %v, want broken.md's invalid UTF-8", failed)
	}
	for _, p := range res.Posts {
		if p.Path == "long.md" && (!p.Rendered() || !strings.Contains(p.ContentHTML, "Some text here.")) {
			t.Errorf("long.md rendered as %q", p.ContentHTML)
		}
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

package source

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// byPath finds a scanned post.
func byPath(t *testing.T, res *Result, rel string) *Post {
	t.Helper()
	for _, p := range res.Posts {
		if p.Path == rel {
			return p
		}
	}
	t.Fatalf("no post %s among %d", rel, len(res.Posts))
	return nil
}

func warnings(p *Post) []string {
	var out []string
	for _, w := range p.RenderWarnings {
		out = append(out, w.Error())
	}
	return out
}

// TestRenderExpandsDirectives: each dialect through Scan and Render, with
// other posts' links, included files, front matter and site values, and
// warnings naming the file's line.
func TestRenderExpandsDirectives(t *testing.T) {
	root := writeTree(t, map[string]string{
		"blog/context.md": "---\ntitle: Context\ndate: 2014-07-29\ntemplate: true\n---\n" +
			"Intro.\n\n{{code \"context/x.go\" `/func A/` `/^}/`}}\n\n{{image \"context/fig.png\" 300}}\n\n{{nope}}\n",
		"blog/context/x.go": "package x\n\nfunc A() {\n\treturn // OMIT\n}\n",
		"hugo/a.md": "---\ntitle: A\ndate: 2024-01-02\nauthor_handle: jane\nsummary: By {{< param author_handle >}}{{< custom2 >}}.\n---\n" +
			"See [b]({{< ref \"b.md\" >}}) and [b again](b.md#top), by {{< param author_handle >}} of {{% param org %}}.\n\n{{< custom >}}\n{{< custom >}}\n",
		"hugo/b.md": "---\ntitle: B\ndate: 2024-01-01\nslug: bee\n---\nB.\n",
		"_posts/2010-07-21-name.md": "---\ntitle: Name\n---\n" +
			"{{ page.title }} on {{ site.title }}: [a]({% post_url 2014-07-29-missing %}) [b]({% link hugo/b.md %}) {% include x.html %}\n",
		"plain.md": "---\ntitle: Plain\ndate: 2024-02-02\n---\nGo templates look like {{.Title}}; see [readme](README.md).\n",
	})
	cfg := testConfig()
	cfg.SiteTitle = "The Site"
	cfg.Params = map[string]any{"org": "ACME"}
	sc, res := scanRender(t, root, cfg)
	_ = sc
	for _, c := range []struct {
		path  string
		has   []string
		warns []string
	}{
		{"blog/context.md", []string{
			"<pre><code>func A() {\n}\n</code></pre>",
			`<img src="https://example.org/blog/2014/07/29/context/context/fig.png" alt="" width="300">`,
		}, []string{`blog/context.md:12: template action {{nope}} removed: not a directive syndicate knows (raw, image, video, code, play)`}},
		{"hugo/a.md", []string{
			`<a href="https://example.org/blog/2024/01/01/bee/" rel="nofollow">b</a>`,
			`<a href="https://example.org/blog/2024/01/01/bee/#top" rel="nofollow">b again</a>`,
			"by jane of ACME.",
		}, []string{`hugo/a.md:9: unresolved Hugo shortcode "custom"`, `hugo/a.md: unresolved Hugo shortcode "custom2"`}},
		{"_posts/2010-07-21-name.md", []string{
			`Name on The Site: a <a href="https://example.org/blog/2024/01/01/bee/" rel="nofollow">b</a>`,
		}, []string{
			`_posts/2010-07-21-name.md:4: Liquid post_url "2014-07-29-missing" names no published post`,
			`_posts/2010-07-21-name.md:4: Liquid {% include %} tag removed`,
		}},
		{"plain.md", []string{"Go templates look like {{.Title}}", `href="https://example.org/blog/2024/02/02/plain/README.md"`},
			[]string{`plain.md:5: link to "README.md" names no published post`}},
	} {
		p := byPath(t, res, c.path)
		if c.path == "hugo/a.md" && p.SummaryText != "By jane." {
			t.Errorf("%s: summary %q, want the param expanded", c.path, p.SummaryText)
		}
		for _, h := range c.has {
			if !strings.Contains(p.ContentHTML, h) {
				t.Errorf("%s: HTML lacks %q:\n%s", c.path, h, p.ContentHTML)
			}
		}
		if got := strings.Join(warnings(p), "\n"); got != strings.Join(c.warns, "\n") {
			t.Errorf("%s: warnings\n%s\nwant\n%s", c.path, got, strings.Join(c.warns, "\n"))
		}
	}
}

// TestRenderIncludeStaysInside: code and play never read outside the
// content folder, by path or by symlink.
func TestRenderIncludeStaysInside(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.go"), []byte("package secret // TOP SECRET\n"), 0o644)
	root := writeTree(t, map[string]string{
		"p.md": "---\ntitle: P\ndate: 2024-01-01\ntemplate: true\n---\n{{code \"../secret.go\"}}\n{{code \"link/secret.go\"}}\n{{code \"/etc/passwd\"}}\n",
	})
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Skip(err)
	}
	_, res := scanRender(t, root, testConfig())
	p := byPath(t, res, "p.md")
	if strings.Contains(p.ContentHTML, "SECRET") || strings.Contains(p.ContentHTML, "root:") {
		t.Fatalf("read outside the content folder:\n%s", p.ContentHTML)
	}
	if len(p.RenderWarnings) != 3 {
		t.Errorf("warnings %q, want one per include", warnings(p))
	}
}

// TestRenderIncludeBudget: a post including one file again and again
// stops at MaxFileSize bytes of includes, and says so once.
func TestRenderIncludeBudget(t *testing.T) {
	root := writeTree(t, map[string]string{
		"p.md":   "---\ntitle: P\ndate: 2024-01-01\ntemplate: true\n---\n" + strings.Repeat("{{code \"big.go\"}}\n", 50),
		"big.go": strings.Repeat("x := 1 // padding to a kilobyte........................................\n", 14),
	})
	cfg := testConfig()
	cfg.MaxFileSize = 10 << 10
	_, res := scanRender(t, root, cfg)
	p := byPath(t, res, "p.md")
	if n := strings.Count(p.ContentHTML, "<pre>"); n < 5 || n > 10 {
		t.Errorf("%d code blocks, want the ~10 KB budget's worth", n)
	}
	if len(p.RenderWarnings) != 1 || !strings.Contains(p.RenderWarnings[0].Error(), "byte limit") {
		t.Errorf("warnings %q, want one about the limit", warnings(p))
	}
}

// TestRenderAgainWhenDepsChange: a post whose HTML holds another post's
// link, or an included file, is rendered again when those change though
// its own file did not, also when the first render came from the cache.
func TestRenderAgainWhenDepsChange(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a.md":   "---\ntitle: A\ndate: 2024-01-02\ntemplate: true\n---\nSee [b](b.md).\n\n{{code \"a/x.go\"}}\n",
		"a/x.go": "package one\n",
		"b.md":   "---\ntitle: B\ndate: 2024-01-01\n---\nB.\n",
	})
	ageFiles(t, root)
	cfg := testConfig()
	cfg.Cache = NewCache()
	_, res := scanRender(t, root, cfg)
	if a := byPath(t, res, "a.md"); !strings.Contains(a.ContentHTML, "/2024/01/01/b/") || !strings.Contains(a.ContentHTML, "package one") {
		t.Fatalf("first render:\n%s", a.ContentHTML)
	}
	steps := []struct {
		name, file, text, want string
	}{
		{"nothing changed", "", "", ""},
		{"b's link changes", "b.md", "---\ntitle: B\ndate: 2024-01-01\nslug: bee\n---\nB.\n", "/2024/01/01/bee/"},
		{"the included file changes", "a/x.go", "package two\n", "package two"},
	}
	for _, s := range steps {
		if s.file != "" {
			os.WriteFile(filepath.Join(root, s.file), []byte(s.text), 0o644)
			old := time.Now().Add(-time.Hour + time.Minute)
			os.Chtimes(filepath.Join(root, s.file), old, old)
		}
		sc, err := NewScanner(root, cfg)
		if err != nil {
			t.Fatal(err)
		}
		res := scanWithScanner(t, sc)
		a := byPath(t, res, "a.md")
		if s.want == "" {
			if !a.Rendered() {
				t.Errorf("%s: a.md rendered again", s.name)
			}
			continue
		}
		if a.Rendered() || a.RenderSum != [16]byte{} {
			t.Fatalf("%s: a.md kept its old HTML", s.name)
		}
		if errs := sc.Render(t.Context(), []*Post{a}); len(errs) > 0 {
			t.Fatal(errs)
		}
		if !strings.Contains(a.ContentHTML, s.want) {
			t.Errorf("%s: HTML lacks %q:\n%s", s.name, s.want, a.ContentHTML)
		}
	}
}

func scanWithScanner(t *testing.T, sc *Scanner) *Result {
	t.Helper()
	res, err := sc.Scan(t.Context(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRescanRendersReferrersAgain: an Index rescan told only of the
// linked post's change gives the referring post as a new, unrendered
// post, and leaves the old one (shared with the last Result) alone.
func TestRescanRendersReferrersAgain(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a.md": "---\ntitle: A\ndate: 2024-01-02\n---\nSee [b]({{< ref b >}}).\n",
		"b.md": "---\ntitle: B\ndate: 2024-01-01\n---\nB.\n",
		"c.md": "---\ntitle: C\ndate: 2024-01-03\n---\nC.\n",
	})
	ageFiles(t, root)
	sc, res, ix := indexFolder(t, root, testConfig())
	if errs := sc.Render(t.Context(), res.Posts); len(errs) > 0 {
		t.Fatal(errs)
	}
	oldA, oldC := byPath(t, res, "a.md"), byPath(t, res, "c.md")
	os.WriteFile(filepath.Join(root, "b.md"), []byte("---\ntitle: B\ndate: 2024-01-01\nslug: bee\n---\nB.\n"), 0o644)
	res2, err := sc.Scan(t.Context(), ScanOptions{Index: ix, Changed: []string{"b.md"}})
	if err != nil {
		t.Fatal(err)
	}
	a, c := byPath(t, res2, "a.md"), byPath(t, res2, "c.md")
	if a == oldA || a.Rendered() || !oldA.Rendered() {
		t.Fatalf("a.md: same post %v, rendered %v, old rendered %v", a == oldA, a.Rendered(), oldA.Rendered())
	}
	if c != oldC {
		t.Error("c.md, which links nowhere, was replaced")
	}
	if errs := sc.Render(t.Context(), []*Post{a}); len(errs) > 0 || !strings.Contains(a.ContentHTML, "/bee/") {
		t.Fatalf("a.md rendered again: %v\n%s", errs, a.ContentHTML)
	}
}

// BenchmarkExpandPlain: what the directive step costs a post without
// directives (a look for '{' and for ".md").
func BenchmarkExpandPlain(b *testing.B) {
	body := strings.Repeat("A paragraph of plain text, with a [link](https://example.org/x/) and *emphasis*.\n\n", 40)
	data := []byte("---\ntitle: T\ndate: 2024-01-01\n---\n" + body)
	p := &Post{Path: "p.md", bodyOffset: int64(len(data) - len(body))}
	sc, err := NewScanner(b.TempDir(), testConfig())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		out, _, warns, deps := sc.expand(p, data)
		if len(out) != len(body) || warns != nil || deps != nil {
			b.Fatal(fmt.Sprint("changed ", len(out)))
		}
	}
}

// FuzzRewriteLinks: links to .md files are found and replaced without
// panics, a body whose links all dangle comes back as it was, and every
// target found is a .md or .markdown path.
func FuzzRewriteLinks(f *testing.F) {
	for _, s := range []string{
		"See [b](b.md) and [c](../c.markdown#x).",
		"[ref]: <other.md>\n\n[x][ref]",
		"```\n[in code](a.md)\n```\n[out](a.md)",
		"[a]( b.md \"title\")](c.md)",
		"]:]( .md)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		b := []byte(body)
		for _, sp := range mdLinkTargets(b, 0) {
			if tg := string(b[sp[0]:sp[1]]); !strings.HasSuffix(tg, ".md") && !strings.HasSuffix(tg, ".markdown") {
				t.Fatalf("target %q", tg)
			}
		}
		if out := rewriteLinks(b, func(int, string) (string, bool) { return "", false }); string(out) != body {
			t.Fatalf("dangling links changed the body: %q", out)
		}
		rewriteLinks(b, func(int, string) (string, bool) { return "https://example.org/x/", true })
	})
}

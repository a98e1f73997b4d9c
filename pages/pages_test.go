package pages

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/source"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func testSite() feedgen.Site {
	return feedgen.Site{
		Title:       "Example Blog",
		Description: "Notes on feeds & things",
		URL:         "https://example.org/",
		FeedsURL:    "https://example.org/feeds/",
		Language:    "en",
		TagURL:      "https://example.org/tags/:slug/",
	}
}

func post(n int, title string, tags, cats []string) *source.Post {
	link := fmt.Sprintf("https://example.org/%d/", n)
	return &source.Post{
		Path: fmt.Sprintf("posts/%d.md", n), ID: link, Link: link, Title: title,
		Published: t0.Add(time.Duration(n) * time.Hour), Updated: t0.Add(time.Duration(n) * time.Hour),
		Tags: tags, Categories: cats, Language: "en",
		ContentHTML: "<p>Body " + strconv.Itoa(n) + "</p>", SummaryHTML: "<p>Summary</p>", SummaryText: "Summary of " + title,
	}
}

func testPosts() []*source.Post {
	return []*source.Post{
		post(1, "Hello, World", []string{"Go", "Feeds"}, []string{"Notes"}),
		post(2, "Second", []string{"go", "日本語"}, nil),
		post(3, "Third <b>bold</b> & more", []string{"C++", "C"}, []string{"Notes"}),
	}
}

func newPlan(t *testing.T, posts []*source.Post, formats ...feedgen.Format) *feedgen.Plan {
	t.Helper()
	p, err := feedgen.NewPlan(testSite(), feedgen.Options{Limit: 20, Formats: formats}, posts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func build(t *testing.T, plan *feedgen.Plan, prev *feedgen.Snapshot) map[string]*feedgen.Document {
	t.Helper()
	docs, _, err := New(plan, Options{}).Build(context.Background(), prev)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*feedgen.Document{}
	for _, d := range docs {
		out[d.Path] = d
	}
	return out
}

func TestPaths(t *testing.T) {
	plan := newPlan(t, testPosts())
	got := strings.Join(New(plan, Options{}).Paths(), " ")
	want := "categories/notes/discovery.html categories/notes/index.html discovery.html feeds.opml index.html " +
		"tags/c-cedb1bac/discovery.html tags/c-cedb1bac/index.html tags/c/discovery.html tags/c/index.html tags/feeds/discovery.html " +
		"tags/feeds/index.html tags/go/discovery.html tags/go/index.html tags/日本語/discovery.html tags/日本語/index.html"
	if got != want {
		t.Errorf("paths\n got %s\nwant %s", got, want)
	}
}

func TestIndexPage(t *testing.T) {
	plan := newPlan(t, testPosts())
	d := build(t, plan, nil)["index.html"]
	if d.ContentType != HTMLType || d.Format != HTML {
		t.Errorf("content type %q, format %q", d.ContentType, d.Format)
	}
	if !d.Modified.Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("modified %v", d.Modified)
	}
	body := string(d.Body)
	for _, want := range []string{
		// Autodiscovery: the site feed, main format first, then the OPML.
		`<link rel="alternate" type="application/rss+xml" title="Example Blog (RSS)" href="feed.rss">
<link rel="alternate" type="application/atom+xml" title="Example Blog (Atom)" href="feed.atom">
<link rel="alternate" type="application/feed+json" title="Example Blog (JSON Feed)" href="feed.json">
<link rel="alternate" type="text/x-opml" title="Every feed of Example Blog (OPML)" href="feeds.opml">`,
		`<code>https://example.org/feeds/feed.rss</code>`,
		`data-url="https://example.org/feeds/feed.atom"`,
		`href="https://feedly.com/i/subscription/feed%2Fhttps%3A%2F%2Fexample.org%2Ffeeds%2Ffeed.rss"`,
		`href="https://www.inoreader.com/?add_feed=https%3A%2F%2Fexample.org%2Ffeeds%2Ffeed.rss"`,
		`href="https://www.newsblur.com/?url=https%3A%2F%2Fexample.org%2Ffeeds%2Ffeed.rss"`,
		`href="https://theoldreader.com/feeds/subscribe?url=https%3A%2F%2Fexample.org%2Ffeeds%2Ffeed.rss"`,
		`<a href="feeds.opml" type="text/x-opml">`,
		whatIsAFeed,
		`<li data-name="go"><a href="tags/go/">Go</a> <span class="meta">2 posts, updated <time datetime="2024-05-01T14:00:00Z">1 May 2024</time></span> <a href="tags/go/feed.rss">RSS</a>`,
		`<a href="tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/">日本語</a>`,
		`<h3 id="h-categories">Categories (1)</h3>`,
		`<h3 id="h-tags">Tags (5)</h3>`,
		`<option value="C&#43;&#43;">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("index page lacks %s", want)
		}
	}
	// Categories come before tags; letters in collation order.
	if strings.Index(body, "h-categories") > strings.Index(body, "h-tags") {
		t.Error("tags listed before categories")
	}
	if i, j := strings.Index(body, ">C<"), strings.Index(body, ">日本語<"); i < 0 || j < 0 || i > j {
		t.Errorf("letters out of order: C at %d, 日本語 at %d", i, j)
	}
}

func TestFeedPage(t *testing.T) {
	plan := newPlan(t, testPosts(), feedgen.Atom, feedgen.RSS)
	d := build(t, plan, nil)["tags/go/index.html"]
	body := string(d.Body)
	for _, want := range []string{
		`<title>Example Blog – tag: Go</title>`,
		// This feed first, main format first, then the site's.
		`<link rel="alternate" type="application/atom+xml" title="Example Blog – tag: Go (Atom)" href="feed.atom">
<link rel="alternate" type="application/rss+xml" title="Example Blog – tag: Go (RSS)" href="feed.rss">
<link rel="alternate" type="application/atom+xml" title="Example Blog (Atom)" href="../../feed.atom">
<link rel="alternate" type="application/rss+xml" title="Example Blog (RSS)" href="../../feed.rss">
<style>`,
		`<code>https://example.org/feeds/tags/go/feed.atom</code>`,
		// Subscribe links use the first format readers read.
		`href="https://feedly.com/i/subscription/feed%2Fhttps%3A%2F%2Fexample.org%2Ffeeds%2Ftags%2Fgo%2Ffeed.atom"`,
		`<a href="../../">All feeds of this site</a>`,
		`<h3><a href="https://example.org/2/">Second</a></h3>
<p class="meta"><time datetime="2024-05-01T14:00:00Z">1 May 2024</time></p>
<p>Summary of Second</p>`,
		`<a href="https://example.org/tags/go/">Back to the site</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("tag page lacks %s", want)
		}
	}
	if strings.Index(body, "Second") > strings.Index(body, "Hello, World") {
		t.Error("posts not newest first")
	}
	if strings.Contains(body, "feed.json") {
		t.Error("page links a format that is not written")
	}
}

// TestPageNeedsRenderedPosts: a page is never made with summaries
// missing.
func TestPageNeedsRenderedPosts(t *testing.T) {
	posts := testPosts()
	plan := newPlan(t, posts)
	posts[0].ReleaseHTML()
	if _, _, err := New(plan, Options{}).Build(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "not rendered") {
		t.Fatalf("err = %v", err)
	}
	lacking := New(plan, Options{}).Lacking(nil)
	if len(lacking) != len(posts) {
		t.Errorf("lacking %d posts, want %d", len(lacking), len(posts))
	}
	if got := New(plan, Options{}).Lacking(holdsAll{}); len(got) != 0 {
		t.Errorf("lacking %d posts with every page held", len(got))
	}
}

type holdsAll struct{}

func (holdsAll) Holds(feedgen.PlannedDocument) bool { return true }

// TestFingerprints: pages are made again exactly when what they show
// changes.
func TestFingerprints(t *testing.T) {
	fps := func(posts []*source.Post, formats ...feedgen.Format) map[string]feedgen.Fingerprint {
		out := map[string]feedgen.Fingerprint{}
		for _, d := range New(newPlan(t, posts, formats...), Options{}).docs {
			out[d.path] = d.fp
		}
		return out
	}
	base := fps(testPosts())
	if again := fps(testPosts()); fmt.Sprint(again) != fmt.Sprint(base) {
		t.Fatal("fingerprints differ for the same input")
	}
	for _, tc := range []struct {
		name    string
		edit    func([]*source.Post) []*source.Post
		formats []feedgen.Format
		changed []string
	}{
		{"summary of a post tagged feeds", func(p []*source.Post) []*source.Post {
			p[0].SummaryText = "new"
			return p
		}, nil, []string{"categories/notes/index.html", "tags/feeds/index.html", "tags/go/index.html"}},
		{"title of a post tagged 日本語", func(p []*source.Post) []*source.Post {
			p[1].Title = "new"
			return p
		}, nil, []string{"tags/go/index.html", "tags/日本語/index.html"}},
		{"new post in a new tag", func(p []*source.Post) []*source.Post {
			return append(p, post(0, "Zero", []string{"zero"}, nil))
		}, nil, []string{"feeds.opml", "index.html", "tags/zero/discovery.html", "tags/zero/index.html"}},
		{"formats", func(p []*source.Post) []*source.Post { return p }, []feedgen.Format{feedgen.RSS},
			[]string{"categories/notes/discovery.html", "categories/notes/index.html", "discovery.html", "feeds.opml", "index.html",
				"tags/c-cedb1bac/discovery.html", "tags/c-cedb1bac/index.html", "tags/c/discovery.html", "tags/c/index.html",
				"tags/feeds/discovery.html", "tags/feeds/index.html", "tags/go/discovery.html", "tags/go/index.html",
				"tags/日本語/discovery.html", "tags/日本語/index.html"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fps(tc.edit(testPosts()), tc.formats...)
			var changed []string
			for _, p := range New(newPlan(t, tc.edit(testPosts()), tc.formats...), Options{}).Paths() {
				if got[p] != base[p] {
					changed = append(changed, p)
				}
			}
			if strings.Join(changed, " ") != strings.Join(tc.changed, " ") {
				t.Errorf("changed %v, want %v", changed, tc.changed)
			}
		})
	}
}

// TestBuildReuses: documents whose fingerprints did not change are the
// previous snapshot's, the others made again.
func TestBuildReuses(t *testing.T) {
	first := build(t, newPlan(t, testPosts()), nil)
	prev := &feedgen.Snapshot{Docs: first}
	posts := testPosts()
	posts[1].Title = "Edited"
	docs, made, err := New(newPlan(t, posts), Options{}).Build(context.Background(), prev)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		same := first[d.Path] == d
		if want := d.Path != "tags/go/index.html" && d.Path != "tags/日本語/index.html"; same != want {
			t.Errorf("%s reused: %v, want %v", d.Path, same, want)
		}
	}
	if made != 2 {
		t.Errorf("made %d, want 2", made)
	}
}

// TestCompressed: pages are held compressed like feeds when asked.
func TestCompressed(t *testing.T) {
	plan, err := feedgen.NewPlan(testSite(), feedgen.Options{Limit: 20, Compressed: true}, testPosts())
	if err != nil {
		t.Fatal(err)
	}
	plain := build(t, newPlan(t, testPosts()), nil)
	for _, d := range build(t, plan, nil) {
		body, err := d.Bytes()
		if err != nil || d.Body != nil || d.Gzip == nil || !bytes.Equal(body, plain[d.Path].Body) || d.ETag != plain[d.Path].ETag {
			t.Errorf("%s: held body %v, err %v, differs %v", d.Path, d.Body != nil, err, !bytes.Equal(body, plain[d.Path].Body))
		}
	}
}

// TestJob: the documents written into a tree are those Build makes, and
// a second write of the same plan writes nothing.
func TestJob(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	plan := newPlan(t, testPosts())
	ctx := context.Background()
	if _, err := outtree.Write(ctx, dir, New(plan, Options{}).Job(), outtree.Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	for path, d := range build(t, plan, nil) {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
		if err != nil || !bytes.Equal(got, d.Body) {
			t.Errorf("%s: err %v, differs from Build's", path, err)
		}
	}
	st, err := outtree.Write(ctx, dir, New(newPlan(t, testPosts()), Options{}).Job(), outtree.Options{Workers: 2})
	if err != nil || !st.Unchanged {
		t.Errorf("second write: %+v, %v", st, err)
	}
}

// xssCorpus is the hostile input of source's tests (source/render_test.go),
// read from there so that both stay one list.
func xssCorpus(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../source/render_test.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "xssCorpus" {
			return true
		}
		for _, e := range vs.Values[0].(*ast.CompositeLit).Elts {
			s, err := strconv.Unquote(e.(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return false
	})
	if len(out) < 20 {
		t.Fatalf("read %d hostile strings from source's tests", len(out))
	}
	return out
}

// hostileDocs builds pages for a site where every title, tag, category,
// summary and the site's own title and description are hostile.
func hostileDocs(t *testing.T) map[string]*feedgen.Document {
	t.Helper()
	corpus := xssCorpus(t)
	var posts []*source.Post
	for i, x := range corpus {
		p := post(i+1, x, []string{x, "t" + x}, []string{x})
		p.SummaryText = x
		p.Language = x
		posts = append(posts, p)
	}
	site := testSite()
	site.Title, site.Description = corpus[0], corpus[3]
	plan, err := feedgen.NewPlan(site, feedgen.Options{Limit: 5}, posts)
	if err != nil {
		t.Fatal(err)
	}
	return build(t, plan, nil)
}

// TestHostileText: hostile names and titles are text on every page,
// never markup: the only script is the page's own, no element has an
// event handler, and every link goes where the page means it to.
func TestHostileText(t *testing.T) {
	docs := hostileDocs(t)
	if len(docs) < 50 {
		t.Fatalf("only %d documents", len(docs))
	}
	for path, d := range docs {
		if d.Format != HTML {
			continue
		}
		z := html.NewTokenizer(bytes.NewReader(d.Body))
		scripts := 0
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				break
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			tok := z.Token()
			switch tok.Data {
			case "script":
				scripts++
			case "style", "link", "meta", "html", "head", "body", "title", "header", "main", "section", "footer",
				"h1", "h2", "h3", "p", "ul", "li", "a", "code", "button", "span", "time", "nav", "article",
				"div", "label", "input", "datalist", "option":
			default:
				t.Errorf("%s: element <%s>", path, tok.Data)
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") || a.Key == "style" {
					t.Errorf("%s: <%s %s=%q>", path, tok.Data, a.Key, a.Val)
				}
				// An empty icon stops browsers asking for /favicon.ico.
				if a.Key == "href" && !strings.HasPrefix(a.Val, "https://") && strings.Contains(a.Val, ":") && (tok.Data != "link" || a.Val != "data:,") {
					t.Errorf("%s: <%s href=%q>", path, tok.Data, a.Val)
				}
			}
		}
		if scripts != 1 {
			t.Errorf("%s: %d scripts", path, scripts)
		}
	}
}

// TestStrictHTML: every page, hostile ones included, parses without a
// single error under html5lib's strict mode, the W3C feed validator's
// rule for HTML; so does every discovery snippet put in a page's <head>
// as a theme would.
func TestStrictHTML(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		py = "python3"
	}
	if err := exec.Command(py, "-c", "import html5lib").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3-html5lib missing in CI (.ci/run installs it)")
		}
		t.Skip("python3 html5lib missing (.ci/run installs python3-html5lib)")
	}
	dir := t.TempDir()
	var files []string
	add := func(name string, docs map[string]*feedgen.Document) {
		for path, d := range docs {
			body := d.Body
			if d.Format == Fragment {
				body = []byte("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>A theme's page</title>\n" +
					string(d.Body) + "</head>\n<body>\n<p>Text.</p>\n</body>\n</html>\n")
			}
			if d.Format == HTML || d.Format == Fragment {
				f := filepath.Join(dir, fmt.Sprintf("%s-%d.html", name, len(files)))
				if err := os.WriteFile(f, body, 0o644); err != nil {
					t.Fatal(err)
				}
				files = append(files, f+"\t"+path)
			}
		}
	}
	add("plain", build(t, newPlan(t, testPosts()), nil))
	add("hostile", hostileDocs(t))
	script := `
import sys, html5lib
bad = 0
for line in sys.stdin.read().splitlines():
    f, name = line.split("\t")
    try:
        html5lib.HTMLParser(strict=True).parse(open(f, "rb").read())
    except Exception as e:
        bad += 1
        print(name, e)
sys.exit(1 if bad else 0)
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(strings.Join(files, "\n"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("html5lib strict: %v\n%s", err, out)
	}
}

// TestIcon: the site's icon is every page's favicon, and changing it
// makes every page again.
func TestIcon(t *testing.T) {
	site := testSite()
	site.Icon = "https://example.org/favicon.png?a=1&b=2"
	plan, err := feedgen.NewPlan(site, feedgen.Options{Limit: 20}, testPosts())
	if err != nil {
		t.Fatal(err)
	}
	plain := New(newPlan(t, testPosts()), Options{})
	with := New(plan, Options{})
	docs := build(t, plan, nil)
	for i, d := range with.docs {
		if d.kind == discoverySnippet {
			if d.fp != plain.docs[i].fp {
				t.Errorf("%s: a snippet shows no icon, yet its fingerprint changed", d.path)
			}
			continue
		}
		if d.fp == plain.docs[i].fp {
			t.Errorf("%s: fingerprint kept with an icon", d.path)
		}
		if d.kind == opmlFile {
			continue
		}
		if !strings.Contains(string(docs[d.path].Body), `<link rel="icon" href="https://example.org/favicon.png?a=1&amp;b=2">`) {
			t.Errorf("%s lacks the icon", d.path)
		}
	}
	if !strings.Contains(string(build(t, newPlan(t, testPosts()), nil)["index.html"].Body), `<link rel="icon" href="data:,">`) {
		t.Error("without site.icon, the icon is not the empty one that keeps browsers from asking for /favicon.ico")
	}
}

// authorPosts credit authors the ways exports do: a configured name, an
// address alone, a name with an address, a map with an e-mail key.
func authorPosts() []*source.Post {
	a := post(1, "By Jane", nil, nil)
	a.Authors = []source.Author{{Name: "jdoe", Email: "jane@example.org", URL: "https://jane.example/"}}
	b := post(2, "By the editors", nil, nil)
	b.Authors = []source.Author{{Name: "editors@example.org", Email: "editors@example.org"}}
	c := post(3, "By Max", nil, nil)
	c.Authors = []source.Author{{Name: "Max Mustermann <max@example.org>"}, {Name: "Kim", Email: "kim@example.org"}}
	return []*source.Post{a, b, c}
}

func authorPlan(t *testing.T, people map[string]feedgen.Author) *feedgen.Plan {
	t.Helper()
	site := testSite()
	if people != nil {
		d, err := feedgen.NewAuthors(people)
		if err != nil {
			t.Fatal(err)
		}
		site.Authors = d
	}
	p, err := feedgen.NewPlan(site, feedgen.Options{Limit: 20, AuthorFeeds: true}, authorPosts())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAuthorPages: author feeds' pages, index rows and OPML outlines
// show the display name config gives and link the author's page, under
// the slug of the name posts write.
func TestAuthorPages(t *testing.T) {
	plan := authorPlan(t, map[string]feedgen.Author{
		"jdoe": {Name: "Jane Doe", URL: "https://example.org/about/jane/"},
	})
	docs := build(t, plan, nil)
	page := string(docs["authors/jdoe/index.html"].Body)
	for _, want := range []string{
		`<title>Example Blog – author: Jane Doe</title>`,
		`<p><a href="https://example.org/about/jane/" rel="author">About Jane Doe</a></p>`,
		`<a href="https://example.org/">Back to the site</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("author page lacks %s:\n%s", want, page)
		}
	}
	index := string(docs[IndexName].Body)
	if !strings.Contains(index, `<a href="authors/jdoe/">Jane Doe</a>`) {
		t.Errorf("index lacks Jane's row:\n%s", index)
	}
	opml := string(docs[OPMLName].Body)
	if !strings.Contains(opml, `text="Example Blog – author: Jane Doe" title="Example Blog – author: Jane Doe" xmlUrl="https://example.org/feeds/authors/jdoe/feed.rss" htmlUrl="https://example.org/about/jane/"`) {
		t.Errorf("OPML lacks Jane's outline:\n%s", opml)
	}
	// Kim has no page: no author link, the footer leads to the site.
	if kim := string(docs["authors/kim/index.html"].Body); strings.Contains(kim, `rel="author"`) {
		t.Errorf("author link without a page:\n%s", kim)
	}

	// Another page for the author changes the index and OPML (htmlUrl)
	// and the author's page; the others' pages are kept.
	prev := &feedgen.Snapshot{Docs: docs}
	again := authorPlan(t, map[string]feedgen.Author{
		"jdoe": {Name: "Jane Doe", URL: "https://example.org/about/jane-doe/"},
	})
	set := New(again, Options{})
	for _, path := range []string{IndexName, OPMLName, "authors/jdoe/index.html"} {
		for _, d := range set.docs {
			if d.path == path && prev.Holds(d.planned()) {
				t.Errorf("%s kept although the author's page moved", path)
			}
		}
	}
}

// TestNoAddressLeaks builds every feed, page and the OPML file of posts
// that give authors' e-mail addresses every way exports do: without an
// entry that makes an address public, none may appear anywhere; with
// one, only that address does.
func TestNoAddressLeaks(t *testing.T) {
	addresses := []string{"jane@example.org", "editors@example.org", "max@example.org", "kim@example.org"}
	for _, tc := range []struct {
		name   string
		people map[string]feedgen.Author
		public string
	}{
		{"no config", nil, ""},
		{"display names", map[string]feedgen.Author{
			"jdoe":                {Name: "Jane Doe", Email: "jane@example.org"},
			"editors@example.org": {Name: "The Editors"},
			"kim":                 {URL: "https://example.org/kim/"},
		}, ""},
		{"one public", map[string]feedgen.Author{"kim": {EmailPublic: true}}, "kim@example.org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := authorPlan(t, tc.people)
			snap, err := plan.Build(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			all := build(t, plan, nil)
			for path, d := range snap.Docs {
				all[path] = d
			}
			seen := false
			for path, d := range all {
				for _, addr := range addresses {
					if !bytes.Contains(d.Body, []byte(addr)) {
						continue
					}
					if addr != tc.public {
						t.Errorf("%s publishes %s", path, addr)
					}
					seen = true
				}
			}
			if tc.public != "" && !seen {
				t.Errorf("%s, made public, is in no document", tc.public)
			}
		})
	}
}

// reusePosts is a site of n posts over 30 tags and 5 categories, each
// post a new *source.Post.
func reusePosts(n int) []*source.Post {
	posts := make([]*source.Post, n)
	for i := range posts {
		posts[i] = post(i, fmt.Sprintf("Post %d", i),
			[]string{fmt.Sprintf("Tag %d", i%30), fmt.Sprintf("Tag %d", (i*7+1)%30)}, []string{fmt.Sprintf("Category %d", i%5)})
		posts[i].Authors = []source.Author{{Name: fmt.Sprintf("Author %d", i%3)}}
	}
	return posts
}

// TestReusePrev: over rounds of edits, additions, removals and tag
// changes, and changes of the site's title, the formats and the options,
// a set made with the previous one (Options.Prev) has exactly the
// documents and fingerprints of a set made from scratch, and takes most
// fingerprints from it when little changed.
func TestReusePrev(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	posts := reusePosts(200)
	site, formats, opts := testSite(), []feedgen.Format(nil), Options{}
	plan := func() *feedgen.Plan {
		p, err := feedgen.NewPlan(site, feedgen.Options{Limit: 10, AuthorFeeds: true, Formats: formats}, posts)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	prev := New(plan(), opts)
	for round := range 40 {
		next := slices.Clone(posts)
		quiet := false // nothing a feed page or snippet shows changed
		switch round % 8 {
		case 0, 1: // edit a post, the newest most often
			i := rng.IntN(1 + rng.IntN(len(next)))
			x := *next[i]
			x.Title += " (edited)"
			next[i] = &x
		case 2: // a new post, newest
			x := post(1000+round, fmt.Sprintf("New %d", round), []string{"Tag 3"}, nil)
			next = append(next, x)
		case 3: // a post removed
			i := rng.IntN(len(next))
			next = slices.Delete(next, i, i+1)
		case 4: // a new tag on a post, or a tag renamed (same slug, new name)
			if round%16 == 4 {
				i := rng.IntN(len(next))
				x := *next[i]
				x.Tags = append(slices.Clone(x.Tags), fmt.Sprintf("Fresh %d", round))
				next[i] = &x
				break
			}
			name := fmt.Sprintf("Tag %d", rng.IntN(30))
			for i, x := range next {
				if j := slices.Index(x.Tags, name); j >= 0 {
					y := *x
					y.Tags = slices.Clone(x.Tags)
					y.Tags[j] = strings.ToUpper(name)
					next[i] = &y
				}
			}
		case 5: // the site's title, or its tag addresses
			if round%16 == 5 {
				site.Title += "!"
			} else {
				site.TagURL = "https://example.org/topics/:slug/"
			}
		case 6: // the formats (the main one, or only the others), or the nginx include
			switch round % 24 {
			case 6:
				formats = []feedgen.Format{feedgen.Atom, feedgen.RSS}
			case 14:
				formats = []feedgen.Format{feedgen.RSS, feedgen.JSON}
			default:
				formats = nil
				opts.WordPress = &WordPress{TagBase: "tag", CategoryBase: "category"}
			}
		case 7: // nothing at all
			quiet = true
		}
		posts = next
		p := plan()
		withPrev := opts
		withPrev.Prev = prev
		got := New(p, withPrev)
		want := New(plan(), opts)
		if len(got.docs) != len(want.docs) {
			t.Fatalf("round %d: %d documents, want %d", round, len(got.docs), len(want.docs))
		}
		same := 0
		for i, d := range got.docs {
			w := want.docs[i]
			if d.path != w.path || d.kind != w.kind || d.fp != w.fp || (d.feed == nil) != (w.feed == nil) ||
				(d.feed != nil && d.feed.Dir() != w.feed.Dir()) {
				t.Errorf("round %d: document %d is %s (%d) %s, want %s (%d) %s", round, i, d.path, d.kind, d.fp, w.path, w.kind, w.fp)
			}
			if prevFP, ok := prev.fingerprint(d.path); ok && prevFP == d.fp {
				same++
			}
		}
		if quiet && same != len(got.docs) {
			t.Errorf("round %d: nothing changed, yet %d of %d fingerprints did", round, len(got.docs)-same, len(got.docs))
		}
		prev = got
	}
}

// fingerprint is the fingerprint of the set's document at path.
func (s *Set) fingerprint(path string) (feedgen.Fingerprint, bool) {
	i, ok := slices.BinarySearchFunc(s.docs, path, func(d doc, p string) int { return strings.Compare(d.path, p) })
	if !ok {
		return feedgen.Fingerprint{}, false
	}
	return s.docs[i].fp, true
}

// TestPrevFingerprintsTaken: a set given Options.Prev takes an unchanged
// feed's page and snippet fingerprints from it rather than hashing again
// (marked fingerprints in the earlier set show through), and hashes again
// when what the page shows changed; without Prev it hashes.
func TestPrevFingerprintsTaken(t *testing.T) {
	posts := reusePosts(50)
	prev := New(newPlan(t, posts), Options{})
	marked := feedgen.Fingerprint{1, 2, 3}
	real := map[string]feedgen.Fingerprint{}
	for _, m := range prev.feeds {
		for _, d := range []*doc{&m.page, &m.snippet} {
			if d.path != "" {
				real[d.path] = d.fp
				d.fp = marked
			}
		}
	}
	const page, snippet = "tags/tag-1/index.html", "tags/tag-1/discovery.html"
	if _, ok := real[page]; !ok {
		t.Fatalf("no %s in %v", page, prev.Paths())
	}
	taken := New(newPlan(t, posts), Options{Prev: prev})
	for _, p := range []string{page, snippet, DiscoveryName} {
		if fp, _ := taken.fingerprint(p); fp != marked {
			t.Errorf("%s: not taken from Prev", p)
		}
	}
	if fp, _ := New(newPlan(t, posts), Options{}).fingerprint(page); fp != real[page] {
		t.Errorf("without Prev %s has %s, want %s", page, fp, real[page])
	}
	// A post of Tag 1 edited: its page shows it, its snippet does not.
	edited := slices.Clone(posts)
	x := *edited[1]
	x.Title += " (edited)"
	edited[1] = &x
	again := New(newPlan(t, edited), Options{Prev: prev})
	if fp, _ := again.fingerprint(page); fp == marked || fp == real[page] {
		t.Errorf("%s: an edit kept the fingerprint %s", page, fp)
	}
	if fp, _ := again.fingerprint(snippet); fp != marked {
		t.Errorf("%s: not taken from Prev after an edit it does not show", snippet)
	}
}

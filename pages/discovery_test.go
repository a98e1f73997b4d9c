package pages

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/stricthtml"
)

// TestDiscoverySnippet: every feed folder has the feed's links, main
// format first, then the site feed's, absolute, one a line.
func TestDiscoverySnippet(t *testing.T) {
	docs := build(t, newPlan(t, testPosts(), feedgen.Atom, feedgen.RSS), nil)
	for path, want := range map[string]string{
		"tags/go/discovery.html": `<link rel="alternate" type="application/atom+xml" title="Example Blog – tag: Go (Atom)" href="https://example.org/feeds/tags/go/feed.atom">
<link rel="alternate" type="application/rss+xml" title="Example Blog – tag: Go (RSS)" href="https://example.org/feeds/tags/go/feed.rss">
<link rel="alternate" type="application/atom+xml" title="Example Blog (Atom)" href="https://example.org/feeds/feed.atom">
<link rel="alternate" type="application/rss+xml" title="Example Blog (RSS)" href="https://example.org/feeds/feed.rss">
`,
		"discovery.html": `<link rel="alternate" type="application/atom+xml" title="Example Blog (Atom)" href="https://example.org/feeds/feed.atom">
<link rel="alternate" type="application/rss+xml" title="Example Blog (RSS)" href="https://example.org/feeds/feed.rss">
`,
		"tags/日本語/discovery.html": `<link rel="alternate" type="application/atom+xml" title="Example Blog – tag: 日本語 (Atom)" href="https://example.org/feeds/tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/feed.atom">
<link rel="alternate" type="application/rss+xml" title="Example Blog – tag: 日本語 (RSS)" href="https://example.org/feeds/tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/feed.rss">
<link rel="alternate" type="application/atom+xml" title="Example Blog (Atom)" href="https://example.org/feeds/feed.atom">
<link rel="alternate" type="application/rss+xml" title="Example Blog (RSS)" href="https://example.org/feeds/feed.rss">
`,
	} {
		d := docs[path]
		if d == nil {
			t.Errorf("no %s", path)
			continue
		}
		if string(d.Body) != want {
			t.Errorf("%s:\n%s\nwant\n%s", path, d.Body, want)
		}
		if d.ContentType != HTMLType || d.Format != Fragment || d.ETag == "" {
			t.Errorf("%s: type %q, format %q, etag %q", path, d.ContentType, d.Format, d.ETag)
		}
	}
	// A snippet with JSON Feed names its type so feed finders know it.
	body := string(build(t, newPlan(t, testPosts()), nil)["categories/notes/discovery.html"].Body)
	if !strings.Contains(body, `type="application/feed+json" title="Example Blog – category: Notes (JSON Feed)" href="https://example.org/feeds/categories/notes/feed.json"`) {
		t.Errorf("category snippet:\n%s", body)
	}
}

// TestDiscoveryFingerprint: a snippet is made again only when a link in
// it changes (a title, a format, the feeds' address), never for a post.
func TestDiscoveryFingerprint(t *testing.T) {
	fps := func(plan *feedgen.Plan) map[string]feedgen.Fingerprint {
		out := map[string]feedgen.Fingerprint{}
		for _, d := range New(plan, Options{}).docs {
			if d.kind == discoverySnippet {
				out[d.path] = d.fp
			}
		}
		return out
	}
	base := fps(newPlan(t, testPosts()))
	edited := testPosts()
	edited[0].Title, edited[0].SummaryText = "Edited", "Edited"
	edited = append(edited, post(9, "New", []string{"Feeds"}, []string{"Notes"}))
	site := testSite()
	site.Title = "Renamed"
	moved := testSite()
	moved.FeedsURL = "https://feeds.example.org/"
	for _, tc := range []struct {
		name    string
		plan    *feedgen.Plan
		changed int // of len(base)
	}{
		{"posts edited and added", newPlan(t, edited), 0},
		{"site title", mustPlan(t, site, feedgen.Options{Limit: 20}), len(base)},
		{"feeds URL", mustPlan(t, moved, feedgen.Options{Limit: 20}), len(base)},
		{"formats", newPlan(t, testPosts(), feedgen.JSON), len(base)},
	} {
		changed := 0
		for p, fp := range fps(tc.plan) {
			if fp != base[p] {
				changed++
			}
		}
		if changed != tc.changed {
			t.Errorf("%s: %d snippets changed, want %d", tc.name, changed, tc.changed)
		}
	}
}

func mustPlan(t *testing.T, site feedgen.Site, opts feedgen.Options) *feedgen.Plan {
	t.Helper()
	p, err := feedgen.NewPlan(site, opts, testPosts())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDiscoveryHostile: with every name and title hostile (the XSS
// corpus), a snippet is still nothing but <link rel="alternate">
// elements to the tree's own feeds, each attribute's value text that a
// strict parser reads without error (stricthtml, the rule items are held
// to); TestStrictHTML parses every snippet inside a page's <head> with
// html5lib.
func TestDiscoveryHostile(t *testing.T) {
	n := 0
	for path, d := range hostileDocs(t) {
		if d.Format != Fragment {
			continue
		}
		n++
		z := html.NewTokenizer(bytes.NewReader(d.Body))
		links := 0
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				break
			}
			raw := string(z.Raw())
			if tt == html.TextToken && raw == "\n" {
				continue
			}
			tok := z.Token()
			if tt != html.StartTagToken || tok.Data != "link" {
				t.Errorf("%s: %s %q", path, tt, raw)
				continue
			}
			links++
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Key] = a.Val
			}
			if len(attrs) != 4 || attrs["rel"] != "alternate" || !strings.HasPrefix(attrs["href"], "https://example.org/feeds/") ||
				!strings.HasPrefix(attrs["type"], "application/") || attrs["title"] == "" {
				t.Errorf("%s: %q", path, raw)
			}
			// Each quoted value, as written, is text a strict parser reads.
			parts := strings.Split(raw, `"`)
			for i := 1; i < len(parts); i += 2 {
				if err := stricthtml.Check(parts[i]); err != nil {
					t.Errorf("%s: attribute text %q: %v", path, parts[i], err)
				}
			}
		}
		if links < 3 {
			t.Errorf("%s: %d links", path, links)
		}
	}
	if n < 20 {
		t.Errorf("only %d snippets", n)
	}
}

package server

import (
	"strings"
	"testing"

	"github.com/syndicate/syndicate/internal/handlertest"
)

// TestWordPressURLs: WordPress's feed URLs answer with the matching
// document, in place (200), at the root whatever the prefix; anything
// else stays 404, and without WordPress set nothing of this answers.
func TestWordPressURLs(t *testing.T) {
	var docs []string
	for _, dir := range []string{"", "tags/go/", "categories/child/", "authors/jane-doe/"} {
		docs = append(docs, dir+"feed.rss", dir+"feed.atom")
	}
	docs = append(docs, "tags/atom-only/feed.atom", "tags/feed/feed.rss", "tags/日本語/feed.rss")
	for _, prefix := range []string{"", "/feeds"} {
		s := New(prefix, "", nil)
		ds := testSnapshot("A")
		for _, p := range docs {
			ds.Docs[p] = makeDoc(p, "<"+p+">", testModified)
		}
		s.Publish(ds)
		off := New(prefix, "", nil)
		off.Publish(ds)
		s.WordPress = &WordPress{TagBase: "tag", CategoryBase: "kategorie"}
		for _, tc := range []struct{ target, want string }{
			{"/feed/", "feed.rss"},
			{"/feed", "feed.rss"},
			{"/feed/rss2/", "feed.rss"},
			{"/feed/rss", "feed.rss"},
			{"/feed/rdf/", "feed.rss"},
			{"/feed/atom/", "feed.atom"},
			{"/feed/atom", "feed.atom"},
			{"/tag/go/feed/", "tags/go/feed.rss"},
			{"/tag/go/feed/atom/", "tags/go/feed.atom"},
			{"/tag/go/feed", "tags/go/feed.rss"},
			{"/tag/atom-only/feed/", "tags/atom-only/feed.atom"}, // RSS not written: Atom stands in
			{"/tag/feed/feed/", "tags/feed/feed.rss"},
			{"/tag/%E6%97%A5%E6%9C%AC%E8%AA%9E/feed/", "tags/日本語/feed.rss"},
			{"/kategorie/child/feed/", "categories/child/feed.rss"},
			{"/kategorie/parent/child/feed/atom/", "categories/child/feed.atom"},
			{"/author/jane-doe/feed/", "authors/jane-doe/feed.rss"},
			{"/?feed=rss2", "feed.rss"},
			{"/?feed=atom", "feed.atom"},
			{"/index.php?feed=rss", "feed.rss"},
			{"/?tag=go&feed=atom", "tags/go/feed.atom"},
			{"/?category_name=parent/child&feed=rss2", "categories/child/feed.rss"},
			{"/?author_name=jane-doe&feed=rss2", "authors/jane-doe/feed.rss"},
			{"/feed/json/", ""},
			{"/tag/nope/feed/", ""},
			{"/category/child/feed/", ""}, // the base is kategorie here
			{"/tag/go/", ""},
			{"/tag//feed/", ""},
			{"/tag/go/extra/feed/", ""},
			{"/author/a/b/feed/", ""},
			{"/?feed=json", ""},
			{"/?tag=..&feed=rss2", ""},
			{"/?tag=a/b&feed=rss2", ""},
		} {
			w := handlertest.Do(s, "GET", tc.target)
			if tc.want == "" {
				// Not a WordPress feed URL: what the handler answers without
				// WordPress (404, or the index page at the root).
				if wo := handlertest.Do(off, "GET", tc.target); w.Code != wo.Code || w.Body.String() != wo.Body.String() {
					t.Errorf("%s%s: %d %q, want as without WordPress: %d", prefix, tc.target, w.Code, w.Body.String(), wo.Code)
				}
				continue
			}
			if w.Code != 200 || w.Body.String() != "<"+tc.want+">" {
				t.Errorf("%s: %d %q, want %s", tc.target, w.Code, w.Body.String(), tc.want)
			}
			if wo := handlertest.Do(off, "GET", tc.target); wo.Code == 200 && strings.Contains(wo.Body.String(), "<"+tc.want+">") {
				t.Errorf("%s answered without WordPress", tc.target)
			}
		}
	}
}

package feedgen

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"

	"github.com/syndicate/syndicate/source"
)

// TestIcons: the site's icon and logo reach every format's own element
// for them, and a site without them writes none.
func TestIcons(t *testing.T) {
	site := testSite()
	site.Icon, site.Logo = "https://example.org/favicon.png?a=1&b=2", "https://example.org/logo.png"
	_, snap := mustBuild(t, site, Options{Limit: 5}, fixturePosts())

	var rss struct {
		Title string `xml:"channel>title"`
	}
	var img struct {
		URL   string `xml:"channel>image>url"`
		Title string `xml:"channel>image>title"`
		Link  string `xml:"channel>image>link"`
	}
	body := docBody(t, snap, "tags/go/feed.rss")
	if err := xml.Unmarshal(body, &rss); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(body, &img); err != nil {
		t.Fatal(err)
	}
	if img.URL != site.Logo || img.Title != rss.Title || img.Link != "https://example.org/tags/go/" {
		t.Errorf("RSS image %+v, channel title %q", img, rss.Title)
	}
	var atom struct {
		Icon string `xml:"icon"`
		Logo string `xml:"logo"`
	}
	if err := xml.Unmarshal(docBody(t, snap, "feed.atom"), &atom); err != nil {
		t.Fatal(err)
	}
	if atom.Icon != site.Icon || atom.Logo != site.Logo {
		t.Errorf("Atom icon %q, logo %q", atom.Icon, atom.Logo)
	}
	var js struct {
		Icon    string `json:"icon"`
		Favicon string `json:"favicon"`
	}
	if err := json.Unmarshal(docBody(t, snap, "feed.json"), &js); err != nil {
		t.Fatal(err)
	}
	if js.Icon != site.Logo || js.Favicon != site.Icon {
		t.Errorf("JSON icon %q, favicon %q", js.Icon, js.Favicon)
	}

	// Only an icon: RSS shows it; no logo anywhere.
	site.Logo = ""
	_, snap = mustBuild(t, site, Options{Limit: 5}, fixturePosts())
	if b := string(docBody(t, snap, "feed.rss")); !strings.Contains(b, "<url>https://example.org/favicon.png?a=1&amp;b=2</url>") {
		t.Errorf("RSS without a logo lacks the icon:\n%s", b)
	}
	if b := string(docBody(t, snap, "feed.atom")); strings.Contains(b, "<logo>") {
		t.Error("Atom has a logo")
	}
	// Neither: no element at all.
	_, snap = mustBuild(t, testSite(), Options{Limit: 5}, fixturePosts())
	for _, p := range []string{"feed.rss", "feed.atom", "feed.json"} {
		if b := string(docBody(t, snap, p)); strings.Contains(b, "<image>") || strings.Contains(b, "<icon>") || strings.Contains(b, `"favicon"`) || strings.Contains(b, `"icon"`) {
			t.Errorf("%s has an icon", p)
		}
	}
	// An icon that is not an absolute http(s) URL is refused.
	for _, bad := range []string{"javascript:alert(1)", "/favicon.png", "data:image/png;base64,AAAA"} {
		s := testSite()
		s.Icon = bad
		if _, err := NewPlan(s, Options{Limit: 5}, fixturePosts()); err == nil {
			t.Errorf("icon %q accepted", bad)
		}
	}
}

func docBody(t *testing.T, snap *Snapshot, path string) []byte {
	t.Helper()
	d := snap.Docs[path]
	if d == nil {
		t.Fatalf("%s missing", path)
	}
	b, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWordPressIDs: with WordPressGUIDBase (ids: wordpress), a migrated
// site's items carry the guids WordPress's own feed gave them
// (testdata/wordpress/feed-rss2.xml, written from feed-rss2.php), as RSS
// guid isPermaLink="false", Atom id and JSON id, so a reader that knew
// the WordPress feed sees no item as new; posts without a post_id keep
// their usual ids, and without the setting post_id changes nothing.
func TestWordPressIDs(t *testing.T) {
	wpBody, err := os.ReadFile(filepath.Join("testdata", "wordpress", "feed-rss2.xml"))
	if err != nil {
		t.Fatal(err)
	}
	wp, err := (&rss.Parser{}).Parse(bytes.NewReader(wpBody))
	if err != nil {
		t.Fatal(err)
	}
	hello := &source.Post{
		Path: "2024/05/hello.md", ID: "https://example.org/2024/05/01/hello/", ExplicitID: true, PostID: "4569",
		Link: "https://example.org/2024/05/01/hello/", Title: "Hello, World", Published: t0, Updated: t0,
		Authors: []source.Author{{Name: "Jane Doe"}}, Categories: []string{"Notes"}, Tags: []string{"Go"}, Language: "en-US",
		ContentHTML: "<p>Hello <em>world</em>.</p>", SummaryHTML: "<p>Hello world.</p>", SummaryText: "Hello world.",
	}
	tom := &source.Post{
		Path: "2024/04/tom-and-jerry.md", ID: "https://example.org/2024/04/30/tom-and-jerry/", PostID: "4570",
		Link: "https://example.org/2024/04/30/tom-and-jerry/", Title: "Tom & Jerry", Published: t0.Add(-24 * time.Hour),
		Updated: t0.Add(-24 * time.Hour), Authors: []source.Author{{Name: "Ann Example"}}, Categories: []string{"Notes"},
		Language: "en-US", ContentHTML: "<p>Code and quotes.</p>", SummaryHTML: "<p>Code and quotes.</p>", SummaryText: "Code and quotes.",
	}
	native := simplePost("2025/new.md", t0.Add(24*time.Hour)) // written after the move: no post_id
	posts := []*source.Post{native, hello, tom}

	site := testSite()
	site.WordPressGUIDBase = "http://example.org/"
	_, snap := mustBuild(t, site, Options{Limit: 10}, posts)
	ours, err := (&rss.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.rss"].Body))
	if err != nil {
		t.Fatal(err)
	}
	byLink := map[string]*rss.Item{}
	for _, it := range ours.Items {
		byLink[it.Link] = it
	}
	for _, w := range wp.Items {
		g := byLink[w.Link]
		if g == nil {
			t.Fatalf("no item for %s", w.Link)
		}
		if g.GUID == nil || w.GUID == nil || g.GUID.Value != w.GUID.Value || g.GUID.IsPermalink != w.GUID.IsPermalink {
			t.Errorf("%s: guid %+v, WordPress's %+v", w.Link, g.GUID, w.GUID)
		}
		if g.Title != w.Title || !sameRSSDate(t, g.PubDate, w.PubDate) {
			t.Errorf("%s: title, date %q %q, WordPress's %q %q", w.Link, g.Title, g.PubDate, w.Title, w.PubDate)
		}
	}
	// Atom and JSON carry the same ids; a reader keying items by id (as
	// gofeed's universal model, Miniflux and FreshRSS do) sees no new item
	// but the post written since.
	known := map[string]bool{}
	for _, w := range wp.Items {
		known[w.GUID.Value] = true
	}
	for _, doc := range []string{"feed.rss", "feed.atom", "feed.json", "categories/notes/feed.atom"} {
		f, err := gofeed.NewParser().Parse(bytes.NewReader(snap.Docs[doc].Body))
		if err != nil {
			t.Fatal(err)
		}
		var fresh []string
		for _, it := range f.Items {
			if !known[it.GUID] {
				fresh = append(fresh, it.GUID)
			}
		}
		want := 1 // the post written since
		if doc == "categories/notes/feed.atom" {
			want = 0
		}
		if len(fresh) != want {
			t.Errorf("%s: new to a WordPress subscriber: %v, want %d item", doc, fresh, want)
		}
	}
	if !bytes.Contains(snap.Docs["feed.rss"].Body, []byte(`<guid isPermaLink="false">http://example.org/?p=4569</guid>`)) {
		t.Errorf("feed.rss lacks WordPress's guid element:\n%s", snap.Docs["feed.rss"].Body)
	}

	// Without the setting, post_id changes nothing.
	plain := mustPlan(t, testSite(), Options{Limit: 10}, posts)
	if got := plain.IDs[hello]; got != hello.ID {
		t.Errorf("without ids: wordpress, id %q, want %q", got, hello.ID)
	}
}

func sameRSSDate(t *testing.T, a, b string) bool {
	t.Helper()
	ta, err1 := time.Parse(time.RFC1123Z, a)
	tb, err2 := time.Parse(time.RFC1123Z, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}

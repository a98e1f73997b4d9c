package feedgen

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
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
